"""A TuningSpec -> the Vertex AI HyperparameterTuningJob REST body (compile).

The body is what `POST .../hyperparameterTuningJobs` receives (camelCase, enum names);
it is validated with the SDK's own types (`aiplatform_v1.HyperparameterTuningJob`), plus
the checks the types skip (vertex_checks.py). The job's display name is the spec's name
and a hash of the request and the code, so the same spec finds its existing job.
"""

from __future__ import annotations

import json
from typing import Any

from hpo_bridge.backends import Compiled, InvalidRequest, Issues, derive_name, request_digest
from hpo_bridge.spec import TuningSpec
from hpo_bridge_vertex import code, params
from hpo_bridge_vertex.capabilities import VERTEX, unknown_algorithm
from hpo_bridge_vertex.params import CATEGORICAL, DISCRETE, DOUBLE, INTEGER, Param
from hpo_bridge_vertex.settings import VertexSettings
from hpo_bridge_vertex.staging import Translation
from hpo_bridge_vertex.vertex_checks import check_job

BACKEND = "vertex"
ALGORITHMS = {"random": "RANDOM_SEARCH", "grid": "GRID_SEARCH", "sobol": "RANDOM_SEARCH"}
STOPPING = {"vertex_median": "medianAutomatedStoppingSpec",
            "decay_curve": "decayCurveStoppingSpec"}
APPROXIMATED_STOPPING = ("median", "auto", "bandit", "truncation", "hyperband")
NAME_MAX = 128
_NAME = "{display-name}"
CODE_KEY = "code"  # Compiled.artifacts: the sdist's gs:// URI -> local file


def settings_of(spec: TuningSpec) -> VertexSettings:
    raw = spec.backends.get(BACKEND)
    return raw if isinstance(raw, VertexSettings) else VertexSettings.model_validate(raw or {})


def value_spec(p: Param) -> dict[str, Any]:
    if p.kind in (DOUBLE, INTEGER):
        low, high = p.low, p.high
        assert low is not None and high is not None
        if p.kind == DOUBLE:
            return {"doubleValueSpec": {"minValue": float(low), "maxValue": float(high)}}
        return {"integerValueSpec": {"minValue": str(int(low)), "maxValue": str(int(high))}}
    if p.kind == DISCRETE:
        return {"discreteValueSpec": {"values": [float(v) for v in p.values or []]}}
    return {"categoricalValueSpec": {"values": list(p.values or [])}}


def parameter(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"parameterId": p.name, **value_spec(p)}
    if p.scale is not None and p.kind in (DOUBLE, INTEGER):
        out["scaleType"] = p.scale
    return out


def parent_values(parent: Param, values: list[Any]) -> dict[str, Any]:
    if parent.kind == CATEGORICAL:
        return {"parentCategoricalValues": {"values": [params.text(v) for v in values]}}
    if parent.kind == INTEGER:
        return {"parentIntValues": {"values": [str(int(v)) for v in values]}}
    return {"parentDiscreteValues": {"values": [float(v) for v in values]}}


class Translator(Translation[VertexSettings]):
    def __init__(self, spec: TuningSpec, issues: Issues) -> None:
        super().__init__(spec, issues, settings_of(spec))

    def compile(self) -> Compiled:
        spec, s = self.spec, self.settings
        study: dict[str, Any] = {
            "metrics": [{"metricId": spec.primary.metric,
                         "goal": spec.primary.goal.upper()}],
            "parameters": self._parameters(),
            "measurementSelectionType": ("BEST_MEASUREMENT" if spec.primary.measurement
                                         == "best" else "LAST_MEASUREMENT"),
        }
        unknown_algorithm(self.issues, spec.strategy.algorithm, VERTEX)
        algorithm = ALGORITHMS.get(spec.strategy.algorithm)
        if algorithm is not None:
            study["algorithm"] = algorithm  # unset: Bayesian, Vertex's default
        if spec.strategy.seed is not None:
            self.issues.warn("strategy.seed: Vertex AI takes no seed: ignored")
        stopping = self._stopping()
        if stopping is not None:
            study[stopping] = {}
        self._metrics()
        job: dict[str, Any] = {
            "displayName": _NAME,
            "studySpec": study,
            "maxTrialCount": spec.max_trials,
            "parallelTrialCount": spec.limits.max_parallel,
        }
        if spec.limits.max_failed is not None:
            job["maxFailedTrialCount"] = spec.limits.max_failed
        job["trialJobSpec"] = self._trial_job_spec()
        if s.labels:
            job["labels"] = dict(s.labels)
        self.issues.raise_if_any()
        if self.problems:
            raise InvalidRequest(BACKEND, self.problems)
        name = s.display_name or derive_name(spec.name, request_digest(job, self.code_digest),
                                             max_length=NAME_MAX, allowed=r"A-Za-z0-9_-")
        filled = json.loads(json.dumps(job).replace(_NAME, name))
        problems = check_job(filled)
        if problems:
            raise InvalidRequest(BACKEND, problems)
        artifacts = {uri.replace(_NAME, name): path for uri, path in self.artifacts.items()}
        return Compiled(request=filled, artifacts=artifacts)

    # -- the study -----------------------------------------------------------------------------
    def _parameters(self) -> list[dict[str, Any]]:
        translated: dict[str, Param] = {}
        for name, domain in self.spec.search_space.items():
            p = params.translate(name, domain, self.issues)
            if p is not None:
                translated[name] = p
        nodes = {name: parameter(p) for name, p in translated.items()}
        roots = []
        for name, domain in self.spec.search_space.items():
            if name not in nodes:
                continue
            condition = domain.condition
            if condition is None or self.issues.applies("search_space.condition"):
                roots.append(nodes[name])
                continue
            parent = translated.get(condition.parent)
            if parent is None or parent.kind == DOUBLE:
                self.issues.add(f"search_space.{name}.condition",
                                f"a condition on {condition.parent}",
                                "a parent with DISCRETE, INTEGER or CATEGORICAL values")
                continue
            nodes[condition.parent].setdefault("conditionalParameterSpecs", []).append(
                {**parent_values(parent, list(condition.values)), "parameterSpec": nodes[name]})
        return roots

    def _stopping(self) -> str | None:
        settings = self.spec.early_stopping
        policy = settings.policy
        if policy in STOPPING:
            if policy == "vertex_median" and (settings.evaluation_interval != 1
                                              or settings.delay_evaluation != 0):
                self.issues.add("early_stopping.evaluation_interval",
                                "an evaluation interval or delay",
                                "Vertex AI evaluates at every measurement",
                                "every measurement is evaluated")
            return STOPPING[policy]
        if policy in APPROXIMATED_STOPPING:
            # The capability table reported it; with --approximate it maps to the median.
            key = f"early_stopping.policy={policy}"
            return "medianAutomatedStoppingSpec" if self.issues.applies(key) else None
        if policy != "none":
            self.issues.add("early_stopping.policy", f"policy {policy}",
                            "median or decay-curve automated stopping")
        return None

    def _metrics(self) -> None:
        if self.spec.metrics:
            self.issues.add("metrics", "metrics read from the log by regexes",
                            "report them with cloudml-hypertune", _DROP)
        if self.spec.trial.summary_dir is not None:
            self.issues.add("trial.summary_dir", "metrics from TensorFlow summaries",
                            "cloudml-hypertune (backend aiplatform reads summaries)", _DROP)
        if self.spec.trial.inputs:
            self.issues.add("trial.inputs", "local input folders",
                            "gs:// paths the script reads (trial.args)")

    # -- the trials' CustomJobSpec -------------------------------------------------------------
    def _trial_job_spec(self) -> dict[str, Any]:
        spec, s = self.spec, self.settings
        machine: dict[str, Any] = {"machineType": s.machine_type}
        if s.accelerator_type is not None:
            machine["acceleratorType"] = s.accelerator_type
            machine["acceleratorCount"] = s.accelerator_count or 1
        pool: dict[str, Any] = {"machineSpec": machine, "replicaCount": str(s.replica_count)}
        env = [{"name": k, "value": v} for k, v in spec.trial.env.items()]
        static = [f"--{k}={params.text(v)}" for k, v in spec.trial.args.items()
                  if v is not None]
        if s.container_image is not None:
            container: dict[str, Any] = {"imageUri": s.container_image}
            if spec.trial.command:
                container["command"] = list(spec.trial.command)
            if static:
                container["args"] = static
            if env:
                container["env"] = env
            pool["containerSpec"] = container
        else:
            pool["pythonPackageSpec"] = self._package(static, env)
        job_spec: dict[str, Any] = {"workerPoolSpecs": [pool]}
        output = s.base_output_dir or (f"{s.staging_bucket}/{_NAME}/output"
                                       if s.staging_bucket else None)
        if output:
            job_spec["baseOutputDirectory"] = {"outputUriPrefix": output}
        if spec.limits.trial_timeout is not None:
            job_spec["scheduling"] = {"timeout": f"{int(spec.limits.trial_timeout)}s"}
        if s.service_account:
            job_spec["serviceAccount"] = s.service_account
        if s.network:
            job_spec["network"] = s.network
        return job_spec

    def _package(self, static: list[str], env: list[dict[str, str]]) -> dict[str, Any]:
        s = self.settings
        try:
            prog = code.program(self.spec.trial.command or [], self.spec.code_dir)
        except code.CodeError as exc:
            self.problems.append(str(exc))
            return {}
        uri = self.stage_code(prog, BACKEND, _NAME)
        package: dict[str, Any] = {"executorImageUri": s.image_uri, "packageUris": [uri],
                                   "pythonModule": prog.module}
        if prog.args or static:
            package["args"] = [*prog.args, *static]
        if env:
            package["env"] = env
        return package


_DROP = "dropped"


def translate(spec: TuningSpec, issues: Issues) -> Compiled:
    return Translator(spec, issues).compile()
