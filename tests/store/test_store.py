"""The SQLite study journal: events in, trials out; meta; backlog for resume; errors."""

from __future__ import annotations

import sqlite3

import pytest

from hpo_bridge.core.events import (
    MetricReported,
    StoppingDecision,
    StudyEnded,
    TrialCreated,
    TrialStarted,
    TrialStatusChanged,
)
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.spec import validate_spec
from hpo_bridge.store import DB_NAME, Store, StoreError

S = TrialStatus


@pytest.fixture
def spec(tmp_path):
    return validate_spec(
        {"name": "st", "objective": {"metric": "acc", "goal": "maximize"},
         "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1, "scale": "log"}},
         "early_stopping": {"policy": "median"}},
        base_dir=tmp_path,
    )


def journal(store: Store) -> None:
    for event in [
        TrialCreated(1, 0.0, {"lr": 0.01}),
        TrialCreated(2, 0.0, {"lr": 0.05}, resource=9, bracket=1),
        TrialStarted(1, 0.5),
        TrialStatusChanged(1, 0.5, S.RUNNING),
        TrialStatusChanged(2, 0.5, S.RUNNING),
        MetricReported(1, 1.0, "acc", 0.5),
        MetricReported(1, 1.0, "loss", 2.0),
        MetricReported(2, 1.0, "acc", 0.1),
        StoppingDecision(2, 1.0, 1, "median", "median: worse"),
        TrialStatusChanged(2, 1.0, S.STOPPED, "median: worse"),
        MetricReported(1, 2.0, "acc", float("nan"), raw="nan"),
        TrialStatusChanged(1, 2.5, S.FAILED, "metric 'acc' reported nan", exit_code=-15),
        StudyEnded(3.0, "finished", "max_trials (2) reached"),
    ]:
        store.record(event)
    store.commit()


def test_events_round_trip_into_trials(tmp_path, spec):
    with Store.create(tmp_path / "s", spec) as store:
        journal(store)
    with Store.open(tmp_path / "s") as store:
        assert store.spec == spec
        assert store.spec.base_dir == tmp_path
        t1, t2 = store.trials()
        assert (t1.id, t1.params, t1.status, t1.reason, t1.exit_code) == (
            1, {"lr": 0.01}, S.FAILED, "metric 'acc' reported nan", -15)
        assert t1.values == [0.5]  # the nan is journaled but is not a value
        assert t1.metrics == {"acc": [0.5], "loss": [2.0]}
        assert (t1.started_at, t1.ended_at) == (0.5, 2.5)
        assert (t2.status, t2.resource, t2.bracket, t2.values) == (S.STOPPED, 9, 1, [0.1])
        assert [d.reason for d in store.decisions()] == ["median: worse"]
        assert [t.status for t in store.transitions(1)] == [S.PENDING, S.RUNNING, S.FAILED]
        st = store.study_status()
        assert (st.status, st.reason) == ("finished", "max_trials (2) reached")
        assert store.elapsed() == 3.0
        query = "SELECT value, raw FROM metrics WHERE trial_id=1 AND time=2"
        raw = store.conn.execute(query).fetchone()
        assert raw == (None, "nan")


def test_wal_mode_and_meta(tmp_path, spec):
    with Store.create(tmp_path, spec) as store:
        store.set_meta("native_handle", {"job": "j-1"})
        store.commit()
    conn = sqlite3.connect(tmp_path / DB_NAME)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with Store.open(tmp_path) as store:
        assert store.get_meta("native_handle") == {"job": "j-1"}
        assert store.get_meta("missing", 7) == 7


def test_uncommitted_step_is_lost_committed_ones_kept(tmp_path, spec):
    store = Store.create(tmp_path, spec)
    store.record(TrialCreated(1, 0.0, {"lr": 0.01}))
    store.commit()
    store.record(TrialCreated(2, 0.0, {"lr": 0.02}))
    # No commit: a second connection (a resumed orchestrator) does not see trial 2.
    with Store.open(tmp_path) as other:
        assert [t.id for t in other.trials()] == [1]
    store.rollback()
    store.close()


def test_searcher_state_and_backlog(tmp_path, spec):
    with Store.create(tmp_path, spec) as store:
        store.record(TrialCreated(1, 0.0, {"lr": 0.01}))
        store.record(MetricReported(1, 1.0, "acc", 0.3))
        store.commit({"asked": 1})
        store.record(MetricReported(1, 2.0, "acc", 0.4))
        store.record(MetricReported(1, 2.0, "loss", 9.0))
        store.record(TrialStatusChanged(1, 2.0, S.COMPLETED))
        store.record(TrialCreated(2, 2.0, {"lr": 0.02}))
        store.commit()
        assert store.searcher_state() == {"asked": 1}
        assert store.searcher_backlog() == [
            ("report", 1, 2, 0.4), ("tell", 1, None, None), ("ask", 2, None, None)]


def test_upsert_trial_replaces_it(tmp_path, spec):
    with Store.create(tmp_path, spec) as store:
        store.upsert_trial(Trial(5, {"lr": 0.01}, S.RUNNING, values=[0.1]))
        store.upsert_trial(Trial(5, {"lr": 0.01}, S.COMPLETED, values=[0.1, 0.2],
                                 metrics={"acc": [0.1, 0.2], "loss": [3.0]}))
        store.commit()
        (trial,) = store.trials()
        assert (trial.status, trial.values, trial.metrics) == (
            S.COMPLETED, [0.1, 0.2], {"acc": [0.1, 0.2], "loss": [3.0]})


def test_user_errors(tmp_path, spec):
    with pytest.raises(StoreError, match="no study here"):
        Store.open(tmp_path / "nothing")
    Store.create(tmp_path, spec).close()
    with pytest.raises(StoreError, match="already holds a study; continue it with"):
        Store.create(tmp_path, spec)


def test_reopening_a_study_validates_its_stored_spec_once_per_process(tmp_path, spec):
    Store.create(tmp_path / "s", spec).close()
    with Store.open(tmp_path / "s") as first, Store.open(tmp_path / "s") as second:
        assert first.spec is second.spec  # the same validated object: no second validation
        assert first.spec == spec and first.spec.base_dir == spec.base_dir


def test_a_failed_write_is_one_line_and_close_rolls_back(tmp_path, spec):
    store = Store.create(tmp_path / "s", spec)
    store.record(TrialCreated(1, 0.0, {"lr": 0.01}))
    store.commit()
    store.record(TrialCreated(2, 0.0, {"lr": 0.02}))
    with pytest.raises(StoreError) as exc:
        store.record(TrialCreated(2, 0.0, {"lr": 0.02}))  # the same id twice
    assert str(exc.value).startswith(f"{tmp_path / 's' / DB_NAME}: cannot write: ")
    store.close()  # no second error: what failed is not committed
    with Store.open(tmp_path / "s") as again:
        assert [t.id for t in again.trials()] == [1]
