"""The TrialContract interface and what every contract shares.

A contract turns (spec, trial params, trial folder) into a `Launch`: the
argument list, the environment variables it adds, the files it prepares in
the trial folder, and the metric channels to read. The executor runs the
launch; it knows nothing of clouds.

Checkpoints: every trial has a checkpoint folder in its own folder, where the
contract's scripts save them (`checkpoint_folder`: `checkpoints/` - SageMaker's
/opt/ml/checkpoints, Vertex's AIP_CHECKPOINT_DIR -, Azure's `outputs/`). A trial
that resumes (population-based training, an interrupted trial run again) finds
a copy of its source's checkpoint folder where the contract puts it
(`restore_folder`: by default the checkpoint folder itself, already filled, as
SageMaker fills /opt/ml/checkpoints from S3 and Vertex reuses the checkpoint
folder; Azure's `--resume-from` names a separate one), copied by the executor
before the launch (`TrialContext.restore_dir`). Under every contract the trial
also gets HPO_BRIDGE_CHECKPOINT_DIR (where to save) and, when it resumes,
HPO_BRIDGE_RESTORE_FROM (where the checkpoint to load is).
"""

from __future__ import annotations

import os
import re
import sys
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from hpo_bridge.core.trial import TrialStatus
from hpo_bridge.metrics.base import LineParser, MetricSource
from hpo_bridge.metrics.regex import RegexExtractor
from hpo_bridge.spec.names import PYTHON_WORDS

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

_NO_RESOLVE_AFTER = ("-m", "-c")  # `python -m pkg`: a module name, not a path
CHECKPOINT_DIR_VAR = "HPO_BRIDGE_CHECKPOINT_DIR"  # where the trial saves its checkpoints
RESTORE_FROM_VAR = "HPO_BRIDGE_RESTORE_FROM"  # set when it resumes: the checkpoint to load


class ContractError(Exception):
    """The spec or the machine cannot run this contract: one line per problem, exit code 2."""


@dataclass(frozen=True)
class TrialContext:
    """Everything a contract may use to build one trial's launch."""

    spec: TuningSpec
    trial_id: int
    params: Mapping[str, Any]
    trial_dir: Path
    study_dir: Path
    resource: int | None = None  # the budget a multi-fidelity searcher assigned
    device: str | None = None  # the accelerator handed to this trial
    stage: str = "hpo"  # "hpo", or Vega's "fullytrain"
    # With trial.check_args: the options the script accepts (others are not passed).
    accepted_args: frozenset[str] | None = None
    restore_dir: Path | None = None  # the checkpoint it resumes from, copied in (see above)


@dataclass
class Launch:
    """What to run and where its metrics come from."""

    argv: list[str]
    env: dict[str, str] = field(default_factory=dict)  # added to the inherited environment
    line_parsers: list[LineParser] = field(default_factory=list)  # over stdout and stderr
    sources: list[MetricSource] = field(default_factory=list)  # files, stores
    on_finish: Callable[[TrialStatus], None] | None = None  # e.g. close the MLflow run


@dataclass
class MetricProblems:
    """What `TrialContract.metric_problems` found: one line each, naming the field."""

    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def unread_objectives(spec: TuningSpec) -> list[tuple[str, str]]:
    """(objective metric, hint) for each objective metric no regex of `metrics` reads; the
    hint names the regexes there are (and the closest name)."""
    import difflib

    defined = [m.name for m in spec.metrics]
    out = []
    for objective in spec.all_objectives:
        if objective.metric in defined:
            continue
        close = difflib.get_close_matches(objective.metric, defined, n=1, cutoff=0.6)
        hint = f"did you mean {close[0]!r}? " if close else ""
        listed = ", ".join(repr(n) for n in defined) if defined else "none"
        out.append((objective.metric, f"{hint}regexes for: {listed}"))
    return out


class TrialContract(ABC):
    """Builds a trial's argv, environment and files, and names its metric channels.

    Contracts are created with no arguments (`factory()`); `setup` runs once
    per study before any trial, `launch` once per trial.
    """

    name: ClassVar[str]
    #: The options the script accepts, read from its --help (trial.check_args), else None.
    accepted_args: frozenset[str] | None = None
    #: Where the trial saves its checkpoints, relative to its folder.
    checkpoint_folder: ClassVar[str] = "checkpoints"
    #: Where a checkpoint to resume from is copied; None: into `checkpoint_folder`.
    restore_folder: ClassVar[str | None] = None
    #: Whether an interrupted trial run again resumes from its checkpoint when the spec
    #: does not say (`trial.resume_from_checkpoint`): False where resuming changes the
    #: command line (Azure's --resume-from), which a script must accept.
    resumes_reruns: ClassVar[bool] = True

    def checkpoint_dir(self, trial_dir: Path) -> Path:
        return trial_dir / self.checkpoint_folder

    def restore_target(self, trial_dir: Path) -> Path:
        """Where the executor copies the checkpoint a trial resumes from."""
        return trial_dir / (self.restore_folder or self.checkpoint_folder)

    @classmethod
    def spec_problems(cls, spec: TuningSpec) -> list[tuple[str, str]]:
        """What this contract can tell is wrong from the spec alone, as (dotted path,
        message) pairs: above all, names that become file or folder names in a trial's
        folder. Spec validation reports them (the catalogue carries this check), so
        `validate` says what `run` would trip over. Reads only `trial`, `objective(s)`
        and `metrics`; never the machine (that is `setup`)."""
        return []

    def setup(self, spec: TuningSpec, study_dir: Path) -> None:
        """Check the spec against this contract and prepare the study; raise ContractError."""
        command = resolve_command(spec)
        check_summary_reader(spec)
        if spec.trial.check_args:
            self.accepted_args = _accepted(spec, command)

    def metric_problems(self, spec: TuningSpec) -> MetricProblems:
        """Objective metrics this contract's channels cannot produce: errors refuse the
        spec (`validate`, `run`: exit code 2), warnings are printed. Default: none, for
        contracts whose channel takes any metric name (a metric file, MLflow)."""
        return MetricProblems()

    def launch(self, ctx: TrialContext) -> Launch:
        self.checkpoint_dir(ctx.trial_dir).mkdir(parents=True, exist_ok=True)
        if self.accepted_args is not None and ctx.accepted_args is None:
            ctx = replace(ctx, accepted_args=self.accepted_args)
        self.prepare(ctx)
        return Launch(
            argv=self.command(ctx),
            env={**self.checkpoint_environment(ctx), **self.environment(ctx)},
            line_parsers=self.line_parsers(ctx),
            sources=self.sources(ctx) + summary_sources(ctx),
        )

    def checkpoint_environment(self, ctx: TrialContext) -> dict[str, str]:
        """HPO_BRIDGE_CHECKPOINT_DIR, and HPO_BRIDGE_RESTORE_FROM when the trial resumes."""
        env = {CHECKPOINT_DIR_VAR: str(self.checkpoint_dir(ctx.trial_dir))}
        if ctx.restore_dir is not None:
            env[RESTORE_FROM_VAR] = str(ctx.restore_dir)
        return env

    def command(self, ctx: TrialContext) -> list[str]:
        return resolve_command(ctx.spec) + self.arguments(ctx)

    @abstractmethod
    def arguments(self, ctx: TrialContext) -> list[str]:
        """The hyperparameters (and static args) as command-line arguments."""

    def prepare(self, ctx: TrialContext) -> None:  # noqa: B027 - optional hook
        """Write the files the trial expects in its folder."""

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        return {}

    def line_parsers(self, ctx: TrialContext) -> list[LineParser]:
        """The spec's regexes apply under every contract: the user asked for them."""
        extractor = RegexExtractor(ctx.spec.metrics)
        return [extractor] if extractor else []

    def sources(self, ctx: TrialContext) -> list[MetricSource]:
        return []

    def study_ended(self, study_dir: Path) -> list[str]:
        """The study's run (or resume) is over and its journal committed: write what this
        contract's tool leaves behind (Vega's task layout). Returns lines to show."""
        return []


# -- shared helpers ------------------------------------------------------------------------
def summary_sources(ctx: TrialContext) -> list[MetricSource]:
    """`trial.summary_dir`'s TensorFlow event files, whatever the contract (the user asked
    for them, as for the regexes)."""
    folder = ctx.spec.trial.summary_dir
    if folder is None:
        return []
    from hpo_bridge.metrics.tf_events import SummarySource

    return [SummarySource(ctx.trial_dir / folder)]


def format_value(value: Any) -> str:
    """A hyperparameter as text: booleans lower-case (as in trial.env), floats shortest repr."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    return str(value)


def budget(ctx: TrialContext) -> dict[str, int]:
    """The budget the trial is given (multi-fidelity), under the resource's name
    (`trial.resource.name`, e.g. {"epochs": 9}); empty when it has none."""
    if ctx.resource is None:
        return {}
    resource = ctx.spec.trial.resource
    return {resource.name if resource is not None else "epochs": ctx.resource}


def all_values(ctx: TrialContext, with_budget: bool = True) -> dict[str, Any]:
    """Sampled params, then static args (trial.args) not already sampled, then the
    assigned budget (it wins over a static arg of the same name: the tuner assigned it);
    with trial.check_args, only those the script accepts (`ctx.accepted_args`)."""
    merged = dict(ctx.params)
    for name, value in ctx.spec.trial.args.items():
        merged.setdefault(name, value)
    if with_budget:
        merged.update(budget(ctx))
    if ctx.accepted_args is not None:
        merged = {name: v for name, v in merged.items() if name in ctx.accepted_args}
    return merged


def _accepted(spec: TuningSpec, command: list[str]) -> frozenset[str]:
    """The options the trial's script accepts, from its --help run where trials run."""
    from hpo_bridge.contracts.arg_check import ArgCheckError, accepted_options

    check_script(spec)  # a missing script: its own clear line, not --help's failure
    code = str(spec.code_dir)
    env = {"PYTHONPATH": os.pathsep.join(p for p in (code, os.environ.get("PYTHONPATH")) if p),
           **spec.trial.env}
    try:
        return accepted_options(command, spec.code_dir, env)
    except ArgCheckError as exc:
        raise ContractError(f"trial.check_args: {exc}") from None


def equals_args(values: Mapping[str, Any]) -> list[str]:
    """`--name=value` each, one argv element; a None value is the bare flag `--name`."""
    return [f"--{name}" if value is None else f"--{name}={format_value(value)}"
            for name, value in values.items()]


def env_name(name: str) -> str:
    """`learning-rate` -> `LEARNING_RATE`: what a shell accepts as a variable name."""
    return re.sub(r"[^A-Za-z0-9_]", "_", name).upper()


def check_summary_reader(spec: TuningSpec) -> None:
    """`trial.summary_dir` needs the tensorboard package: refused before any trial runs."""
    if spec.trial.summary_dir is None:
        return
    from hpo_bridge.metrics.tf_events import require_reader

    try:
        require_reader()
    except ImportError as exc:
        raise ContractError(f"trial.summary_dir: {exc}") from None


def check_script(spec: TuningSpec) -> None:
    """A `[python, X.py, ...]` command whose script is missing is refused before any trial
    runs (one line, exit code 2), not as N failed trials."""
    command = spec.trial.command or []
    if len(command) >= 2 and command[0] in PYTHON_WORDS and command[1].endswith(".py") \
            and not (spec.code_dir / command[1]).exists():  # an absolute path stays itself
        raise ContractError(f"trial.command: script {command[1]} not found in {spec.code_dir}")


def resolve_command(spec: TuningSpec) -> list[str]:
    """trial.command with `python`/`python3` as the running interpreter (or trial.python)
    and relative paths resolved against trial.code."""
    command = spec.trial.command
    if not command:
        raise ContractError(
            "trial.command: give the command that runs one trial, e.g. [python, train.py]"
        )
    code = spec.code_dir
    first, *rest = command
    if first in PYTHON_WORDS:
        python = spec.trial.python
        if python is None:
            argv = [sys.executable]
        else:
            argv = [str(spec.base_dir / python) if "/" in python else python]
    else:
        argv = [_resolve(first, code, program=True)]
    previous = ""
    for word in rest:
        argv.append(word if previous in _NO_RESOLVE_AFTER else _resolve(word, code))
        previous = word
    return argv


def _resolve(word: str, code: Path, program: bool = False) -> str:
    if not word or word.startswith("-") or "${{" in word or Path(word).is_absolute():
        return word
    candidate = code / word
    if (program and "/" in word) or candidate.exists():
        return str(candidate)
    return word
