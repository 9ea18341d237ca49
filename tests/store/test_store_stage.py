"""The trial's stage in the store (Vega's fullytrain re-runs), and studies made before it."""

from __future__ import annotations

import sqlite3

from hpo_bridge.core.events import TrialCreated
from hpo_bridge.core.trial import FULLYTRAIN
from hpo_bridge.spec import validate_spec
from hpo_bridge.store import DB_NAME, Store

SPEC = {"name": "st", "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1},
                         "batch": {"type": "categorical", "values": [16, 32]}}}


def test_stage_round_trip_and_key_order_kept(tmp_path):
    spec = validate_spec(SPEC, base_dir=tmp_path)
    with Store.create(tmp_path / "s", spec) as store:
        store.record(TrialCreated(1, 0.0, {"lr": 0.01, "batch": 16}))
        store.record(TrialCreated(2, 1.0, {"lr": 0.01, "batch": 16}, stage=FULLYTRAIN))
        store.commit()
    with Store.open(tmp_path / "s") as store:
        assert [(t.id, t.stage) for t in store.trials()] == [(1, "hpo"), (2, FULLYTRAIN)]
        assert list(store.trials()[0].params) == ["lr", "batch"]
        assert list(store.spec.search_space) == ["lr", "batch"]


def test_a_study_from_before_stages_opens_with_every_trial_in_the_search(tmp_path):
    spec = validate_spec(SPEC, base_dir=tmp_path)
    with Store.create(tmp_path / "s", spec) as store:
        store.record(TrialCreated(1, 0.0, {"lr": 0.01, "batch": 16}))
        store.commit()
    conn = sqlite3.connect(tmp_path / "s" / DB_NAME)
    conn.execute("ALTER TABLE trials DROP COLUMN stage")
    conn.commit()
    conn.close()
    with Store.open(tmp_path / "s") as store:
        assert [(t.id, t.stage) for t in store.trials()] == [(1, "hpo")]
        store.record(TrialCreated(2, 1.0, {"lr": 0.02, "batch": 32}, stage=FULLYTRAIN))
        store.commit()
        assert [t.stage for t in store.trials()] == ["hpo", FULLYTRAIN]
