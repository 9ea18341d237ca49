"""A study as JUnit XML, the test report format GitHub, GitLab and Jenkins all read.

One `<testsuite>` for the study, one `<testcase>` per trial:
- completed: passed;
- failed or timed out: `<failure>` whose type is the status and message the reason;
- stopped by a rule, cancelled, or interrupted (it runs again on resume): `<skipped>`
  with the reason.
The suite's `<properties>` carry the study (name, status, objective) and its best trial
(`best.trial`, `best.<objective metric>`, `best.params.<name>`; for several objectives the
Pareto set's ids). With a gate, a second suite holds one testcase per condition.

The layout is the common subset of those readers (the Jenkins/Ant schema): attributes
`tests`, `failures`, `errors`, `skipped`, `time` on each suite and on `<testsuites>`.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from hpo_bridge.core.ranking import best_trial, pareto_set
from hpo_bridge.results.results import objective_of, shown_status

if TYPE_CHECKING:
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.results.gate import GateResult
    from hpo_bridge.spec import TuningSpec

FAILURE, SKIPPED = ("failed", "timeout"), ("stopped", "cancelled", "interrupted", "running",
                                             "pending")


def _number(value: object) -> str:
    return f"{value:.6g}" if isinstance(value, float) else str(value)


def _duration(trial: Trial) -> float:
    if trial.started_at is None or trial.ended_at is None:
        return 0.0
    return max(trial.ended_at - trial.started_at, 0.0)


def _case_name(trial: Trial) -> str:
    params = " ".join(f"{k}={_number(v)}" for k, v in trial.params.items())
    return f"trial {trial.id}" + (f": {params}" if params else "")


def _properties(spec: TuningSpec, status: str, trials: list[Trial]) -> list[tuple[str, str]]:
    props = [("study", spec.name), ("status", status),
             ("objective", ", ".join(f"{o.metric} ({o.goal}, {o.measurement})"
                                     for o in spec.all_objectives)),
             ("trials", str(len(trials)))]
    if spec.multi_objective:
        front = pareto_set(spec, trials)
        props.append(("pareto.trials", " ".join(str(t.id) for t in front)))
        return props
    best = best_trial(spec, trials)
    if best is not None:
        props.append(("best.trial", str(best.id)))
        props.append((f"best.{spec.primary.metric}", _number(objective_of(spec, best))))
        props += [(f"best.params.{k}", _number(v)) for k, v in best.params.items()]
    return props


def _suite(parent: ET.Element, name: str, props: list[tuple[str, str]]) -> ET.Element:
    suite = ET.SubElement(parent, "testsuite", name=name)
    if props:
        holder = ET.SubElement(suite, "properties")
        for key, value in props:
            ET.SubElement(holder, "property", name=key, value=value)
    return suite


def _count(suite: ET.Element, tests: int, failures: int, skipped: int, time: float) -> None:
    suite.set("tests", str(tests))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    suite.set("time", f"{time:.3f}")


def junit_xml(spec: TuningSpec, trials: list[Trial], *, status: str, study_runs: bool = False,
              gate: GateResult | None = None) -> str:
    """The study (and the gate's conditions, when given) as a JUnit XML document."""
    root = ET.Element("testsuites", name=f"hpo-bridge {spec.name}")
    suite = _suite(root, spec.name, _properties(spec, status, trials))
    failures = skipped = 0
    total_time = 0.0
    for trial in sorted(trials, key=lambda t: t.id):
        shown = shown_status(trial, study_runs)
        time = _duration(trial)
        total_time += time
        case = ET.SubElement(suite, "testcase", classname=f"hpo-bridge.{spec.name}",
                             name=_case_name(trial), time=f"{time:.3f}")
        reason = trial.reason or shown
        if shown in FAILURE:
            failures += 1
            ET.SubElement(case, "failure", type=shown, message=reason).text = reason
        elif shown in SKIPPED:
            skipped += 1
            ET.SubElement(case, "skipped", message=f"{shown}: {reason}")
        out = ", ".join(f"{name}={_number(series[-1])}" for name, series in trial.metrics.items()
                        if series)
        ET.SubElement(case, "system-out").text = (
            f"status {shown}; {trial.intervals} interval(s)" + (f"; {out}" if out else ""))
    _count(suite, len(trials), failures, skipped, total_time)
    tests, failed_all = len(trials), failures
    if gate is not None:
        gate_suite = _suite(root, f"{spec.name} gate", [])
        gate_failures = 0
        for verdict in gate.verdicts:
            case = ET.SubElement(gate_suite, "testcase", classname=f"hpo-bridge.{spec.name}.gate",
                                 name=str(verdict.condition), time="0.000")
            if not verdict.passed:
                gate_failures += 1
                ET.SubElement(case, "failure", type="gate",
                              message=verdict.line()).text = verdict.line()
        _count(gate_suite, len(gate.verdicts), gate_failures, 0, 0.0)
        tests += len(gate.verdicts)
        failed_all += gate_failures
    _count(root, tests, failed_all, skipped, total_time)
    ET.indent(root)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
