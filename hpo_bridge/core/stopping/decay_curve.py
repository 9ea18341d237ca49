"""Vertex AI's decay-curve automated stopping (`decay_curve_stopping_spec`), approximated.

Google describes it as Gaussian-process regression that predicts a trial's final objective
value from the curves of the completed trials and the trial's own intermediate
measurements, stopping the trial when it has little chance to beat the best one. Google
does not publish the model, so this is an approximation, written down here:

- at step k the model is fitted on the completed trials (ended with a result) that
  reported at step k: features are their value at k and their running average over
  1..k, the target is their final objective (per `objective.measurement`);
- scikit-learn's `GaussianProcessRegressor` (a constant times an RBF kernel with one
  length scale per feature, plus a white-noise kernel; standardised features and
  targets; deterministic: no random restarts) predicts the trial's final value with a
  mean and a standard deviation;
- the trial stops when the probability (normal) that its final value beats the best
  completed trial's final value is below `STOP_PROBABILITY` (5%);
- nothing is decided before `MIN_COMPLETED` (3) completed trials reached step k, nor at
  steps where the rule does not evaluate (`evaluation_interval`, `delay_evaluation`).

Scores are "higher is better" throughout (negated values when minimising). A model is
fitted once per step and per size of the completed set, then reused.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.stopping._history import IntervalRule, TrialSeries, fmt
from hpo_bridge.core.stopping.base import CONTINUE, Decision

if TYPE_CHECKING:
    from hpo_bridge.core.trial import TrialStatus
    from hpo_bridge.spec import TuningSpec

MIN_COMPLETED = 3
STOP_PROBABILITY = 0.05
INSTALL_HINT = "policy decay_curve needs scikit-learn (pip install 'hpo-bridge[vertex]')"


def features(series: TrialSeries, index: int) -> list[float]:
    """The curve at report `index`: its value there and its running average."""
    value = series.sums[index] - (series.sums[index - 1] if index else 0.0)
    return [value, series.mean_at(index)]


def chance_to_beat(mean: float, std: float, best: float) -> float:
    """P(N(mean, std) > best)."""
    if std <= 0:
        return 1.0 if mean > best else 0.0
    return 0.5 * math.erfc((best - mean) / (std * math.sqrt(2)))


class DecayCurveRule(IntervalRule):
    name = "decay_curve"

    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        try:
            import sklearn.gaussian_process  # noqa: F401
        except ImportError as exc:
            raise ImportError(INSTALL_HINT) from exc
        self.measurement = spec.primary.measurement
        self.finals: dict[int, float] = {}  # completed trial -> final score
        self._models: dict[int, tuple[int, Any]] = {}  # step -> (set size, model or None)

    def report(self, trial_id: int, interval: int, value: float) -> None:
        self.history.record(trial_id, interval, value)

    def ended(self, trial_id: int, status: TrialStatus) -> None:
        self.history.finished.add(trial_id)
        series = self.history.trials.get(trial_id)
        if status.counts_as_result and series is not None and series.sums:
            last = series.sums[-1] - (series.sums[-2] if len(series.sums) > 1 else 0.0)
            self.finals[trial_id] = series.best[-1] if self.measurement == "best" else last

    def model(self, step: int) -> Any:
        """The regressor for `step` (None while too few completed trials reached it)."""
        cached = self._models.get(step)
        if cached is not None and cached[0] == len(self.finals):
            return cached[1]
        rows, targets = [], []
        for trial_id, final in self.finals.items():
            found = self.history.at(trial_id, step)
            if found is not None:
                rows.append(features(*found))
                targets.append(final)
        fitted = _fit(rows, targets) if len(rows) >= MIN_COMPLETED else None
        self._models[step] = (len(self.finals), fitted)
        return fitted

    def decide(self, trial_id: int, interval: int) -> Decision:
        found = self._evaluated(trial_id, interval)
        if found is None or not self.finals:
            return CONTINUE
        model = self.model(interval)
        if model is None:
            return CONTINUE
        mean, std = model.predict([features(*found)], return_std=True)
        best = max(self.finals.values())
        chance = chance_to_beat(float(mean[0]), float(std[0]), best)
        if chance >= STOP_PROBABILITY:
            return CONTINUE
        predicted, shown_best = self.history.value(float(mean[0])), self.history.value(best)
        return Decision(
            True,
            f"decay_curve: predicted final {fmt(predicted)} +- {fmt(float(std[0]))} has a"
            f" {chance:.1%} chance to beat the best {fmt(shown_best)} at step {interval}",
        )


def _fit(rows: list[list[float]], targets: list[float]) -> Any:
    import warnings

    import numpy as np
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.gaussian_process import GaussianProcessRegressor
    from sklearn.gaussian_process.kernels import RBF, ConstantKernel, WhiteKernel
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    kernel = ConstantKernel(1.0, (1e-3, 1e3)) * RBF(length_scale=[1.0, 1.0]) \
        + WhiteKernel(1e-2, noise_level_bounds=(1e-10, 1.0))
    model = make_pipeline(StandardScaler(),
                          GaussianProcessRegressor(kernel=kernel, normalize_y=True))
    with warnings.catch_warnings():  # a bound reached on a handful of points is expected
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(np.asarray(rows, dtype=float), np.asarray(targets, dtype=float))
    return model
