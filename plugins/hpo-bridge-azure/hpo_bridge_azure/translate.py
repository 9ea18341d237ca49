"""A TuningSpec -> an Azure ML v2 sweep job (compile).

The job is built in its YAML form (what `az ml job create --file` takes), checked by
azure-ai-ml's own schema (`load_job`) and by the service's rules the schema lets through
(rules.py), and rendered both as that YAML and as the REST body the SDK sends.
"""

from __future__ import annotations

import io
import math
import os
import re
import shlex
from pathlib import Path
from typing import Any

import yaml

from hpo_bridge.backends import Compiled, InvalidRequest, Issues, derive_name, request_digest
from hpo_bridge.backends import packaging as code_package
from hpo_bridge.spec import TuningSpec
from hpo_bridge_azure.capabilities import BACKEND
from hpo_bridge_azure.rules import service_problems
from hpo_bridge_azure.settings import AzureSettings
from hpo_bridge_azure.space import SpaceTranslator

SCHEMA = "https://azuremlschemas.azureedge.net/latest/sweepJob.schema.json"
SAMPLING = {"random": "random", "sobol": "random", "grid": "grid", "bayesian": "bayesian",
            "hyperband": "random", "bohb": "bayesian", "pbt": "random"}
POLICIES = {"bandit": "bandit", "median": "median_stopping", "auto": "median_stopping",
            "truncation": "truncation_selection", "hyperband": "median_stopping"}
DIGEST_TAG = "hpo-bridge.request"  # the request's content digest, kept on the job
NAME_LENGTH = 255
PARAM_NAME = re.compile(r"^[A-Za-z0-9_]+$")  # what azure-ai-ml's schema takes
_SAFE_WORD = re.compile(r"^(?:[\w@%+=:,./-]|\$\{\{[^}]*\}\})+$")


def settings_of(spec: TuningSpec) -> AzureSettings:
    raw = spec.backends.get("azure")
    if isinstance(raw, AzureSettings):
        return raw
    return AzureSettings.model_validate(raw or {})


def native_sampling(algorithm: str) -> str:
    return SAMPLING.get(algorithm, "random")


def command_text(words: list[str]) -> str:
    """A command line for the job's shell: words quoted only where a shell needs it, and
    `${{...}}` references left as they are (the service substitutes them)."""
    return " ".join(w if _SAFE_WORD.match(w) else shlex.quote(w) for w in words)


def yaml_text(job: dict[str, Any]) -> str:
    return yaml.safe_dump(job, sort_keys=False, allow_unicode=True, width=1 << 16)


def load_sweep(job: dict[str, Any], base_dir: Path) -> Any:
    """azure-ai-ml's SweepJob from the YAML form; raises InvalidRequest with the schema's
    complaints, one line each."""
    from azure.ai.ml import load_job
    from azure.ai.ml.exceptions import ValidationException
    from marshmallow.exceptions import ValidationError

    try:
        # relative_origin is read as the YAML file's own path: its folder is the base.
        return load_job(io.StringIO(yaml_text(job)), relative_origin=str(base_dir / "sweep.yml"))
    except (ValidationException, ValidationError) as exc:
        raise InvalidRequest(BACKEND, schema_problems(exc)) from None


def schema_problems(exc: BaseException) -> list[str]:
    """load_job's message, one line per problem (it nests JSON-ish text)."""
    text = str(getattr(exc, "message", None) or exc)
    lines = [" ".join(line.split()) for line in text.splitlines()]
    kept = [line for line in lines if line and not line.startswith(("{", "}", "Visit", "The"))]
    return [f"azure-ai-ml: {' '.join(kept) or 'the sweep job does not validate'}"]


def rest_body(sweep: Any) -> dict[str, Any]:
    """The REST body azure-ai-ml sends for `sweep` (references still local until upload)."""
    rest = sweep._to_rest_object()
    body: dict[str, Any] = rest.as_dict() if hasattr(rest, "as_dict") else rest.serialize()
    return body


class Translator:
    def __init__(self, spec: TuningSpec, issues: Issues) -> None:
        self.spec = spec
        self.settings = settings_of(spec)
        self.issues = issues
        self.problems: list[str] = []
        self.sampling = native_sampling(spec.strategy.algorithm)

    def compile(self) -> Compiled:
        job = self.job()
        self.issues.raise_if_any()
        if self.problems:
            raise InvalidRequest(BACKEND, self.problems)
        problems = service_problems(job)
        if problems:
            raise InvalidRequest(BACKEND, problems)
        code_dir = self.spec.code_dir
        # The code's identity, within the kit's limits (the SDK uploads the folder itself).
        digest = request_digest(job, code_package.code_digest(code_dir), length=16)
        name = self.settings.job_name or derive_name(
            self.spec.name, digest[:8], max_length=NAME_LENGTH, allowed=r"A-Za-z0-9_-")
        job = {"$schema": SCHEMA, "type": "sweep", "name": name, **job}
        job.setdefault("tags", {})[DIGEST_TAG] = digest
        sweep = load_sweep(job, self.spec.base_dir)
        body = rest_body(sweep)
        return Compiled(request=body, document=yaml_text(job), artifacts={"code": code_dir})

    # -- the job in its YAML form --------------------------------------------------------
    def job(self) -> dict[str, Any]:
        s, spec = self.settings, self.spec
        job: dict[str, Any] = {
            "display_name": s.display_name or spec.name,
            "experiment_name": s.experiment_name or _experiment(spec.name),
        }
        if s.description or spec.description:
            job["description"] = s.description or spec.description
        if s.tags:
            job["tags"] = dict(s.tags)
        if s.compute:
            job["compute"] = f"azureml:{s.compute}"
        job["sampling_algorithm"] = self.sampling_algorithm()
        job["search_space"] = self.search_space()
        job["objective"] = self.objective()
        policy = self.early_termination()
        if policy is not None:
            job["early_termination"] = policy
        job["limits"] = self.limits()
        inputs = self.inputs()
        if inputs:
            job["inputs"] = inputs
        if s.outputs:
            job["outputs"] = dict(s.outputs)
        job["trial"] = self.trial()
        return job

    def sampling_algorithm(self) -> Any:
        strategy = self.spec.strategy
        if self.sampling != "random":
            return self.sampling
        rule = self.settings.sampling_rule or ("sobol" if strategy.algorithm == "sobol"
                                               else None)
        if strategy.seed is None and rule is None:
            return "random"
        out: dict[str, Any] = {"type": "random"}
        if strategy.seed is not None:
            out["seed"] = strategy.seed
        if rule is not None:
            out["rule"] = rule
        return out

    def search_space(self) -> dict[str, Any]:
        translator = SpaceTranslator(self.issues, self.sampling)
        space = {}
        for name, domain in self.spec.search_space.items():
            if not PARAM_NAME.match(name):
                self.issues.add(f"search_space.{name}", f"the parameter name {name!r}",
                                "a name of letters, digits and underscores (Azure ML refuses"
                                " others)")
                continue
            distribution = translator.translate(name, domain)
            if distribution is not None:
                space[name] = distribution
        return space

    def objective(self) -> dict[str, Any]:
        primary = self.spec.primary
        if self.spec.metrics:
            self.issues.warn("metrics: Azure ML reads the metrics a trial logs with mlflow;"
                             " the regexes are not used")
        return {"goal": primary.goal, "primary_metric": primary.metric}

    def early_termination(self) -> dict[str, Any] | None:
        settings = self.spec.early_stopping.resolved()
        policy = settings.policy
        if policy == "none":
            return None
        if self.sampling == "bayesian":
            if not self.issues.add("early_stopping.policy",
                                   f"policy {policy} with bayesian sampling",
                                   "random sampling with the policy, or no policy",
                                   "the policy is dropped", key="bayesian.policy"):
                return None
            return None
        kind = POLICIES.get(policy)
        if kind is None:  # a plugin's rule: the table cannot know it
            self.issues.add("early_stopping.policy", f"policy {policy}",
                            "bandit, median_stopping or truncation_selection")
            return None
        out: dict[str, Any] = {"type": kind,
                               "evaluation_interval": settings.evaluation_interval,
                               "delay_evaluation": settings.delay_evaluation}
        if kind == "bandit":
            if settings.slack_factor is not None:
                out["slack_factor"] = settings.slack_factor
            if settings.slack_amount is not None:
                out["slack_amount"] = settings.slack_amount
        if kind == "truncation_selection":
            out["truncation_percentage"] = settings.truncation_percentage
            if settings.exclude_finished:
                self.issues.add("early_stopping.exclude_finished",
                                "exclude_finished (a v1 HyperDrive option)",
                                "truncation_selection without it (v2 sweep jobs compare every"
                                " trial)", "dropped")
        return out

    def limits(self) -> dict[str, Any]:
        lim = self.spec.limits
        limits: dict[str, Any] = {"max_total_trials": self.spec.max_trials,
                                  "max_concurrent_trials": lim.max_parallel}
        for key, value in (("timeout", lim.max_duration), ("trial_timeout", lim.trial_timeout)):
            if value is not None:
                limits[key] = math.ceil(value)
        return limits

    def inputs(self) -> dict[str, Any]:
        inputs: dict[str, Any] = {}
        for name, value in self.spec.trial.args.items():
            if value is not None:  # a bare flag is a capability gap (table)
                inputs[name] = value
        for name, where in self.spec.trial.inputs.items():
            if re.match(r"^(azureml|https?|wasbs?|abfss?|adl)://|^azureml:", where):
                inputs[name] = {"type": "uri_folder", "path": where}
                continue
            local = (self.spec.base_dir / where).resolve()
            if not local.exists():
                self.problems.append(f"trial.inputs.{name}: {where} does not exist")
                continue
            inputs[name] = {"type": "uri_folder" if local.is_dir() else "uri_file",
                            "path": _relative(local, self.spec.base_dir)}
        return inputs

    def trial(self) -> dict[str, Any]:
        s, spec = self.settings, self.spec
        trial: dict[str, Any] = {"code": _relative(spec.code_dir, spec.base_dir),
                                 "command": command_text(self._command())}
        if s.environment is not None:
            trial["environment"] = s.environment
        elif s.image is not None:
            trial["environment"] = {"image": s.image}
        else:
            self.problems.append(
                "backends.azure.environment: required for Azure ML (e.g."
                " azureml:AzureML-sklearn-1.5@latest, or backends.azure.image)")
        variables = {**spec.trial.env, **s.environment_variables}
        if variables:
            trial["environment_variables"] = variables
        resources: dict[str, Any] = {"instance_count": s.instance_count}
        if s.instance_type:
            resources["instance_type"] = s.instance_type
        trial["resources"] = resources
        if s.distribution:
            trial["distribution"] = dict(s.distribution)
        return trial

    def _command(self) -> list[str]:
        trial = self.spec.trial
        if not trial.command:
            self.problems.append("trial.command: required (the command one trial runs)")
            return []
        words = list(trial.command)
        if trial.contract == "local" and self.issues.applies("trial.contract=local"):
            words += [f"--{name}=${{{{search_space.{name}}}}}" for name in self.spec.search_space]
            words += [f"--{name}=${{{{inputs.{name}}}}}" for name, v in trial.args.items()
                      if v is not None]
        return words


def _experiment(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]+", "-", name).strip("-_") or "hpo-bridge"


def _relative(path: Path, base: Path) -> str:
    text = os.path.relpath(path, base)
    return text if text.startswith(".") else f"./{text}"


def translate(spec: TuningSpec, issues: Issues) -> Compiled:
    return Translator(spec, issues).compile()
