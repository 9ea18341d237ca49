"""A TuningSpec -> an AI Platform Training `projects.jobs.create` body (compile).

`trainingInput.hyperparameters` (goal, hyperparameterMetricTag, maxTrials,
maxParallelTrials, maxFailedTrials, enableTrialEarlyStopping, algorithm, params with
type, minValue/maxValue, discreteValues, categoricalValues, scaleType,
resumePreviousJobId) plus the trial machines (scaleTier, masterType, ...), the code package
(packageUris, pythonModule, args), validated against the discovery document and the
seed's rules: maxFailedTrials <= maxTrials, discrete values strictly increasing, at most
1,000. The jobId is the spec's name and a hash of the request and code (a job id takes
letters, digits and underscores), so a second submission finds the first.
"""

from __future__ import annotations

import json
import re
from typing import Any

from hpo_bridge.backends import (
    Compiled,
    InvalidRequest,
    Issues,
    NotThisBackend,
    derive_name,
    earlier_job,
    request_digest,
)
from hpo_bridge.spec import TuningSpec
from hpo_bridge_vertex import code, params
from hpo_bridge_vertex.capabilities import AIPLATFORM, unknown_algorithm
from hpo_bridge_vertex.discovery import job_problems
from hpo_bridge_vertex.params import DISCRETE, DOUBLE, INTEGER, Param
from hpo_bridge_vertex.settings import AiPlatformSettings
from hpo_bridge_vertex.staging import Translation

BACKEND = "aiplatform"
ALGORITHMS = {"random": "RANDOM_SEARCH", "grid": "GRID_SEARCH", "sobol": "RANDOM_SEARCH"}
STOPPING = ("vertex_median",)  # AI Platform's own rule is Google's median stopping
APPROXIMATED = ("median", "auto", "bandit", "truncation", "hyperband", "decay_curve")
JOB_ID_MAX = 128
JOB_ID = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,127}")  # AI Platform's job id rule
_ID = "{job-id}"
MAX_DISCRETE = 1000


def settings_of(spec: TuningSpec) -> AiPlatformSettings:
    raw = spec.backends.get(BACKEND)
    return raw if isinstance(raw, AiPlatformSettings) else \
        AiPlatformSettings.model_validate(raw or {})


def param(p: Param) -> dict[str, Any]:
    out: dict[str, Any] = {"parameterName": p.name, "type": p.kind}
    if p.kind in (DOUBLE, INTEGER):
        out["minValue"], out["maxValue"] = p.low, p.high
        if p.scale is not None:
            out["scaleType"] = p.scale
    elif p.kind == DISCRETE:
        out["discreteValues"] = list(p.values or [])
    else:
        out["categoricalValues"] = list(p.values or [])
    return out


def seed_rules(hyper: dict[str, Any]) -> list[str]:
    """What the seed (SEEDS.md, 002) and the service require of a HyperparameterSpec."""
    at = "trainingInput.hyperparameters"
    problems = []
    max_trials = hyper.get("maxTrials", 1)
    if hyper.get("maxFailedTrials", 0) > max_trials:
        problems.append(f"{at}.maxFailedTrials: {hyper['maxFailedTrials']} exceeds maxTrials"
                        f" ({max_trials})")
    for p in hyper.get("params") or []:
        where = f"{at}.params.{p['parameterName']}"
        values = p.get("discreteValues") or []
        if len(values) > MAX_DISCRETE:
            problems.append(f"{where}.discreteValues: {len(values)} values, at most 1000")
        if any(not a < b for a, b in zip(values, values[1:], strict=False)):
            problems.append(f"{where}.discreteValues: must be strictly increasing")
        if "minValue" in p and p["minValue"] > p["maxValue"]:
            problems.append(f"{where}: minValue exceeds maxValue")
    return problems


class Translator(Translation[AiPlatformSettings]):
    def __init__(self, spec: TuningSpec, issues: Issues) -> None:
        super().__init__(spec, issues, settings_of(spec))

    def compile(self) -> Compiled:
        spec, s = self.spec, self.settings
        hyper: dict[str, Any] = {
            "goal": spec.primary.goal.upper(),
            "hyperparameterMetricTag": spec.primary.metric,
            "maxTrials": spec.max_trials,
            "maxParallelTrials": spec.limits.max_parallel,
        }
        if spec.limits.max_failed is not None:
            hyper["maxFailedTrials"] = spec.limits.max_failed
        unknown_algorithm(self.issues, spec.strategy.algorithm, AIPLATFORM)
        algorithm = ALGORITHMS.get(spec.strategy.algorithm)
        if algorithm is not None:
            hyper["algorithm"] = algorithm
        if spec.strategy.seed is not None:
            self.issues.warn("strategy.seed: AI Platform takes no seed: ignored")
        stopping = self._early_stopping()
        if stopping:
            hyper["enableTrialEarlyStopping"] = True
        hyper["params"] = [param(p) for p in self._params()]
        previous = self._previous_job()
        if previous:
            hyper["resumePreviousJobId"] = previous
        if spec.metrics:
            self.issues.add("metrics", "metrics read from the log by regexes",
                            "TensorFlow summaries (trial.summary_dir) or cloudml-hypertune",
                            "dropped")
        if spec.limits.trial_timeout is not None:
            self.issues.add("limits.trial_timeout", "a per-trial time limit",
                            "trainingInput.scheduling.maxRunningTime (the whole job)",
                            "dropped")
        if spec.trial.inputs:
            self.issues.add("trial.inputs", "local input folders",
                            "gs:// paths the script reads (trial.args)")
        training = self._training_input(hyper)
        body: dict[str, Any] = {"jobId": _ID, "trainingInput": training}
        if s.labels:
            body["labels"] = dict(s.labels)
        self.issues.raise_if_any()
        if self.problems:
            raise InvalidRequest(BACKEND, self.problems)
        job_id = s.job_id or derive_name(spec.name, request_digest(body, self.code_digest),
                                         max_length=JOB_ID_MAX, allowed="A-Za-z0-9_",
                                         separator="_")
        if not job_id[0].isalpha():
            job_id = f"j{job_id}"[:JOB_ID_MAX]
        filled = json.loads(json.dumps(body).replace(_ID, job_id))
        problems = job_problems(filled) + seed_rules(filled["trainingInput"]["hyperparameters"])
        if problems:
            raise InvalidRequest(BACKEND, problems)
        return Compiled(request=filled, artifacts={
            uri.replace(_ID, job_id): path for uri, path in self.artifacts.items()})

    def _previous_job(self) -> str | None:
        """The job this one continues: the spec's warm_start (one earlier AI Platform job,
        by id or by its study directory), or backends.aiplatform.resume_previous_job_id."""
        ws, setting = self.spec.warm_start, self.settings.resume_previous_job_id
        if ws is None:
            return setting
        if setting:
            self.problems.append("warm_start and backends.aiplatform.resume_previous_job_id"
                                 " both name an earlier job: keep one")
            return None
        if len(ws.sources) > 1:
            self.problems.append(f"warm_start.from: AI Platform continues one earlier job"
                                 f" (resumePreviousJobId); {len(ws.sources)} given")
            return None
        source = ws.sources[0]
        try:
            handle = earlier_job(self.spec, source, BACKEND)
        except NotThisBackend as exc:
            self.problems.append(f"warm_start.from.0: {exc}")
            return None
        job_id = handle.rpartition("/")[2] if handle is not None else source
        if not JOB_ID.fullmatch(job_id):
            self.problems.append(f"warm_start.from.0: {source!r} is neither a study directory"
                                 " nor an AI Platform job id")
            return None
        return job_id

    def _params(self) -> list[Param]:
        out = []
        for name, domain in self.spec.search_space.items():
            p = params.translate(name, domain, self.issues)
            if p is not None:
                out.append(p)
        return out

    def _early_stopping(self) -> bool:
        policy = self.spec.early_stopping.policy
        if policy in STOPPING:
            return True
        if policy in APPROXIMATED:
            return self.issues.applies(f"early_stopping.policy={policy}")
        if policy != "none":
            self.issues.add("early_stopping.policy", f"policy {policy}",
                            "enableTrialEarlyStopping")
        return False

    def _training_input(self, hyper: dict[str, Any]) -> dict[str, Any]:
        s = self.settings
        training: dict[str, Any] = {"scaleTier": s.scale_tier, "region": s.region}
        for key, value in (("masterType", s.master_type), ("workerType", s.worker_type),
                           ("parameterServerType", s.parameter_server_type)):
            if value is not None:
                training[key] = value
        for key, count in (("workerCount", s.worker_count),
                           ("parameterServerCount", s.parameter_server_count)):
            if count is not None:
                training[key] = str(count)
        if s.scale_tier == "CUSTOM" and s.master_type is None:
            self.problems.append("backends.aiplatform.master_type: required with scale_tier"
                                 " CUSTOM")
        try:
            prog = code.program(self.spec.trial.command or [], self.spec.code_dir)
        except code.CodeError as exc:
            self.problems.append(str(exc).replace("Vertex AI", "AI Platform"))
            prog = None
        if prog is not None:
            uri = self.stage_code(prog, BACKEND, _ID)
            training["packageUris"] = [uri]
            training["pythonModule"] = prog.module
            static = [f"--{k}={params.text(v)}" for k, v in self.spec.trial.args.items()
                      if v is not None]
            if prog.args or static:
                training["args"] = [*prog.args, *static]
        if self.spec.trial.env:
            self.issues.add("trial.env", "environment variables",
                            "trial.args (AI Platform's runtime takes no environment)")
        training["hyperparameters"] = hyper
        if s.job_dir:
            training["jobDir"] = s.job_dir
        training["runtimeVersion"] = s.runtime_version
        training["pythonVersion"] = s.python_version
        if s.service_account:
            training["serviceAccount"] = s.service_account
        return training


def translate(spec: TuningSpec, issues: Issues) -> Compiled:
    return Translator(spec, issues).compile()
