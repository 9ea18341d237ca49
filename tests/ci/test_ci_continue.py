"""Continuing a study across CI runs through the real console script: `run
--resume-if-exists`, `--max-new-trials`, `--max-trials` extending a finished study, a spec
change refused one line per difference, `--time-budget` pausing in time (issue 13, item 3)."""

from __future__ import annotations

import json

from ci_helpers import write_yaml

BRANIN = {
    "name": "branin_ci",
    "objective": {"metric": "loss", "goal": "minimize"},
    "search_space": {"x1": {"type": "float", "low": -5, "high": 10},
                     "x2": {"type": "float", "low": 0, "high": 15}},
    "strategy": {"algorithm": "bayesian", "seed": 5, "n_startup_trials": 3},
    "limits": {"max_trials": 6},
}
CURVES = {  # the built-in table: 27 intervals of 30 simulated seconds (810 s a trial)
    "name": "curves_ci",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {"config": {"type": "int", "low": 0, "high": 99}},
    "strategy": {"algorithm": "random", "seed": 3},
    "limits": {"max_trials": 10},
}


def trials(hpo, study):
    out = hpo("results", study, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["trials"]


def test_runs_continue_the_study_as_one_uninterrupted_run(hpo, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", BRANIN)
    study = tmp_path / "study"
    args = ("run", spec, "--simulate", "branin", "--study-dir", study, "--resume-if-exists")
    first = hpo(*args, "--max-new-trials", "4")
    assert first.returncode == 0, first.stderr
    assert first.stdout.startswith("study paused: --max-new-trials 4 reached; the next"
                                   " `run --resume-if-exists`")
    assert [t["id"] for t in trials(hpo, study)] == [1, 2, 3, 4]
    assert hpo("status", study).stdout.startswith(
        "study branin_ci (local): interrupted - --max-new-trials 4 reached")
    second = hpo(*args, "--max-new-trials", "4")
    assert second.returncode == 0
    assert second.stdout.startswith("study finished: max_trials (6) reached")
    third = hpo(*args)  # nothing left: said so, nothing run
    assert third.returncode == 0
    assert third.stdout.startswith("study already finished: max_trials (6) reached")
    assert len(trials(hpo, study)) == 6
    extended = hpo(*args, "--max-trials", "8")  # a raised max_trials extends it
    assert extended.returncode == 0
    assert extended.stdout.startswith("study finished: max_trials (8) reached")
    whole = tmp_path / "whole"
    assert hpo("run", spec, "--simulate", "branin", "--study-dir", whole,
               "--max-trials", "8").returncode == 0
    # The searcher continued from its saved state: the same 8 proposals as one run.
    assert [t["params"] for t in trials(hpo, study)] == [t["params"] for t in trials(hpo, whole)]


def test_an_incomparable_spec_is_refused_one_line_per_difference(hpo, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", BRANIN)
    study = tmp_path / "study"
    assert hpo("run", spec, "--simulate", "branin", "--study-dir", study).returncode == 0
    before = (study / "study.db").read_bytes()
    changed = write_yaml(tmp_path / "changed.yaml", {
        **BRANIN, "objective": {"metric": "loss", "goal": "maximize"},
        "search_space": {**BRANIN["search_space"],
                         "x2": {"type": "float", "low": 0, "high": 20}},
        "limits": {"max_trials": 9}})
    out = hpo("run", changed, "--simulate", "branin", "--study-dir", study,
              "--resume-if-exists")
    assert out.returncode == 2 and out.stdout == ""
    assert out.stderr.splitlines() == [
        f"{study}: cannot continue the study with this spec: objective.goal: 'minimize' ->"
        " 'maximize' (the earlier trials were measured against another objective)",
        f"{study}: cannot continue the study with this spec: search_space.x2.high: 15.0 ->"
        " 20.0 (the earlier trials were drawn from another search space)",
        f"(start a new study in another --study-dir, or warm-start one from {study}:"
        f" warm_start: {{from: [{study}]}})",
    ]
    assert (study / "study.db").read_bytes() == before
    seeded = hpo("run", spec, "--simulate", "branin", "--study-dir", study,
                 "--resume-if-exists", "--seed", "9")
    assert seeded.returncode == 2
    assert "strategy.seed: 5 -> 9 (the study's saved searcher belongs to the earlier" \
           " strategy)" in seeded.stderr


def test_time_budget_launches_only_trials_that_fit_and_pauses(hpo, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", CURVES)
    study = tmp_path / "study"
    args = ("run", spec, "--simulate", "curves", "--study-dir", study, "--resume-if-exists")
    # 30 minutes less the stop reserve (kill_grace 10 s + 5 s): trial 2 ends at 1620 s,
    # a third would end at 2430 s.
    out = hpo(*args, "--time-budget", "30m")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("study paused: --time-budget 30m: no time left for another"
                                 " trial (up to 810s each)")
    assert [(t["id"], t["status"], t["intervals"]) for t in trials(hpo, study)] == [
        (1, "completed", 27), (2, "completed", 27)]
    out = hpo(*args, "--time-budget", "1800")  # seconds work too
    assert out.returncode == 0
    assert [t["id"] for t in trials(hpo, study)] == [1, 2, 3, 4]


def test_time_budget_interrupts_running_trials_in_time_to_record_them(hpo, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", CURVES)
    study = tmp_path / "study"
    out = hpo("run", spec, "--simulate", "curves", "--study-dir", study, "--time-budget",
              "100s")
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith("study paused: interrupted (--time-budget 100s reached)")
    # Stopped at 85 s (100 s less the reserve): two intervals of 30 s were recorded.
    assert [(t["status"], t["intervals"], t["reason"]) for t in trials(hpo, study)] == [
        ("interrupted", 2, "interrupted (--time-budget 100s reached)")]
    again = hpo("resume", study, "--max-new-trials", "1")
    assert again.returncode == 0, again.stderr
    assert [(t["id"], t["status"], t["attempt"]) for t in trials(hpo, study)] == [
        (1, "completed", 2), (2, "completed", 1)]


def test_continuing_options_are_refused_where_they_do_not_apply(hpo, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", CURVES)
    bad = hpo("run", spec, "--simulate", "curves", "--time-budget", "soon",
              "--study-dir", tmp_path / "s")
    assert bad.returncode == 2
    assert bad.stderr.startswith("--time-budget 'soon': 'soon' is not a duration")
    assert not (tmp_path / "s").exists()
