"""The CI gate through the real console script: `check`, `run --fail-if`, and the exit codes
of `best` and `status` a pipeline relies on (issue 13, item 1)."""

from __future__ import annotations

import json

from ci_helpers import TABLE_SPEC, write_yaml

GATE = 3  # distinct from 0 ok, 1 the study failed, 2 a user error, 130/143 a signal


def test_check_passes_and_fails_with_one_line_per_condition(hpo, table_study):
    _, _, study = table_study
    ok = hpo("check", study, "--objective", ">=0.95")
    assert ok.returncode == 0, ok.stderr
    assert ok.stdout.splitlines() == [
        "study table_study: finished - max_trials (5) reached",
        "gate: accuracy = 0.96 (trial 2), required >= 0.95: passed",
        "gate passed: 1 condition(s) met",
    ]
    bad = hpo("check", study, "--objective", ">=0.97", "--min-completed", "3",
              "--max-failed-fraction", "0.3")
    assert bad.returncode == GATE
    assert bad.stdout.splitlines()[1:] == [
        "gate: accuracy = 0.96 (trial 2), required >= 0.97: FAILED",
        "gate: completed = 2 (of 5 trials), required >= 3: FAILED",
        "gate: failed_fraction = 0.4 (2 of 5 ended trials), required <= 0.3: FAILED",
        "gate failed: 3 of 3 condition(s) not met",
    ]


def test_metrics_and_fail_if_read_the_best_trial(hpo, table_study):
    _, _, study = table_study
    out = hpo("check", study, "--metric", "loss<=0.2", "--fail-if", "completed<2",
              "--fail-if", "failed_fraction>0.5")
    assert out.returncode == 0, out.stdout
    assert out.stdout.splitlines()[1:3] == [
        "gate: loss = 0.2 (trial 2), required <= 0.2: passed",
        "gate: completed = 2 (of 5 trials), required >= 2: passed",
    ]
    failing = hpo("check", study, "--fail-if", "accuracy>=0.96")  # negated: accuracy < 0.96
    assert failing.returncode == GATE
    assert "gate: accuracy = 0.96 (trial 2), required < 0.96: FAILED" in failing.stdout


def test_conditions_that_do_not_read_are_user_errors(hpo, table_study):
    _, _, study = table_study
    typo = hpo("check", study, "--metric", "acuracy>=0.5")
    assert typo.returncode == 2 and typo.stdout == ""
    assert typo.stderr.splitlines() == [
        "--metric 'acuracy>=0.5': no metric 'acuracy' in this study (did you mean 'accuracy'?"
        " known: objective, completed, failed_fraction, accuracy, loss)"]
    prose = hpo("check", study, "--objective", "about 0.9", "--fail-if", "x<y")
    assert prose.returncode == 2
    assert prose.stderr.splitlines() == [
        "--objective 'about 0.9': write a comparison such as 'objective>=0.95' (operators:"
        " >= <= == != > <)",
        "--fail-if 'x<y': 'y' is not a number",
    ]
    not_objective = hpo("check", study, "--objective", "loss<=0.3")
    assert not_objective.returncode == 2
    assert "'loss' is not an objective of the study (accuracy); use --metric" in \
        not_objective.stderr


def test_several_objectives_must_be_named_before_anything_runs(hpo, tmp_path):
    spec = write_yaml(tmp_path / "mo.yaml", {
        "name": "mo", "objectives": [{"metric": "loss", "goal": "minimize"},
                                     {"metric": "size", "goal": "minimize"}],
        "search_space": {"x1": {"type": "float", "low": -5, "high": 10},
                         "x2": {"type": "float", "low": 0, "high": 15}},
        "strategy": {"algorithm": "random", "seed": 3}, "limits": {"max_trials": 12}})
    unnamed = hpo("run", spec, "--simulate", "branin", "--study-dir", tmp_path / "s",
                  "--fail-if", "objective>1")
    assert unnamed.returncode == 2 and not (tmp_path / "s").exists()
    assert "the study has several objectives; name one (loss, size)" in unnamed.stderr


def test_run_fail_if_exits_3_only_when_the_study_itself_finished(hpo, table_study, tmp_path):
    spec, table, _ = table_study
    out = hpo("run", spec, "--simulate", table, "--study-dir", tmp_path / "gated",
              "--fail-if", "objective<0.99")
    assert out.returncode == GATE
    assert "study finished: max_trials (5) reached" in out.stdout
    assert "gate: accuracy = 0.96 (trial 2), required >= 0.99: FAILED" in out.stdout
    # A study that fails keeps exit code 1: its fate comes before the gate's.
    failing = write_yaml(tmp_path / "failing.yaml", {**TABLE_SPEC, "limits": {},
                                                     "search_space": {"curve": {
                                                         "type": "categorical",
                                                         "values": ["D", "A"]}}})
    failed = hpo("run", failing, "--simulate", table, "--study-dir", tmp_path / "failed",
                 "--fail-if", "objective<0.99")
    assert failed.returncode == 1, failed.stdout
    assert "study failed: the first trial failed" in failed.stdout


def test_best_without_a_result_and_status_of_a_failed_study_exit_1(hpo, table_study, tmp_path):
    spec, table, study = table_study
    failing = write_yaml(tmp_path / "failing.yaml", {
        **TABLE_SPEC, "limits": {}, "search_space": {
            "curve": {"type": "categorical", "values": ["D", "A"]}}})
    failed = tmp_path / "failed"
    assert hpo("run", failing, "--simulate", table, "--study-dir", failed).returncode == 1
    best = hpo("best", failed)
    assert (best.returncode, best.stdout) == (1, "best: no trial has a result\n")
    best_json = hpo("best", failed, "--json")
    assert best_json.returncode == 1 and json.loads(best_json.stdout) == {"best": None}
    status = hpo("status", failed)
    assert status.returncode == 1 and status.stdout.startswith(
        "study table_study (local): failed - the first trial failed")
    assert hpo("status", failed, "--json").returncode == 1
    assert hpo("status", study).returncode == 0
    assert hpo("best", study).returncode == 0


def test_help_documents_the_gate_exit_code(hpo):
    assert "3 it failed" in hpo("check", "--help").stdout
    assert "3 the\n  --fail-if gate failed" in hpo("run", "--help", env={"COLUMNS": "80"}).stdout
