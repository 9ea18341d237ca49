"""Machine-readable outputs through the real console script: JUnit XML (read back with
junitparser, as CI servers read it), the Markdown summary and $GITHUB_STEP_SUMMARY, the JSON
summary (issue 13, item 2)."""

from __future__ import annotations

import json

from junitparser import Failure, JUnitXml, Skipped


def test_junit_has_one_testcase_per_trial_and_the_best_trial_in_properties(hpo, table_study,
                                                                            tmp_path):
    _, _, study = table_study
    junit = tmp_path / "out" / "junit.xml"
    out = hpo("check", study, "--objective", ">=0.95", "--junit", junit)
    assert out.returncode == 0, out.stderr
    xml = JUnitXml.fromfile(str(junit))
    suites = list(xml)
    assert [s.name for s in suites] == ["table_study", "table_study gate"]
    trials = suites[0]
    assert (trials.tests, trials.failures, trials.errors, trials.skipped) == (5, 2, 0, 1)
    cases = list(trials)
    assert [c.name for c in cases] == [f"trial {i}: curve={c}" for i, c in
                                       zip(range(1, 6), "ABCDE", strict=True)]
    results = [[type(r).__name__ for r in c.result] for c in cases]
    assert results == [[], [], ["Skipped"], ["Failure"], ["Failure"]]
    skipped = cases[2].result[0]
    assert isinstance(skipped, Skipped) and skipped.message == (
        "stopped: median: best 0.100 < median 0.500 of running averages of 3 trials at"
        " interval 1")
    failures = [c.result[0] for c in cases[3:]]
    assert all(isinstance(f, Failure) and f.type == "failed" for f in failures)
    assert [f.message for f in failures] == [
        "no value of metric accuracy reported (it reported no metric)",
        "metric 'accuracy' reported nan, not a finite number"]
    assert [c.time for c in cases] == [4.0, 4.0, 1.0, 0.0, 1.0]  # simulated seconds
    props = {p.name: p.value for p in trials.properties()}
    assert props == {"study": "table_study", "status": "finished",
                     "objective": "accuracy (maximize, last)", "trials": "5",
                     "best.trial": "2", "best.accuracy": "0.96", "best.params.curve": "B"}
    gate = list(suites[1])
    assert [(c.name, c.is_passed) for c in gate] == [("accuracy >= 0.95", True)]


def test_markdown_summary_goes_to_the_file_and_the_step_summary(hpo, table_study, tmp_path):
    _, _, study = table_study
    step = tmp_path / "step-summary.md"
    step.write_text("earlier step\n")
    summary = tmp_path / "summary.md"
    out = hpo("check", study, "--min-completed", "3", "--summary", summary,
              env={"GITHUB_STEP_SUMMARY": str(step)})
    assert out.returncode == 3
    text = summary.read_text()
    assert step.read_text() == "earlier step\n" + text + "\n"
    lines = text.splitlines()
    assert lines[:8] == [
        "## hpo-bridge: table_study (finished)", "",
        "max_trials (5) reached", "",
        "Objective: accuracy (maximize, last). 5 trial(s) of 5, 10s of study time.", "",
        "**Best**: trial 2, accuracy = 0.96 (curve=B)", ""]
    assert "| completed | 2 |" in lines and "| stopped | 1 |" in lines
    assert "| failed | 2 |" in lines
    assert "**Gate**: FAILED" in lines
    assert "- FAIL: completed = 2 (of 5 trials), required >= 3: FAILED" in lines
    assert ("- trial 3 at interval 1: median: best 0.100 < median 0.500 of running averages"
            " of 3 trials at interval 1") in lines
    table = [line for line in lines if line.startswith("| ") and line.count("|") == 6]
    assert table[0] == "| trial | status | accuracy | curve | reason |"
    assert [row.split(" | ")[0] for row in table[2:]] == ["| 2", "| 1", "| 3", "| 4", "| 5"]


def test_json_summary_and_run_writes_the_outputs_too(hpo, table_study, tmp_path):
    spec, table, _ = table_study
    junit, summary_json = tmp_path / "j.xml", tmp_path / "s.json"
    out = hpo("run", spec, "--simulate", table, "--study-dir", tmp_path / "again",
              "--fail-if", "objective<0.9", "--junit", junit, "--summary-json", summary_json)
    assert out.returncode == 0, out.stderr
    data = json.loads(summary_json.read_text())
    assert (data["name"], data["status"], data["trials"], data["max_trials"]) == (
        "table_study", "finished", 5, 5)
    assert data["counts"] == {"completed": 2, "stopped": 1, "failed": 2}
    assert data["best"]["id"] == 2 and data["best"]["objective"] == 0.96
    assert data["gate"] == {"passed": True, "trial": 2, "conditions": [
        {"subject": "accuracy", "op": ">=", "threshold": 0.9, "value": 0.96, "passed": True,
         "where": "trial 2"}]}
    assert [d["trial"] for d in data["decisions"]] == [3]
    assert [t["id"] for t in data["table"]] == [2, 1, 3, 4, 5]
    assert JUnitXml.fromfile(str(junit)).tests == 6  # 5 trials + 1 gate condition
