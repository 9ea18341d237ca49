"""PBT through the tuner on the simulator's checkpoint model: the lineage of a study, trials
whose scripts keep no checkpoints, and a study that survives its orchestrator stopping."""

from __future__ import annotations

from typing import Any

from hpo_bridge.core.events import RestoreCorrected, TrialCreated, TrialRetried
from hpo_bridge.executors.simulator import continued
from hpo_bridge.spec import validate_spec
from hpo_bridge.store import Store
from hpo_bridge.tuning import build_executor, build_tuner

CURVES = {
    0.001: [0.10, 0.15, 0.20, 0.25, 0.30, 0.35],
    0.01: [0.30, 0.45, 0.55, 0.62, 0.66, 0.68],
    0.1: [0.50, 0.60, 0.65, 0.68, 0.70, 0.71],
    1.0: [0.40, 0.42, 0.44, 0.46, 0.48, 0.50],
}
TABLE = {"metric": "acc", "rows": [{"params": {"lr": k}, "values": v}
                                   for k, v in CURVES.items()]}


def spec(seed: int = 2, **strategy: Any) -> Any:
    return validate_spec({
        "name": "pbt-sim",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "discrete", "values": [0.001, 0.01, 0.1, 1.0]}},
        "strategy": {"algorithm": "pbt", "seed": seed, "population_size": 4,
                     "perturbation_interval": 2, **strategy},
        "limits": {"max_parallel": 4},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 6}},
    })


def run(s: Any, tmp_path: Any, sink: Any = None, **options: Any) -> Any:
    executor = build_executor(s, "simulator", study_dir=tmp_path,
                              options={"source": TABLE, **options})
    tuner = build_tuner(s, executor, sink=sink)
    tuner.run()
    return tuner


def lineage(tuner: Any) -> list[tuple[Any, ...]]:
    return [(t.id, t.params["lr"], t.resource,
             (t.restore.source, t.restore.start) if t.restore else None, t.values)
            for t in tuner.trials.values()]


# -- the model ------------------------------------------------------------------------------
def curve(*values: float) -> list[list[tuple[str, float]]]:
    return [[("acc", v)] for v in values]


def test_a_checkpoint_continues_where_the_curve_first_beats_it():
    c = curve(0.3, 0.45, 0.55, 0.62, 0.66, 0.68)
    # Worth 0.5: 0.55 (epoch 3) is the first better value; 3 intervals from there.
    assert continued(c, 0.5, 3, maximize=True) == curve(0.55, 0.62, 0.66)
    # Its own value at epoch 2: it continues exactly where it was.
    assert continued(c, 0.45, 4, maximize=True) == curve(0.55, 0.62, 0.66, 0.68)
    # Never beaten: the configuration's last value, kept past the curve's end.
    assert continued(c, 0.9, 2, maximize=True) == curve(0.68, 0.68)
    # Worse than the first epoch: the curve from its start.
    assert continued(c, 0.1, 2, maximize=True) == curve(0.3, 0.45)
    # Minimising: better is lower.
    assert continued(curve(0.9, 0.5, 0.3), 0.6, 2, maximize=False) == curve(0.5, 0.3)


# -- a study ---------------------------------------------------------------------------------
def test_pbt_study_lineage_on_the_simulator(tmp_path):
    tuner = run(spec(), tmp_path)
    assert tuner.ended.reason == "max_trials (12) reached"
    assert lineage(tuner) == [
        (1, 0.01, 2, None, [0.3, 0.45]),
        (2, 0.01, 2, None, [0.3, 0.45]),
        (3, 0.1, 2, None, [0.5, 0.6]),
        (4, 0.001, 2, None, [0.1, 0.15]),
        (5, 0.01, 4, (1, 2), [0.3, 0.45, 0.55, 0.62]),
        (6, 0.01, 4, (2, 2), [0.3, 0.45, 0.55, 0.62]),
        (7, 0.1, 4, (3, 2), [0.5, 0.6, 0.65, 0.68]),
        # Member 3 (0.15, the bottom) copies member 2's trial 3 (0.6, the top) and moves
        # lr to the next value, 1.0, whose curve never beats 0.6: it ends at 0.5.
        (8, 1.0, 4, (3, 2), [0.5, 0.6, 0.5, 0.5]),
        (9, 0.01, 6, (5, 4), [0.3, 0.45, 0.55, 0.62, 0.66, 0.68]),
        (10, 0.01, 6, (6, 4), [0.3, 0.45, 0.55, 0.62, 0.66, 0.68]),
        (11, 0.1, 6, (7, 4), [0.5, 0.6, 0.65, 0.68, 0.7, 0.71]),
        (12, 0.001, 6, (7, 4), [0.5, 0.6, 0.65, 0.68, 0.35, 0.35]),
    ]
    assert tuner.trials[8].origin == (
        "member 3: trial 4 (0.15 at epoch 2, rank 4 of 4) is in the bottom 25%; copies"
        " trial 3 (0.6 at epoch 2, rank 1 of 4, top 25%); explore: lr 0.1 -> 1 (next value)")
    assert tuner.best().id == 11


def test_same_seed_same_decisions_other_seed_other_decisions(tmp_path):
    first, again = run(spec(), tmp_path / "a"), run(spec(), tmp_path / "b")
    assert lineage(first) == lineage(again)
    assert lineage(run(spec(seed=3), tmp_path / "c")) != lineage(first)


def test_scripts_that_keep_no_checkpoint_restart_from_scratch(tmp_path):
    events: list = []
    tuner = run(spec(), tmp_path, sink=events.append, checkpoints=False)
    restored = [t for t in tuner.trials.values() if t.restore is not None]
    assert len(restored) == 8
    for trial in restored:  # planned from a checkpoint, trained from epoch 1
        assert trial.restore.start == 0 and trial.restore.values == ()
        assert trial.values == CURVES[trial.params["lr"]][: trial.resource]
        assert trial.restore_note.startswith("the simulated script keeps no checkpoints:"
                                             " starts from scratch")
    corrected = [e.trial_id for e in events if isinstance(e, RestoreCorrected)]
    assert corrected == [t.id for t in restored]
    # The members still compare at the segments' ends: the same decisions as with
    # checkpoints up to there, at more compute.
    assert sum(len(t.values) for t in tuner.trials.values()) == 4 * (2 + 4 + 6)


def test_journaled_lineage_reads_back_and_a_stopped_study_resumes_it_exactly(tmp_path):
    straight = run(spec(), tmp_path / "straight")
    study = tmp_path / "study"
    s = spec()
    store = Store.create(study, s)
    tuner = build_tuner(s, build_executor(s, "simulator", study_dir=study,
                                          options={"source": TABLE}), sink=store.record)
    while tuner.now() < 3.0:  # the second segments are half done
        tuner.step()
    store.commit(tuner.take_searcher_state())
    tuner.interrupt("interrupted (test)")
    while tuner.step():
        pass
    store.commit(tuner.take_searcher_state())
    store.close()
    store = Store.open(study)
    events: list = []

    def sink(event: Any) -> None:
        events.append(event)
        store.record(event)

    resumed = build_tuner(
        s, build_executor(s, "simulator", study_dir=study, options={"source": TABLE}),
        sink=sink, previous=store.trials(), backlog=store.searcher_backlog(),
        searcher_state=store.searcher_state(), elapsed=tuner.now())
    resumed.run()
    store.commit(resumed.take_searcher_state())
    # The interrupted segments ran again from their own checkpoints, after epoch 3.
    retried = [(e.trial_id, e.restore.source, e.restore.start) for e in events
               if isinstance(e, TrialRetried)]
    assert retried == [(5, 5, 3), (6, 6, 3), (7, 7, 3), (8, 8, 3)]
    # Same curves, and the same decisions afterwards (the re-runs' restore is now their
    # own interrupted attempt's checkpoint).
    again, before = lineage(resumed), lineage(straight)
    assert [row[:3] + row[4:] for row in again] == [row[:3] + row[4:] for row in before]
    assert again[8:] == before[8:]
    assert [e.trial_id for e in events if isinstance(e, TrialCreated)] == [9, 10, 11, 12]
    stored = {t.id: (t.restore, t.values, t.origin) for t in Store.open(study).trials()}
    assert stored == {t.id: (t.restore, t.values, t.origin) for t in resumed.trials.values()}


# -- an interrupted trial resumes from its own checkpoint ----------------------------------------
def _rerun(tmp_path: Any, reported: list[float]) -> Any:
    from hpo_bridge.core.trial import Trial, TrialStatus

    s = validate_spec({
        "name": "rerun",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "discrete", "values": [0.01, 0.1]}},
        "strategy": {"algorithm": "random", "seed": 1},
        "limits": {"max_trials": 1},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 6}},
    })
    killed = Trial(id=1, params={"lr": 0.01}, status=TrialStatus.RUNNING, resource=6,
                   values=list(reported), metrics={"acc": list(reported)})
    executor = build_executor(s, "simulator", study_dir=tmp_path, options={"source": TABLE})
    tuner = build_tuner(s, executor, previous=[killed], elapsed=10.0)
    tuner.run()
    return tuner.trials[1]


def test_a_rerun_continues_its_curve_from_the_interrupted_attempts_checkpoint(tmp_path):
    trial = _rerun(tmp_path, CURVES[0.01][:2])
    assert (trial.status.value, trial.attempt, trial.restore.source, trial.start) == (
        "completed", 2, 1, 2)
    assert trial.values == CURVES[0.01]  # 2 inherited, 4 of its own


def test_a_rerun_of_a_finished_training_completes_with_nothing_left_to_report(tmp_path):
    trial = _rerun(tmp_path, CURVES[0.01])  # killed after its last report, before its exit
    assert (trial.status.value, trial.attempt, trial.start) == ("completed", 2, 6)
    assert trial.values == CURVES[0.01]
