"""Hyperparameter importance, by optuna's own importance evaluators on the study's trials.

The trials with a result (completed or stopped early, with the objective's value) are
added to an in-memory optuna study, one per objective, and each evaluator ranks the
parameters they all share: fANOVA (optuna's default; a random forest, scikit-learn) and
mean decrease in impurity (scikit-learn) where scikit-learn is installed, PED-ANOVA
(optuna alone) always. Seeded, so a study always gives the same figures. Each figure is
a share of 1 per evaluator (optuna's normalisation).

Numeric parameters enter as floats over their observed range (log when their domain is
log), anything else as a categorical over the values' text (past MAX_ONE_HOT values, as
the value's index in the domain's order: fANOVA's cost grows steeply with one-hot
columns), so any spec works.
"""

from __future__ import annotations

import importlib.util
import logging
import math
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.ranges import Choice, NumericRange, as_range
from hpo_bridge.core.trial import Trial
from hpo_bridge.results.axes import is_number
from hpo_bridge.results.charts import empty, objective_value, param_names
from hpo_bridge.results.svg import coord, esc, fmt_number, line, short, svg, text

if TYPE_CHECKING:
    from hpo_bridge.spec import Objective, TuningSpec

MIN_TRIALS = 4  # fewer results say nothing about importance
SEED = 0
N_TREES = 32  # optuna's default is 64; half keeps thousands of trials fast, still seeded
# optuna's fANOVA is pure Python and grows faster than linearly with the trials (about 2 s
# for 300, 25 s for 1,200 here): past this many it runs on an even sample (every k-th).
FANOVA_MAX = 300
MAX_ONE_HOT = 8  # a categorical with more values enters as its value's index...
MAX_ONE_HOT_COLUMNS = 16  # ...and every one does when they would make more columns


@dataclass(frozen=True)
class Importances:
    objective: str
    trials: int  # how many results were used
    by_evaluator: dict[str, dict[str, float]]  # evaluator -> parameter -> share
    missing: tuple[str, ...] = ()  # evaluators that could not run here, and why
    sampled: dict[str, int] = field(default_factory=dict)  # evaluator -> trials it used


def _evaluators() -> tuple[list[tuple[str, Callable[[], Any]]], tuple[str, ...]]:
    from optuna import importance

    found: list[tuple[str, Callable[[], Any]]] = []
    missing: tuple[str, ...] = ()
    if importlib.util.find_spec("sklearn") is not None:
        found += [
            ("fANOVA", lambda: importance.FanovaImportanceEvaluator(n_trees=N_TREES,
                                                                   seed=SEED)),
            ("mean decrease impurity", lambda: importance.MeanDecreaseImpurityImportanceEvaluator(
                n_trees=N_TREES, seed=SEED)),
        ]
    else:
        missing = ("fANOVA and mean decrease impurity need scikit-learn"
                   " (pip install 'hpo-bridge[importance]')",)
    found.append(("PED-ANOVA", importance.PedAnovaImportanceEvaluator))
    return found, missing


def _distribution(spec: TuningSpec, name: str, values: list[Any],
                  one_hot: bool = True) -> tuple[Any, list[Any]]:
    from optuna.distributions import CategoricalDistribution, FloatDistribution

    if all(is_number(v) for v in values):
        numbers = [float(v) for v in values]
        low, high = min(numbers), max(numbers)
        domain = spec.search_space.get(name)
        r = as_range(domain) if domain is not None else None
        log = isinstance(r, NumericRange) and r.log and low > 0
        return FloatDistribution(low, high, log=log), numbers
    texts = [str(v) for v in values]
    choices = sorted(set(texts))
    if one_hot and len(choices) <= MAX_ONE_HOT:
        return CategoricalDistribution(choices), texts
    # Many categories: their index (in the domain's order), which a forest splits as well,
    # instead of one column each (fANOVA's cost explodes with one-hot columns).
    domain = spec.search_space.get(name)
    r = as_range(domain) if domain is not None else None
    order = [str(v) for v in r.values] if isinstance(r, Choice) else []
    order += [c for c in choices if c not in order]
    index = {c: float(i) for i, c in enumerate(order)}
    return FloatDistribution(0.0, float(len(order) - 1)), [index[t] for t in texts]


def param_importances(spec: TuningSpec, trials: list[Trial],
                      objective: Objective) -> Importances | str:
    """Each evaluator's importances, or why there are none (a sentence)."""
    import optuna

    scored = [(t, objective_value(t, objective)) for t in trials if t.status.counts_as_result]
    scored = [(t, v) for t, v in scored if v is not None and math.isfinite(v)]
    names = [n for n in param_names(spec, trials) if all(n in t.params for t, _ in scored)]
    if len(scored) < MIN_TRIALS:
        return f"Parameter importance needs at least {MIN_TRIALS} trials with a result."
    observed = {n: [t.params[n] for t, _ in scored] for n in names}
    categories = sum(len({str(v) for v in vs}) for vs in observed.values()
                     if not all(is_number(v) for v in vs))
    one_hot = categories <= MAX_ONE_HOT_COLUMNS
    columns = {n: _distribution(spec, n, observed[n], one_hot) for n in names}
    names = [n for n in names if len(set(map(str, columns[n][1]))) > 1]  # constants: none
    if not names:
        return "No parameter varies across the trials with a result."
    logging.getLogger("optuna").setLevel(logging.WARNING)

    def study_of(rows: range) -> Any:
        study = optuna.create_study(direction=objective.goal)
        study.add_trials([
            optuna.trial.create_trial(
                params={n: columns[n][1][i] for n in names},
                distributions={n: columns[n][0] for n in names}, value=scored[i][1])
            for i in rows])
        return study

    everything = study_of(range(len(scored)))
    evaluators, missing = _evaluators()
    found: dict[str, dict[str, float]] = {}
    sampled: dict[str, int] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # optuna marks evaluators experimental
        for label, make in evaluators:
            study = everything
            if label == "fANOVA" and len(scored) > FANOVA_MAX:
                rows = range(0, len(scored), -(-len(scored) // FANOVA_MAX))
                study, sampled[label] = study_of(rows), len(rows)
            # params=None: the study holds exactly `names`. (optuna 5's mean decrease
            # impurity pairs its figures with `params` in the order given but computes them
            # in its distributions' order, so naming them would mislabel the figures.)
            found[label] = {n: float(v) for n, v in optuna.importance.get_param_importances(
                study, evaluator=make()).items()}
    return Importances(objective.metric, len(scored), found, missing, sampled)


# -- the chart --------------------------------------------------------------------------
LEFT, ROW, BAR_GAP = 130.0, 12.0, 4.0
WIDTH = 380.0


def importance_chart(result: Importances | str) -> str:
    """Horizontal bars: one group per parameter (most important first by the first
    evaluator), one bar per evaluator."""
    if isinstance(result, str):
        return empty(result)
    evaluators = list(result.by_evaluator)
    first = result.by_evaluator[evaluators[0]]
    names = sorted(first, key=lambda n: (-first[n], n))
    group = ROW * len(evaluators) + BAR_GAP * 2
    top = 8.0 + 16.0 * ((len(evaluators) + 1) // 2)
    body: list[str] = []
    for k, label in enumerate(evaluators):  # the legend, two per line
        kx, ky = LEFT + (k % 2) * 190, 10.0 + 16 * (k // 2)
        body.append(f'<rect class="bar e{k}" x="{coord(kx)}" y="{coord(ky)}" width="10"'
                    f' height="8"/>')
        body.append(text(kx + 14, ky + 8, label, "lbl"))
    ticks = []
    for i, name in enumerate(names):
        y0 = top + i * group + BAR_GAP
        ticks.append(text(LEFT - 6, y0 + ROW * len(evaluators) / 2 + 3.5, short(name, 19),
                          "tick", "end"))
        for k, label in enumerate(evaluators):
            share = result.by_evaluator[label].get(name, 0.0)
            y = y0 + k * ROW
            body.append(f'<rect class="bar e{k}" x="{coord(LEFT)}" y="{coord(y)}"'
                        f' width="{coord(max(0.5, share * WIDTH))}" height="{coord(ROW - 1)}">'
                        f"<title>{esc(name)}: {esc(label)} {fmt_number(share, 3)}</title></rect>")
            body.append(text(LEFT + share * WIDTH + 4, y + ROW - 1.5, fmt_number(share, 2),
                             "lbl"))
    body.append('<g class="ticks y">' + "".join(ticks) + "</g>")
    bottom = top + group * len(names)
    body.append(line(LEFT, top, LEFT, bottom, "axis"))
    label = (f"importance of each parameter for {result.objective}"
             f" ({result.trials} trials), by {', '.join(evaluators)}")
    return svg(LEFT + WIDTH + 50, bottom + 8, "chart importance", label, body,
               metric=result.objective)
