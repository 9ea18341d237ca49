"""check, and what `run`/`resume` share with it for CI: the gate and the machine outputs.

    hpo-bridge check DIR --objective '>=0.95' --min-completed 5 --max-failed-fraction 0.2
    hpo-bridge run SPEC --fail-if 'objective<0.95' --junit junit.xml --summary summary.md

Exit codes: 0 the gate passed (or none was given); 3 the gate failed (EXIT_GATE: not 1,
"the study failed", nor 2, a user error); 2 a condition that cannot be read. `run` keeps
its own codes when the study did not finish (1 failed, 130/143 interrupted): the study's
fate comes first, the gate after.

Outputs (`--junit`, `--summary`, `--summary-json`) are written whatever the gate says; the
Markdown summary is also appended to `$GITHUB_STEP_SUMMARY` when that variable is set
(GitHub Actions shows it on the run's page).
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from hpo_bridge.commands._support import EXIT_GATE, EXIT_OK, fail, study_errors

if TYPE_CHECKING:
    from hpo_bridge.results.gate import Condition, GateResult
    from hpo_bridge.spec import TuningSpec
    from hpo_bridge.study import StudySnapshot

STEP_SUMMARY_ENV = "GITHUB_STEP_SUMMARY"

# -- options shared by run, resume and check -------------------------------------------------
FailIf = Annotated[
    list[str] | None,
    typer.Option("--fail-if", metavar="EXPR",
                 help="Fail the gate (exit 3) when this holds for the results, e.g."
                      " 'objective<0.95', 'val_loss>0.3', 'completed<5',"
                      " 'failed_fraction>0.2'. Repeatable."),
]
Junit = Annotated[
    Path | None,
    typer.Option("--junit", metavar="FILE",
                 help="Write JUnit XML: one testcase per trial (and per gate condition)."),
]
Summary = Annotated[
    Path | None,
    typer.Option("--summary", metavar="FILE",
                 help="Write a Markdown summary (also appended to $GITHUB_STEP_SUMMARY when"
                      " it is set)."),
]
SummaryJson = Annotated[
    Path | None,
    typer.Option("--summary-json", metavar="FILE", help="Write the summary as JSON."),
]


@dataclass
class CiOutputs:
    """What a command was asked to check and write after a study's run."""

    conditions: list[Condition] = field(default_factory=list)
    junit: Path | None = None
    summary: Path | None = None
    summary_json: Path | None = None

    @property
    def wanted(self) -> bool:
        return bool(self.conditions or self.junit or self.summary or self.summary_json
                    or os.environ.get(STEP_SUMMARY_ENV))


def register(app: typer.Typer) -> None:
    app.command(epilog="Exit codes: 0 the gate passed, 3 it failed, 2 a user error.")(check)


def parse_conditions(fail_if: list[str] | None = None, objective: list[str] | None = None,
                     metric: list[str] | None = None, min_completed: int | None = None,
                     max_failed_fraction: float | None = None) -> list[Condition]:
    """Every condition of the command line, as requirements; exit 2 on one that does not
    read (one line each)."""
    from hpo_bridge.results.gate import COMPLETED, FAILED_FRACTION, Condition, GateError, parse

    conditions: list[Condition] = []
    problems: list[str] = []
    for flag, texts, subject, negate in (("--objective", objective, "objective", False),
                                         ("--metric", metric, None, False),
                                         ("--fail-if", fail_if, None, True)):
        for text in texts or []:
            try:
                conditions.append(parse(text, flag, subject=subject, negate=negate))
            except GateError as exc:
                problems.append(str(exc))
    if min_completed is not None:
        conditions.append(Condition(COMPLETED, ">=", float(min_completed),
                                    f"--min-completed {min_completed}"))
    if max_failed_fraction is not None:
        conditions.append(Condition(FAILED_FRACTION, "<=", max_failed_fraction,
                                    f"--max-failed-fraction {max_failed_fraction}"))
    if problems:
        fail("\n".join(problems))
    return conditions


def precheck(spec: TuningSpec, outputs: CiOutputs) -> None:
    """Before a run: conditions that cannot fit the spec (exit 2, nothing run)."""
    from hpo_bridge.results.gate import OBJECTIVE, GateError, check_fits

    objectives = [o.metric for o in spec.all_objectives]
    try:  # metric names are checked after the run: a report line may bring any metric
        check_fits(spec, [], [c for c in outputs.conditions
                              if c.subject == OBJECTIVE or c.subject in objectives])
    except GateError as exc:
        fail(str(exc))
    _check_objective_flags(spec, outputs.conditions)


def _check_objective_flags(spec: TuningSpec, conditions: list[Condition]) -> None:
    objectives = [o.metric for o in spec.all_objectives]
    wrong = [c for c in conditions if c.flag.startswith("--objective")
             and c.subject not in ("objective", *objectives)]
    if wrong:
        fail("\n".join(f"{c.flag}: {c.subject!r} is not an objective of the study"
                       f" ({', '.join(objectives)}); use --metric for other metrics"
                       for c in wrong))


def gate_of(snap: StudySnapshot, conditions: list[Condition]) -> GateResult | None:
    from hpo_bridge.results.gate import GateError, check_fits, evaluate

    if not conditions:
        return None
    _check_objective_flags(snap.spec, conditions)
    try:
        fitted = check_fits(snap.spec, snap.trials, conditions)
    except GateError as exc:
        fail(str(exc))
    return evaluate(snap.spec, snap.trials, fitted, study_runs=snap.live)


def _write(path: Path, text: str, flag: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        fail(f"{flag} {path}: cannot write: {exc.strerror or exc}")


def write_outputs(snap: StudySnapshot, outputs: CiOutputs, gate: GateResult | None) -> None:
    from hpo_bridge.results.junit import junit_xml
    from hpo_bridge.results.summary import summary_dict, summary_markdown

    if outputs.junit is not None:
        _write(outputs.junit, junit_xml(snap.spec, snap.trials, status=snap.status,
                                        study_runs=snap.live, gate=gate), "--junit")
    markdown = summary_markdown(snap, gate)
    if outputs.summary is not None:
        _write(outputs.summary, markdown, "--summary")
    if outputs.summary_json is not None:
        _write(outputs.summary_json, json.dumps(summary_dict(snap, gate), indent=2) + "\n",
               "--summary-json")
    step_summary = os.environ.get(STEP_SUMMARY_ENV)
    if step_summary:
        try:
            with open(step_summary, "a", encoding="utf-8") as fh:
                fh.write(markdown + "\n")
        except OSError as exc:
            typer.echo(f"warning: ${STEP_SUMMARY_ENV} {step_summary}: cannot write:"
                       f" {exc.strerror or exc}", err=True)


def after_run(directory: Path, code: int, outputs: CiOutputs) -> int:
    """Write the outputs of a study that ran and judge its gate; the exit code: the run's
    own when it is not 0, else 3 when the gate failed."""
    from hpo_bridge import study

    if not outputs.wanted:
        return code
    with study_errors():
        snap = study.snapshot(directory, refresh=False)
    gate = gate_of(snap, outputs.conditions)
    write_outputs(snap, outputs, gate)
    if gate is None:
        return code
    for line in gate.lines():
        typer.echo(line)
    if code == EXIT_OK and not gate.passed:
        return EXIT_GATE
    return code


def check(
    directory: Annotated[Path, typer.Argument(help="The study directory.", metavar="DIR")],
    objective: Annotated[
        list[str] | None,
        typer.Option("--objective", metavar="EXPR",
                     help="The best trial's objective must meet this, e.g. '>=0.95' (name the"
                          " objective with several: 'accuracy>=0.9'). Repeatable."),
    ] = None,
    metric: Annotated[
        list[str] | None,
        typer.Option("--metric", metavar="EXPR",
                     help="A metric of the best trial must meet this, e.g. 'val_loss<=0.3'"
                          " (its last report). Repeatable."),
    ] = None,
    min_completed: Annotated[
        int | None, typer.Option(min=0, metavar="N",
                                 help="At least N trials must have completed."),
    ] = None,
    max_failed_fraction: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, metavar="F",
                     help="At most this fraction of the ended trials may have failed or"
                          " timed out."),
    ] = None,
    fail_if: FailIf = None,
    junit: Junit = None,
    summary: Summary = None,
    summary_json: SummaryJson = None,
) -> None:
    """Gate a pipeline on a study's results: exit 3 when a condition is not met.

    With several objectives the compared trial is the Pareto set's one that meets most
    conditions. The outputs are written whatever the verdict.
    """
    from hpo_bridge import study

    conditions = parse_conditions(fail_if, objective, metric, min_completed,
                                  max_failed_fraction)
    with study_errors():
        snap = study.snapshot(directory)
    for warning in snap.warnings:
        typer.echo(f"warning: {warning}", err=True)
    gate = gate_of(snap, conditions)
    write_outputs(snap, CiOutputs(conditions, junit, summary, summary_json), gate)
    typer.echo(f"study {snap.spec.name}: {snap.status}"
               + (f" - {snap.reason}" if snap.reason else ""))
    if gate is None:
        typer.echo("gate: no conditions given")
        return
    for line in gate.lines():
        typer.echo(line)
    raise typer.Exit(EXIT_OK if gate.passed else EXIT_GATE)
