"""Warm start through the real console script: `warm_start: {from: [study directories]}`
(issue 13, item 4). Bayesian and BOHB searchers learn from the earlier trials, the stopping
rule compares with their curves (Azure: random and grid use earlier runs for early
termination), and they never count against max_trials."""

from __future__ import annotations

import json
import shutil

from ci_helpers import write_yaml

SPACE = {"x1": {"type": "float", "low": -5, "high": 10},
         "x2": {"type": "float", "low": 0, "high": 15}}
EARLIER = {"name": "branin_a", "objective": {"metric": "loss", "goal": "minimize"},
           "search_space": SPACE, "strategy": {"algorithm": "random", "seed": 1},
           "limits": {"max_trials": 30}}
LATER = {"name": "branin_b", "objective": {"metric": "loss", "goal": "minimize"},
         "search_space": SPACE,
         "strategy": {"algorithm": "bayesian", "seed": 2, "n_startup_trials": 10},
         "limits": {"max_trials": 5}}
CURVES_SPACE = {"config": {"type": "int", "low": 0, "high": 99}}


def results(hpo, study):
    out = hpo("results", study, "--json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)["trials"]


def losses(hpo, study):
    return [round(t["objective"], 3) for t in results(hpo, study)]


def test_bayesian_learns_from_earlier_trials_that_do_not_count(hpo, tmp_path):
    earlier = write_yaml(tmp_path / "a.yaml", EARLIER)
    assert hpo("run", earlier, "--simulate", "branin", "--study-dir",
               tmp_path / "A").returncode == 0
    warm = write_yaml(tmp_path / "b.yaml", {**LATER, "warm_start": {"from": ["A"]}})
    cold = write_yaml(tmp_path / "cold.yaml", LATER)
    out = hpo("run", warm, "--simulate", "branin", "--study-dir", tmp_path / "B")
    assert out.returncode == 0, out.stderr
    assert "warm start: 30 trial(s) from A" in out.stdout + out.stderr
    assert hpo("run", cold, "--simulate", "branin", "--study-dir",
               tmp_path / "C").returncode == 0
    # 30 earlier results are past TPE's 10 startup trials: every proposal is modelled,
    # where the cold study draws its first 10 at random.
    assert losses(hpo, tmp_path / "B") == [4.074, 10.162, 4.723, 10.848, 3.664]
    assert losses(hpo, tmp_path / "C") == [120.304, 4.277, 30.44, 65.736, 33.555]
    assert [t["id"] for t in results(hpo, tmp_path / "B")] == [1, 2, 3, 4, 5]
    assert hpo("status", tmp_path / "B").stdout.splitlines()[1] == "trials: 5 of 5 (5 completed)"


def test_the_earlier_trials_live_in_the_new_study(hpo, tmp_path):
    earlier = write_yaml(tmp_path / "a.yaml", EARLIER)
    assert hpo("run", earlier, "--simulate", "branin", "--study-dir",
               tmp_path / "A").returncode == 0
    warm = write_yaml(tmp_path / "b.yaml", {**LATER, "warm_start": {"from": ["A"]}})
    study = tmp_path / "B"
    assert hpo("run", warm, "--simulate", "branin", "--study-dir", study,
               "--max-new-trials", "2").returncode == 0
    shutil.rmtree(tmp_path / "A")  # another CI run: the earlier study is gone
    out = hpo("run", warm, "--simulate", "branin", "--study-dir", study, "--resume-if-exists")
    assert out.returncode == 0, out.stderr
    assert losses(hpo, study) == [4.074, 10.162, 4.723, 10.848, 3.664]


def test_the_stopping_rule_compares_with_the_earlier_curves(hpo, tmp_path):
    earlier = write_yaml(tmp_path / "a.yaml", {
        "name": "curves_a", "objective": {"metric": "accuracy", "goal": "maximize"},
        "search_space": CURVES_SPACE, "strategy": {"algorithm": "random", "seed": 3},
        "limits": {"max_trials": 8}})
    assert hpo("run", earlier, "--simulate", "curves", "--study-dir",
               tmp_path / "A").returncode == 0
    later = {"name": "curves_w", "objective": {"metric": "accuracy", "goal": "maximize"},
             "search_space": CURVES_SPACE, "strategy": {"algorithm": "random", "seed": 4},
             "early_stopping": {"policy": "median", "delay_evaluation": 5},
             "limits": {"max_trials": 4}}
    runs = {}
    for name, warm_start in (("warm", {"from": ["A"]}), ("cold", None),
                             ("no-curves", {"from": ["A"], "early_stopping": False})):
        spec = write_yaml(tmp_path / f"{name}.yaml",
                          {**later, **({"warm_start": warm_start} if warm_start else {})})
        assert hpo("run", spec, "--simulate", "curves", "--study-dir",
                   tmp_path / name).returncode == 0
        runs[name] = [(t["status"], t["intervals"], t["reason"])
                      for t in results(hpo, tmp_path / name)]
    # Random search proposes the same configurations; the median of running averages
    # takes the 8 earlier trials in (8 + 3 = 11 trials at interval 5).
    assert runs["warm"][2:] == [
        ("stopped", 5, "median: best 0.638 < median 0.644 of running averages of 11 trials at"
                       " interval 5"),
        ("stopped", 15, "median: best 0.731 < median 0.733 of running averages of 11 trials"
                        " at interval 15")]
    assert runs["cold"][2:] == [
        ("stopped", 5, "median: best 0.638 < median 0.650 of running averages of 3 trials at"
                       " interval 5"),
        ("stopped", 8, "median: best 0.714 < median 0.718 of running averages of 3 trials at"
                       " interval 8")]
    assert runs["no-curves"] == runs["cold"]


def test_bohb_models_the_earlier_curves_from_its_first_proposal(hpo, tmp_path):
    bohb = {"name": "bohb", "objective": {"metric": "loss", "goal": "minimize"},
            "search_space": SPACE, "trial": {"resource": {"name": "epochs", "min": 1,
                                                          "max": 27}},
            "limits": {"max_trials": 4}}
    earlier = write_yaml(tmp_path / "a.yaml", {**bohb, "strategy": {
        "algorithm": "random", "seed": 1}, "limits": {"max_trials": 12}})
    assert hpo("run", earlier, "--simulate", "branin-mf", "--study-dir",
               tmp_path / "A").returncode == 0
    strategy = {"algorithm": "bohb", "seed": 3, "reduction_factor": 3}
    warm = write_yaml(tmp_path / "w.yaml", {**bohb, "strategy": strategy,
                                            "warm_start": {"from": ["A"]}})
    cold = write_yaml(tmp_path / "c.yaml", {**bohb, "strategy": strategy})
    for spec, study in ((warm, "W"), (cold, "C")):
        assert hpo("run", spec, "--simulate", "branin-mf", "--study-dir",
                   tmp_path / study).returncode == 0
    warm_params = [t["params"] for t in results(hpo, tmp_path / "W")]
    cold_params = [t["params"] for t in results(hpo, tmp_path / "C")]
    assert warm_params[0] != cold_params[0]  # the 12 earlier curves fill the model's levels


def test_sources_that_cannot_warm_start_are_user_errors(hpo, tmp_path):
    earlier = write_yaml(tmp_path / "a.yaml", EARLIER)
    assert hpo("run", earlier, "--simulate", "branin", "--study-dir",
               tmp_path / "A").returncode == 0
    other_goal = {**EARLIER, "objective": {"metric": "loss", "goal": "maximize"}}
    spec = write_yaml(tmp_path / "b.yaml", {**LATER, "objective": other_goal["objective"],
                                            "warm_start": {"from": ["A", "nightly-job-41"]}})
    out = hpo("run", spec, "--simulate", "branin", "--study-dir", tmp_path / "B")
    assert out.returncode == 2 and not (tmp_path / "B").exists()
    assert out.stderr.splitlines() == [
        "warm_start.from.0: A: it optimises 'loss' (minimize), this spec 'loss' (maximize)",
        "warm_start.from.1: nightly-job-41: no study there (the local backend warm-starts"
        " from study directories; a cloud's job id is for its backend)",
    ]
    typo = write_yaml(tmp_path / "typo.yaml", {**LATER, "warm_start": {"form": ["A"]}})
    bad = hpo("validate", typo)
    assert bad.returncode == 2
    assert bad.stderr.splitlines() == [
        f"{typo}: warm_start.from: required",
        f"{typo}: warm_start.form: unknown key (did you mean 'from'?)"]
