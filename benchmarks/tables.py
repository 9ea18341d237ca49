"""Multi-fidelity tables (configurations x epochs) every system runs on, and the peers'
adapters for them: one table, so every system picks from the same curves.

Tables use the simulator's format: {"metric", "seconds_per_interval", "rows":
[{"params": {"config": i}, "values": [...one per epoch...]}]}.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from benchmarks.problems import DIGITS_PARAMS, digits_curve

EPOCHS = 27
SECONDS_PER_EPOCH = 60.0
CACHE = Path(__file__).resolve().parent / "results" / "digits-sgd-curves.json"


def _read_cache(key: dict[str, Any]) -> list[list[float]] | None:
    try:
        data = json.loads(CACHE.read_text())
    except (OSError, ValueError):
        return None
    return data["curves"] if data.get("key") == key else None


@dataclass
class CurveTable:
    name: str
    goal: str  # maximize | minimize
    metric: str
    curves: list[list[float]]  # one curve per configuration, EPOCHS values
    what: str

    @property
    def size(self) -> int:
        return len(self.curves)

    def as_simulator_table(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "seconds_per_interval": SECONDS_PER_EPOCH,
            "rows": [{"params": {"config": i}, "values": c} for i, c in enumerate(self.curves)],
        }

    def final(self, config: int) -> float:
        return self.curves[config][-1]

    def best_final(self) -> float:
        finals = [c[-1] for c in self.curves]
        return max(finals) if self.goal == "maximize" else min(finals)

    def regret(self, config: int) -> float:
        """How much worse the configuration's full-budget value is than the table's best."""
        gap = self.best_final() - self.final(config)
        return gap if self.goal == "maximize" else -gap

    def recommend(self, runs: list[tuple[int, list[float]]]) -> int:
        """The configuration a user is handed: the trial with the best last reported value.

        One rule for every system (computed from the curves each reported), so no system's
        own notion of "best" favours it.
        """
        sign = 1.0 if self.goal == "maximize" else -1.0
        config, _ = max(((c, v[-1]) for c, v in runs if v), key=lambda cv: sign * cv[1])
        return config


def simulator_curves() -> CurveTable:
    """hpo-bridge's own built-in `curves` table (synthetic power-law learning curves)."""
    from hpo_bridge.executors.benchmarks import TABLES

    table = TABLES["curves"]()
    return CurveTable(
        "curves",
        "maximize",
        table["metric"],
        [row["values"][:EPOCHS] for row in table["rows"]],
        "the simulator's built-in 100 x 27 learning-curve table (accuracy, maximise)",
    )


def hartmann6_mf(configs: int = 100, seed: int = 7) -> CurveTable:
    """The simulator's `hartmann6-mf` function sampled at `configs` random points."""
    from hpo_bridge.executors.benchmarks import BENCHMARKS

    bench = BENCHMARKS["hartmann6-mf"]
    rng = np.random.default_rng(seed)
    curves = []
    for _ in range(configs):
        point = {name: float(rng.uniform(lo, hi)) for name, (lo, hi) in bench.bounds.items()}
        curves.append([round(v, 6) for v in bench.curve(point, EPOCHS, EPOCHS)])
    return CurveTable(
        "hartmann6-mf",
        "minimize",
        "loss",
        curves,
        f"the simulator's hartmann6-mf at {configs} random points x 27 epochs (minimise)",
    )


def digits_sgd(configs: int = 100, seed: int = 7, reuse: bool = False) -> CurveTable:
    """A real task: SGDClassifier on sklearn digits, validation error per epoch.

    Training the table takes a minute on a busy 2-core machine; a full run trains it
    and keeps it in results/, a quick run (`reuse`) takes that copy when it was made
    with the same settings and scikit-learn version.
    """
    from sklearn import __version__ as sklearn_version

    key = {"configs": configs, "seed": seed, "epochs": EPOCHS, "sklearn": sklearn_version}
    cached = _read_cache(key) if reuse else None
    if cached is not None:
        curves = cached
    else:
        rng = np.random.default_rng(seed)
        curves = []
        for _ in range(configs):
            point = {}
            for p in DIGITS_PARAMS:
                if p.log:
                    point[p.name] = float(np.exp(rng.uniform(np.log(p.low), np.log(p.high))))
                else:
                    point[p.name] = float(rng.uniform(p.low, p.high))
            curves.append(digits_curve(point, EPOCHS))
        CACHE.parent.mkdir(parents=True, exist_ok=True)
        CACHE.write_text(json.dumps({"key": key, "curves": curves}) + "\n")
    return CurveTable(
        "digits-sgd",
        "minimize",
        "error",
        curves,
        f"SGDClassifier on sklearn digits, {configs} random configurations x 27 epochs of "
        "partial_fit, validation error (minimise)",
    )


# -- Syne Tune: the same table as a tabulated blackbox ------------------------------------
def syne_blackbox(table: CurveTable) -> tuple[Any, dict[str, Any], Any]:
    """(blackbox, config_space, to_index) for Syne Tune's UserBlackboxBackend.

    The configuration index is split in two columns (tens and units): Syne Tune's
    tabulated lookup fails on a single-column index with pandas 3.
    """
    import pandas as pd
    import syne_tune.config_space as sp
    from syne_tune.blackbox_repository.blackbox_tabular import BlackboxTabular

    assert table.size % 10 == 0, "tables for Syne Tune have a multiple of 10 rows"
    index = np.arange(table.size)
    hyperparameters = pd.DataFrame({"hi": index // 10, "lo": index % 10})
    space = {"hi": sp.randint(0, table.size // 10 - 1), "lo": sp.randint(0, 9)}
    evaluations = np.zeros((table.size, 1, EPOCHS, 2))
    evaluations[:, 0, :, 0] = np.array(table.curves)
    evaluations[:, 0, :, 1] = SECONDS_PER_EPOCH * np.arange(1, EPOCHS + 1)
    blackbox = BlackboxTabular(
        hyperparameters=hyperparameters,
        configuration_space=space,
        fidelity_space={"epoch": sp.randint(1, EPOCHS)},
        objectives_evaluations=evaluations,
        objectives_names=[table.metric, "elapsed"],
    )

    def to_index(config: dict[str, Any]) -> int:
        return int(config["hi"]) * 10 + int(config["lo"])

    return blackbox, space, to_index
