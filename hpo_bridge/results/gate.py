"""The CI gate: conditions a study's results must meet for a pipeline to pass.

A condition is a requirement `SUBJECT OP NUMBER`, OP one of >= > <= < == !=:
- `objective` (the single objective) or an objective metric's name: the best trial's
  value of it, read per the objective's `measurement`;
- any other metric name: the best trial's last reported value of it;
- `completed`: how many trials completed (ran to their end; stopped ones are not
  counted);
- `failed_fraction`: failed and timed-out trials over the trials that ended for good.

The best trial is `best_trial` (core/ranking.py). With several objectives it is the
trial of the Pareto set that meets the most conditions on metrics (the first by id on a
tie), so a gate asks "is there a trade-off that meets all of these?".

`check` writes requirements (`--objective '>=0.95'`); `--fail-if` writes the condition
that fails the gate (`--fail-if 'objective<0.95'`), which is turned into the requirement
it negates. Each condition gives one line; the gate passes when every one is met.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hpo_bridge.core.ranking import best_trial, pareto_set
from hpo_bridge.core.trial import Trial
from hpo_bridge.results.results import shown_status

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

OPS = (">=", "<=", "==", "!=", ">", "<")
NEGATED = {">=": "<", "<": ">=", "<=": ">", ">": "<=", "==": "!=", "!=": "=="}
OBJECTIVE, COMPLETED, FAILED_FRACTION = "objective", "completed", "failed_fraction"
COUNTS = (COMPLETED, FAILED_FRACTION)
FAILURES = ("failed", "timeout")
ENDED = ("completed", "stopped", "failed", "timeout", "cancelled")

_EXPRESSION = re.compile(r"^\s*(?P<subject>.*?)\s*(?P<op>>=|<=|==|!=|>|<)\s*(?P<value>\S+)\s*$")


class GateError(ValueError):
    """A condition that cannot be read or does not fit the study (a user error)."""


@dataclass(frozen=True)
class Condition:
    """A requirement: `subject op threshold` must hold."""

    subject: str
    op: str
    threshold: float
    flag: str  # how the user wrote it, for messages: "--objective '>=0.95'"

    def holds(self, value: float) -> bool:
        t = self.threshold
        return {">=": value >= t, ">": value > t, "<=": value <= t, "<": value < t,
                "==": math.isclose(value, t, rel_tol=1e-12, abs_tol=1e-12),
                "!=": not math.isclose(value, t, rel_tol=1e-12, abs_tol=1e-12)}[self.op]

    def __str__(self) -> str:
        return f"{self.subject} {self.op} {self.threshold:g}"


def parse(text: str, flag: str, subject: str | None = None, negate: bool = False) -> Condition:
    """`SUBJECT OP NUMBER` (or `OP NUMBER` when `subject` is given by the flag)."""
    match = _EXPRESSION.match(text)
    shown = f"{flag} {text!r}"
    if match is None:
        raise GateError(f"{shown}: write a comparison such as 'objective>=0.95'"
                        f" (operators: {' '.join(OPS)})")
    written = match["subject"]
    if subject is not None and written:
        name = written
    elif subject is not None:
        name = subject
    elif written:
        name = written
    else:
        raise GateError(f"{shown}: name what is compared, e.g. 'objective>=0.95'")
    try:
        threshold = float(match["value"])
    except ValueError:
        raise GateError(f"{shown}: {match['value']!r} is not a number") from None
    if not math.isfinite(threshold):
        raise GateError(f"{shown}: the threshold must be a finite number")
    op = NEGATED[match["op"]] if negate else match["op"]
    return Condition(name, op, threshold, shown)


def check_fits(spec: TuningSpec, trials: list[Trial],
               conditions: list[Condition]) -> list[Condition]:
    """The conditions with `objective` resolved to the objective's metric; GateError (one
    line each) for a condition that names no objective where one is needed, or a metric
    that neither the spec nor any trial knows (a typo would fail the gate forever)."""
    import difflib

    objectives = [o.metric for o in spec.all_objectives]
    known = [*objectives, *(m.name for m in spec.metrics)]
    for trial in trials:
        known += [m for m in trial.metrics if m not in known]
    out, problems = [], []
    for c in conditions:
        if c.subject == OBJECTIVE:
            if spec.multi_objective:
                problems.append(f"{c.flag}: the study has several objectives; name one"
                                f" ({', '.join(objectives)}), e.g. '{objectives[0]}>=...'")
                continue
            c = Condition(objectives[0], c.op, c.threshold, c.flag)
        elif c.subject not in COUNTS and c.subject not in known:
            close = difflib.get_close_matches(c.subject, [*known, *COUNTS, OBJECTIVE], n=1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            problems.append(f"{c.flag}: no metric {c.subject!r} in this study ({hint}known:"
                            f" {', '.join([OBJECTIVE, *COUNTS, *known])})")
            continue
        out.append(c)
    if problems:
        raise GateError("\n".join(problems))
    return out


@dataclass(frozen=True)
class Verdict:
    condition: Condition
    value: float | None
    passed: bool
    where: str  # "trial 7", "12 of 20 ended trials", or why there is no value

    def line(self) -> str:
        shown = "no value" if self.value is None else f"{self.value:.6g}"
        return (f"{self.condition.subject} = {shown} ({self.where}), required"
                f" {self.condition.op} {self.condition.threshold:g}:"
                f" {'passed' if self.passed else 'FAILED'}")


@dataclass(frozen=True)
class GateResult:
    verdicts: list[Verdict]
    trial: Trial | None  # the trial whose values were compared

    @property
    def passed(self) -> bool:
        return all(v.passed for v in self.verdicts)

    def lines(self) -> list[str]:
        out = [f"gate: {v.line()}" for v in self.verdicts]
        failed = sum(1 for v in self.verdicts if not v.passed)
        out.append(f"gate failed: {failed} of {len(self.verdicts)} condition(s) not met"
                   if failed else f"gate passed: {len(self.verdicts)} condition(s) met")
        return out


def metric_of(spec: TuningSpec, trial: Trial, name: str) -> float | None:
    """A trial's value of `name`: per its objective's measurement, else its last report."""
    for o in spec.all_objectives:
        if o.metric == name:
            return trial.metric_value(o.metric, o.goal, o.measurement)
    series = trial.metrics.get(name)
    return series[-1] if series else None


def evaluate(spec: TuningSpec, trials: list[Trial], conditions: list[Condition],
             study_runs: bool = False) -> GateResult:
    counts = Counter(shown_status(t, study_runs) for t in trials)
    on_metrics = [c for c in conditions if c.subject not in COUNTS]
    trial = _compared_trial(spec, trials, on_metrics)
    verdicts = []
    for c in conditions:
        if c.subject == COMPLETED:
            n = counts["completed"]
            verdicts.append(Verdict(c, n, c.holds(n), f"of {len(trials)} trials"))
        elif c.subject == FAILED_FRACTION:
            ended = sum(counts[s] for s in ENDED)
            failed = sum(counts[s] for s in FAILURES)
            fraction = failed / ended if ended else 0.0
            verdicts.append(Verdict(c, fraction, c.holds(fraction),
                                    f"{failed} of {ended} ended trials"))
        elif trial is None:
            verdicts.append(Verdict(c, None, False, "no trial has a result"))
        else:
            value = metric_of(spec, trial, c.subject)
            where = f"trial {trial.id}" if value is not None else \
                f"trial {trial.id} reported no {c.subject}"
            verdicts.append(Verdict(c, value, value is not None and c.holds(value), where))
    return GateResult(verdicts, trial)


def _compared_trial(spec: TuningSpec, trials: list[Trial],
                    conditions: list[Condition]) -> Trial | None:
    if not spec.multi_objective:
        return best_trial(spec, trials)

    def met(trial: Trial) -> int:
        values = [metric_of(spec, trial, c.subject) for c in conditions]
        return sum(1 for c, v in zip(conditions, values, strict=True)
                   if v is not None and c.holds(v))

    candidates = pareto_set(spec, trials)
    return max(candidates, key=lambda t: (met(t), -t.id)) if candidates else None
