"""Native Google jobs -> a unified spec (as a dict).

`--from vertex`: a HyperparameterTuningJob as REST JSON (a request or a GET response),
the YAML `gcloud ai hp-tuning-jobs create --config` takes (`studySpec`, `trialJobSpec`),
or a GAPIC-style dict (snake_case keys, enums as names or numbers).
`--from aiplatform`: an `hptuning_config.yaml` (`trainingInput:`), a `projects.jobs` body
or response, or a bare HyperparameterSpec dict (the seed's Python example).

Real files vary; each variation is read, and what cannot be imported is said in one line
per problem in the spec's description ("not imported: ..."): early stopping written TRUE,
True or true; UNIT_REVERSE_LOG_SCALE; an integer range with min == max or a one-value
categorical pinning a constant (a one-value categorical); metric tags with `/`; shell
variables (`$BUCKET`) left in values (the setting is left out); a missing
`hyperparameters` block (refused: not a tuning job).
"""

from __future__ import annotations

import re
from typing import Any

from hpo_bridge.backends import BackendError
from hpo_bridge.spec import format_duration
from hpo_bridge_vertex import vertex_checks

SCALES = {"UNIT_LINEAR_SCALE": "linear", "UNIT_LOG_SCALE": "log",
          "UNIT_REVERSE_LOG_SCALE": "reverse_log"}
ALGORITHMS = {"GRID_SEARCH": "grid", "RANDOM_SEARCH": "random"}
DEFAULT_TAG = "training/hptuning/metric"
_VARIABLE = re.compile(r"\$\{?[A-Za-z_][A-Za-z0-9_]*\}?")
_NAME_BAD = re.compile(r"[^A-Za-z0-9-]+")


def spec_name(text: str | None, fallback: str) -> str:
    cleaned = _NAME_BAD.sub("-", text or "").strip("-")[:128].strip("-")
    return cleaned or fallback


def truth(value: Any) -> bool:
    """true / True / TRUE / "true" (and yes, 1) as YAML and hand-written files have it."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "yes", "1")
    return bool(value)


def number(value: Any) -> int | float:
    n = float(value)
    return int(n) if n == int(n) else n


class Notes:
    """What was not imported, one line each."""

    def __init__(self, backend: str) -> None:
        self.backend = backend
        self.lines: list[str] = []

    def add(self, line: str) -> None:
        self.lines.append(line)

    def clean(self, value: Any, where: str) -> Any:
        """None (and a note) when a text still holds a shell variable."""
        if isinstance(value, str) and _VARIABLE.search(value):
            self.add(f"{where}: {value!r} holds a shell variable; set it in"
                     f" backends.{self.backend}")
            return None
        return value

    def description(self, what: str) -> str:
        return "\n".join([f"imported from {what}",
                          *(f"not imported: {line}" for line in self.lines)])


# -- Vertex AI ---------------------------------------------------------------------------------
def _enum_names(job: dict[str, Any]) -> dict[str, Any]:
    """A GAPIC-style job's enum numbers as names (REST JSON carries names)."""
    from google.cloud.aiplatform_v1.types import StudySpec

    def name(enum: Any, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            try:
                return enum(value).name
            except ValueError:
                return value  # refused below, naming the field
        return value

    study = job.get("studySpec") or {}
    for metric in study.get("metrics") or []:
        if "goal" in metric:
            metric["goal"] = name(StudySpec.MetricSpec.GoalType, metric["goal"])
    for key, enum in (("algorithm", StudySpec.Algorithm),
                      ("measurementSelectionType", StudySpec.MeasurementSelectionType)):
        if key in study:
            study[key] = name(enum, study[key])

    def params(items: list[dict[str, Any]]) -> None:
        for p in items:
            if "scaleType" in p:
                p["scaleType"] = name(StudySpec.ParameterSpec.ScaleType, p["scaleType"])
            params([c.get("parameterSpec") or {} for c in p.get("conditionalParameterSpecs")
                    or []])

    params(study.get("parameters") or [])
    return job


def _vertex_domain(p: dict[str, Any]) -> dict[str, Any]:
    if "categoricalValueSpec" in p:
        return {"type": "categorical", "values": list(p["categoricalValueSpec"]["values"])}
    if "discreteValueSpec" in p:
        return {"type": "discrete", "values": [number(v) for v in p["discreteValueSpec"]["values"]]}
    integer = "integerValueSpec" in p
    spec = p["integerValueSpec" if integer else "doubleValueSpec"]
    # proto3 JSON (a GET answer) leaves out a bound of 0
    low = int(float(spec.get("minValue", 0))) if integer else float(spec.get("minValue", 0))
    high = int(float(spec.get("maxValue", 0))) if integer else float(spec.get("maxValue", 0))
    if low == high:  # a pinned constant
        return {"type": "categorical", "values": [low]}
    out: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high}
    scale = SCALES.get(p.get("scaleType", ""))
    if scale is not None:
        out["scale"] = scale
    return out


def _parents(child: dict[str, Any]) -> list[Any]:
    if "parentCategoricalValues" in child:
        return list(child["parentCategoricalValues"]["values"])
    if "parentIntValues" in child:
        return [int(float(v)) for v in child["parentIntValues"]["values"]]
    return [number(v) for v in child["parentDiscreteValues"]["values"]]


def _vertex_space(items: list[dict[str, Any]], space: dict[str, Any],
                  parent: str | None = None, values: list[Any] | None = None) -> None:
    for p in items:
        domain = _vertex_domain(p)
        if parent is not None:
            domain["condition"] = {"parent": parent, "values": values}
        space[p["parameterId"]] = domain
        for child in p.get("conditionalParameterSpecs") or []:
            _vertex_space([child["parameterSpec"]], space, p["parameterId"], _parents(child))


def import_vertex(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BackendError("vertex: a hyperparameter tuning job is a mapping")
    job = _enum_names(vertex_checks.camel(data))
    if "hyperparameterTuningJob" in job:  # a request with its parent
        job = job["hyperparameterTuningJob"]
    if "studySpec" not in job:
        raise BackendError("vertex: studySpec is missing: give a HyperparameterTuningJob"
                           " (REST JSON, gcloud's --config YAML or a GAPIC dict)")
    problems = [p for p in vertex_checks.raw_problems(job)
                if not p.startswith(("maxTrialCount", "parallelTrialCount",
                                     "trialJobSpec.workerPoolSpecs"))]
    if problems:
        raise BackendError("\n".join(f"vertex: {p}" for p in problems))
    notes = Notes("vertex")
    study = job["studySpec"]
    metrics = study["metrics"]
    name = spec_name(job.get("displayName") or job.get("name", "").rsplit("/", 1)[-1],
                     "imported")
    spec: dict[str, Any] = {"name": name}
    objective = {"metric": metrics[0]["metricId"], "goal": metrics[0]["goal"].lower()}
    if study.get("measurementSelectionType") == "BEST_MEASUREMENT":
        objective["measurement"] = "best"
    if len(metrics) > 1:
        spec["objectives"] = [objective, *({"metric": m["metricId"],
                                            "goal": m["goal"].lower()} for m in metrics[1:])]
    else:
        spec["objective"] = objective
    space: dict[str, Any] = {}
    _vertex_space(study["parameters"], space)
    spec["search_space"] = space
    spec["strategy"] = {"algorithm": ALGORITHMS.get(study.get("algorithm", ""), "bayesian")}
    if "medianAutomatedStoppingSpec" in study:
        spec["early_stopping"] = {"policy": "vertex_median"}
    elif "decayCurveStoppingSpec" in study:
        spec["early_stopping"] = {"policy": "decay_curve"}
    elif "convexAutomatedStoppingSpec" in study:
        notes.add("studySpec.convexAutomatedStoppingSpec: no such rule in hpo-bridge;"
                  " nearest: early_stopping.policy vertex_median")
    limits: dict[str, Any] = {}
    if job.get("maxTrialCount"):
        limits["max_trials"] = int(job["maxTrialCount"])
    if job.get("parallelTrialCount"):
        limits["max_parallel"] = int(job["parallelTrialCount"])
    if int(job.get("maxFailedTrialCount") or 0) > 0:
        limits["max_failed"] = int(job["maxFailedTrialCount"])
    trial_spec = job.get("trialJobSpec") or {}
    timeout = (trial_spec.get("scheduling") or {}).get("timeout")
    if timeout:
        limits["trial_timeout"] = format_duration(float(str(timeout).rstrip("s")))
    if limits:
        spec["limits"] = limits
    trial, settings = _vertex_trial(trial_spec, notes)
    spec["trial"] = trial
    if job.get("labels"):
        settings["labels"] = dict(job["labels"])
    if job.get("displayName"):
        settings["display_name"] = job["displayName"]
    location = _location(job.get("name", ""))
    if location:
        settings["location"] = location
    spec["backends"] = {"vertex": settings}
    spec["description"] = notes.description(f"Vertex AI hyperparameter tuning job {name}")
    return spec


def _location(name: str) -> str | None:
    parts = name.split("/")
    return parts[3] if len(parts) > 3 and parts[2] == "locations" else None


def _vertex_trial(trial_spec: dict[str, Any], notes: Notes) -> tuple[dict[str, Any],
                                                                     dict[str, Any]]:
    trial: dict[str, Any] = {"contract": "vertex"}
    settings: dict[str, Any] = {}
    pools = trial_spec.get("workerPoolSpecs") or []
    if len(pools) > 1:
        notes.add(f"trialJobSpec.workerPoolSpecs: {len(pools)} worker pools; only the first"
                  " (the chief) is imported")
    pool = pools[0] if pools else {}
    machine = pool.get("machineSpec") or {}
    if machine.get("machineType"):
        settings["machine_type"] = machine["machineType"]
    if machine.get("acceleratorType") and machine["acceleratorType"] != \
            "ACCELERATOR_TYPE_UNSPECIFIED":
        settings["accelerator_type"] = machine["acceleratorType"]
        settings["accelerator_count"] = int(machine.get("acceleratorCount") or 1)
    if pool.get("replicaCount"):
        settings["replica_count"] = int(pool["replicaCount"])
    package = pool.get("pythonPackageSpec")
    container = pool.get("containerSpec")
    if package:
        if package.get("executorImageUri"):
            settings["image_uri"] = package["executorImageUri"]
        trial["command"] = ["python", "-m", package.get("pythonModule", "trainer.task")]
        args, env = package.get("args") or [], package.get("env") or []
        uris = [notes.clean(u, "pythonPackageSpec.packageUris") for u in
                package.get("packageUris") or []]
        bucket = next((u for u in uris if u), None)
        if bucket:
            settings["staging_bucket"] = "/".join(bucket.split("/")[:3])
        notes.add("pythonPackageSpec.packageUris: the code package is not downloaded; set"
                  " trial.code to the package's source folder")
    elif container:
        image = notes.clean(container.get("imageUri"), "containerSpec.imageUri")
        if image:
            settings["container_image"] = image
        if container.get("command"):
            trial["command"] = list(container["command"])
        args, env = container.get("args") or [], container.get("env") or []
    else:
        args, env = [], []
    static = _args(args, notes)
    if static:
        trial["args"] = static
    if env:
        trial["env"] = {e["name"]: str(e.get("value", "")) for e in env}
    output = (trial_spec.get("baseOutputDirectory") or {}).get("outputUriPrefix")
    if notes.clean(output, "baseOutputDirectory.outputUriPrefix"):
        settings["base_output_dir"] = output
    for key, name in (("serviceAccount", "service_account"), ("network", "network")):
        if trial_spec.get(key):
            settings[name] = trial_spec[key]
    return trial, settings


def _args(args: list[str], notes: Notes) -> dict[str, Any]:
    """`--name=value` (or `--name value`) arguments as static args."""
    out: dict[str, Any] = {}
    words = list(args)
    i = 0
    while i < len(words):
        word = words[i]
        if word.startswith("--"):
            key, eq, value = word[2:].partition("=")
            if not eq and i + 1 < len(words) and not words[i + 1].startswith("--"):
                value, eq, i = words[i + 1], "=", i + 1
            if not eq:
                out[key] = None  # a bare flag
            elif notes.clean(value, f"args --{key}") is not None:
                out[key] = _scalar(value)
        else:
            notes.add(f"args: {word!r} is not a --name=value argument")
        i += 1
    return out


def _scalar(text: str) -> Any:
    for cast in (int, float):
        try:
            return cast(text)
        except ValueError:
            pass
    return text


# -- AI Platform Training ------------------------------------------------------------------------
def _ml_domain(p: dict[str, Any], notes: Notes) -> dict[str, Any] | None:
    kind = str(p.get("type", "")).upper()
    name = p.get("parameterName", "?")
    if kind == "CATEGORICAL":
        return {"type": "categorical", "values": list(p.get("categoricalValues") or [])}
    if kind == "DISCRETE":
        return {"type": "discrete", "values": [number(v) for v in p.get("discreteValues")
                                               or []]}
    if kind not in ("INTEGER", "DOUBLE"):
        notes.add(f"params.{name}: type {p.get('type')!r} is not INTEGER, DOUBLE, CATEGORICAL"
                  " or DISCRETE")
        return None
    integer = kind == "INTEGER"
    low = int(float(p["minValue"])) if integer else float(p["minValue"])
    high = int(float(p["maxValue"])) if integer else float(p["maxValue"])
    if low == high:
        return {"type": "categorical", "values": [low]}
    out: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high}
    scale = SCALES.get(str(p.get("scaleType", "")).upper())
    if scale is not None:
        out["scale"] = scale
    return out


def import_aiplatform(data: dict[str, Any]) -> dict[str, Any]:
    if not isinstance(data, dict):
        raise BackendError("aiplatform: a job is a mapping (trainingInput: ...)")
    if "params" in data or "hyperparameterMetricTag" in data or "goal" in data:
        data = {"trainingInput": {"hyperparameters": data}}  # a bare HyperparameterSpec
    training = data.get("trainingInput")
    if not isinstance(training, dict):
        raise BackendError("aiplatform: trainingInput is missing: give an hptuning_config"
                           ".yaml, a projects.jobs body or response, or a HyperparameterSpec")
    hyper = training.get("hyperparameters")
    if not isinstance(hyper, dict) or not hyper:
        raise BackendError("aiplatform: trainingInput.hyperparameters is missing: this is"
                           " a training job without hyperparameter tuning")
    notes = Notes("aiplatform")
    job_id = data.get("jobId")
    name = spec_name(job_id, "imported")
    spec: dict[str, Any] = {"name": name}
    tag = hyper.get("hyperparameterMetricTag") or DEFAULT_TAG
    goal = str(hyper.get("goal") or "").lower()
    if goal not in ("maximize", "minimize"):
        if not hyper.get("resumePreviousJobId"):
            raise BackendError("aiplatform: hyperparameters.goal: MAXIMIZE or MINIMIZE is"
                               " required")
        notes.add("hyperparameters.goal: taken from the resumed job; assumed MAXIMIZE")
        goal = "maximize"
    spec["objective"] = {"metric": tag, "goal": goal}
    space: dict[str, Any] = {}
    for p in hyper.get("params") or []:
        domain = _ml_domain(p, notes)
        if domain is not None:
            space[p["parameterName"]] = domain
    if not space:
        raise BackendError("aiplatform: hyperparameters.params: no parameter to import"
                           + (" (the resumed job's params are not in this file)"
                              if hyper.get("resumePreviousJobId") else ""))
    spec["search_space"] = space
    spec["strategy"] = {"algorithm": ALGORITHMS.get(str(hyper.get("algorithm", "")).upper(),
                                                    "bayesian")}
    if truth(hyper.get("enableTrialEarlyStopping", False)):
        spec["early_stopping"] = {"policy": "vertex_median"}
    limits: dict[str, Any] = {"max_trials": int(hyper.get("maxTrials") or 1),
                              "max_parallel": int(hyper.get("maxParallelTrials") or 1)}
    if int(hyper.get("maxFailedTrials") or 0) > 0:
        limits["max_failed"] = int(hyper["maxFailedTrials"])
    spec["limits"] = limits
    trial: dict[str, Any] = {"contract": "vertex", "summary_dir": "."}
    if training.get("pythonModule"):
        trial["command"] = ["python", "-m", training["pythonModule"]]
    static = _args(training.get("args") or [], notes)
    if static:
        trial["args"] = static
    spec["trial"] = trial
    settings: dict[str, Any] = {}
    for key, field in (("region", "region"), ("scaleTier", "scale_tier"),
                       ("masterType", "master_type"), ("workerType", "worker_type"),
                       ("parameterServerType", "parameter_server_type"),
                       ("runtimeVersion", "runtime_version"),
                       ("pythonVersion", "python_version"), ("serviceAccount",
                                                             "service_account")):
        value = notes.clean(training.get(key), f"trainingInput.{key}")
        if value is not None:
            settings[field] = value
    for key, field in (("workerCount", "worker_count"),
                       ("parameterServerCount", "parameter_server_count")):
        if training.get(key) is not None:
            settings[field] = int(training[key])
    job_dir = notes.clean(training.get("jobDir"), "trainingInput.jobDir")
    if job_dir:
        settings["job_dir"] = job_dir
    uris = [notes.clean(u, "trainingInput.packageUris") for u in training.get("packageUris")
            or []]
    bucket = next((u for u in uris if u), None)
    if bucket:
        settings["staging_bucket"] = "/".join(bucket.split("/")[:3])
    if training.get("packageUris"):
        notes.add("trainingInput.packageUris: the code package is not downloaded; set"
                  " trial.code to the package's source folder")
    if hyper.get("resumePreviousJobId"):
        settings["resume_previous_job_id"] = hyper["resumePreviousJobId"]
    if job_id:
        settings["job_id"] = job_id
    if data.get("labels"):
        settings["labels"] = dict(data["labels"])
    spec["backends"] = {"aiplatform": settings}
    spec["description"] = notes.description(f"AI Platform Training job {job_id or name}")
    return spec
