"""Azure ML sweeps: `${{search_space.X}}` / `${{inputs.X}}` in the command; metrics via MLflow.

Each reference is replaced inside its own argv word, so a value stays one
argument whatever it contains. Sampled values (and inputs) are also in
AZUREML_SWEEP_<name>. Nothing is appended to the command: as on Azure, the
script gets what the command references. The trial attaches to its own run
in the study's MLflow file store (MLFLOW_TRACKING_URI, MLFLOW_RUN_ID), and its
metric history is read back from that store.

Checkpoints: a run saves them in `./outputs` (its folder's `outputs/`, what Azure
uploads). A trial that resumes gets `--resume-from DIR` appended, DIR holding a copy
of its source's outputs - HyperDrive v1's contract for `resume_child_runs` ("the
script must accept the resume-from argument, which contains the checkpoint or model
files"). Since the script must accept it, an interrupted trial run again resumes
only when the spec says so (`trial.resume_from_checkpoint: true`) or under PBT.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hpo_bridge.contracts.base import (
    ContractError,
    Launch,
    TrialContext,
    TrialContract,
    all_values,
    budget,
    format_value,
    resolve_command,
)
from hpo_bridge.contracts.mlflow_runs import MlflowTracking, require_mlflow
from hpo_bridge.metrics.mlflow_store import MlflowFileStoreSource
from hpo_bridge.spec.errors import clipped, shown
from hpo_bridge.spec.names import file_name_problem

REFERENCE = re.compile(r"\$\{\{\s*(\w+)\.([^}\s]+)\s*\}\}")
KINDS = ("search_space", "inputs", "outputs")


RESUME_FROM = "--resume-from"


class AzureContract(TrialContract):
    name = "azure"
    checkpoint_folder = "outputs"
    restore_folder = "resume-from"
    resumes_reruns = False

    @classmethod
    def spec_problems(cls, spec: Any) -> list[tuple[str, str]]:
        """`${{outputs.NAME}}` is a folder outputs/NAME in the trial's folder: one name."""
        problems = []
        for word in spec.trial.command or []:
            for match in REFERENCE.finditer(word):
                kind, name = match.groups()
                problem = file_name_problem(name) if kind == "outputs" else None
                if problem is not None:
                    reference = clipped(match.group(0))
                    problems.append(("trial.command",
                                     f"{reference}: output name {shown(name)} {problem}"))
        return problems

    def __init__(self) -> None:
        self.tracking: MlflowTracking | None = None

    def setup(self, spec: Any, study_dir: Path) -> None:
        command = resolve_command(spec)
        problems = [f"trial.command: {p}" for p in _reference_problems(spec, command)]
        if problems:
            raise ContractError("\n".join(problems))
        require_mlflow()
        self.tracking = MlflowTracking(study_dir, spec.name)

    def arguments(self, ctx: TrialContext) -> list[str]:
        return []

    def command(self, ctx: TrialContext) -> list[str]:
        argv = [_substitute(word, ctx) for word in resolve_command(ctx.spec)]
        if ctx.restore_dir is not None:
            argv += [RESUME_FROM, str(ctx.restore_dir)]
        return argv

    def launch(self, ctx: TrialContext) -> Launch:
        if self.tracking is None:
            self.setup(ctx.spec, ctx.study_dir)
        tracking = self.tracking
        assert tracking is not None
        run_id = tracking.create_trial_run(ctx.trial_id, ctx.spec.name, dict(ctx.params))
        launch = super().launch(ctx)
        launch.env.update({
            "MLFLOW_TRACKING_URI": tracking.uri,
            "MLFLOW_EXPERIMENT_ID": tracking.experiment_id,
            "MLFLOW_RUN_ID": run_id,
            "MLFLOW_ALLOW_FILE_STORE": "true",
        })
        launch.sources.append(MlflowFileStoreSource(tracking.metrics_dir(run_id)))
        launch.on_finish = lambda status: tracking.finish(run_id, status)
        return launch

    def environment(self, ctx: TrialContext) -> dict[str, str]:
        return {f"AZUREML_SWEEP_{k}": format_value(v) for k, v in all_values(ctx).items()
                if v is not None}


def _reference_problems(spec: Any, command: list[str]) -> list[str]:
    # The budget of multi-fidelity search is given like a sampled value or an input.
    resource = {spec.trial.resource.name} if spec.trial.resource is not None else set()
    known = {
        "search_space": set(spec.search_space) | resource,
        "inputs": set(spec.trial.args) | set(spec.trial.inputs) | resource,
    }
    problems = []
    for word in command:
        for match in REFERENCE.finditer(word):
            kind, name = match.groups()
            if kind not in KINDS:
                problems.append(f"{match.group(0)}: unknown kind {kind!r} (use {', '.join(KINDS)})")
            elif kind in known and name not in known[kind]:
                where = "search_space" if kind == "search_space" else "trial.args or trial.inputs"
                problems.append(f"{match.group(0)}: no {name!r} in {where}")
    return problems


def _substitute(word: str, ctx: TrialContext) -> str:
    def value(match: re.Match[str]) -> str:
        kind, name = match.groups()
        given = budget(ctx)
        if name in given and kind in ("search_space", "inputs"):
            return format_value(given[name])
        if kind == "search_space":
            # An inactive conditional parameter is absent: it becomes empty text.
            return format_value(ctx.params[name]) if name in ctx.params else ""
        if kind == "outputs":
            folder = ctx.trial_dir / "outputs" / name
            folder.mkdir(parents=True, exist_ok=True)
            return str(folder)
        trial = ctx.spec.trial
        if name in trial.args:
            arg = trial.args[name]
            return "" if arg is None else format_value(arg)
        if name in trial.inputs:
            return str((ctx.spec.base_dir / trial.inputs[name]).resolve())
        raise ContractError(f"trial.command: {match.group(0)}: unknown reference")

    return REFERENCE.sub(value, word)
