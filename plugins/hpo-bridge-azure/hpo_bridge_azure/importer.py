"""An Azure ML v2 sweep job (YAML, or its REST body) -> a unified spec (import).

Read as written by people and by earlier CLIs:
- the GA form (`type: sweep`, `sampling_algorithm` as a string or `{type, seed, rule}`,
  `limits: {...}`), and the pre-GA form (`type: sweep_job`, `algorithm`, limits at the top,
  `timeout_minutes`, distributions named by `spec`, `{search_space.x}` with single braces,
  `randint` with `lower`);
- a sweep node of a pipeline job (`jobs: {name: {type: sweep, ...}}`, chosen with `--node`
  when there are several), whose `trial: file:./component.yml` is read relative to the YAML;
- the REST body (`{"properties": {"jobType": "Sweep", ...}}`) the service returns.

`loguniform`/`qloguniform` bounds are Azure's natural-log exponents: they become value
bounds. The service's rules that a hand-written file may break are reported one line each
with the place in the file.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from hpo_bridge.backends import BackendError
from hpo_bridge_azure.places import Places, read_yaml
from hpo_bridge_azure.rules import service_problems
from hpo_bridge_azure.space import domain_from

BACKEND = "azure"
SINGLE_BRACES = re.compile(r"(?<![{$])\{\s*(search_space|inputs)\.([^}\s]+)\s*\}(?!\})")
NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")
POLICIES = {"bandit": "bandit", "median_stopping": "median", "truncation_selection":
            "truncation"}
REST_TYPES = {"Random": "random", "Grid": "grid", "Bayesian": "bayesian", "Bandit": "bandit",
              "MedianStopping": "median_stopping", "TruncationSelection": "truncation_selection"}


def import_sweep_file(path: Path, node: str | None = None) -> dict[str, Any]:
    data, lines = read_yaml(path, BACKEND)
    places = Places(path, lines)
    if not isinstance(data, dict):
        raise BackendError(f"{path}: not an Azure ML job (a YAML mapping)")
    if str(data.get("type", "")).lower() == "pipeline":
        name, job = _pipeline_node(data, node, path)
        places = places.within("jobs", name)
        job = _with_component(job, path.parent, places)
    else:
        if node is not None:
            raise BackendError(f"--node: {path} is not a pipeline job (it has no nodes)")
        job = data
    return import_sweep(job, places=places, base_dir=path.parent, fallback_name=path.stem)


def _pipeline_node(data: dict[str, Any], node: str | None,
                   path: Path) -> tuple[str, dict[str, Any]]:
    jobs = data.get("jobs") or {}
    sweeps = [name for name, job in jobs.items()
              if isinstance(job, dict) and str(job.get("type", "")).lower() in
              ("sweep", "sweep_job")]
    if node is not None:
        if node not in sweeps:
            raise BackendError(f"--node: {path} has no sweep node {node!r} (it has:"
                               f" {', '.join(sweeps) or 'none'})")
        return node, jobs[node]
    if len(sweeps) != 1:
        raise BackendError(f"{path}: {'no' if not sweeps else len(sweeps)} sweep nodes in the"
                           " pipeline" + (f" ({', '.join(sweeps)}): choose one with --node NAME"
                                          if sweeps else ""))
    return sweeps[0], jobs[sweeps[0]]


def _with_component(job: dict[str, Any], folder: Path, places: Places) -> dict[str, Any]:
    """A node's `trial: file:./component.yml` (or a path) read relative to the YAML: the
    component's command, code and environment become the sweep's trial."""
    trial = job.get("trial")
    if not isinstance(trial, str):
        return job
    ref = trial[len("file:"):] if trial.startswith("file:") else trial
    component_path = (folder / ref).resolve()
    if not component_path.is_file():
        raise BackendError(places.say(f"trial: {trial} not found (read relative to"
                                      f" {folder})"))
    component, _ = read_yaml(component_path, BACKEND)
    if not isinstance(component, dict) or "command" not in component:
        raise BackendError(f"{component_path}: not a command component (no command)")
    merged = dict(job)
    code = component.get("code")
    new_trial = {k: component[k] for k in ("command", "environment", "environment_variables",
                                           "resources", "distribution") if k in component}
    if code is not None:
        code_path = (component_path.parent / str(code)).resolve()
        new_trial["code"] = str(code_path)
    # In a pipeline's sweep node the component reads its parameters as inputs.
    params = set(job.get("search_space") or {})
    new_trial["command"] = re.sub(
        r"\$\{\{\s*inputs\.([^}\s]+)\s*\}\}",
        lambda m: f"${{{{search_space.{m.group(1)}}}}}" if m.group(1) in params
        else m.group(0), str(component["command"]))
    merged["trial"] = new_trial
    return merged


def _from_rest(body: dict[str, Any]) -> dict[str, Any]:
    """The REST body's properties in the YAML form's names."""
    props = body.get("properties", body)
    space = {}
    for name, (kind, args) in (props.get("searchSpace") or {}).items():
        if kind == "choice":
            space[name] = {"type": "choice", "values": list(args[0])}
        elif kind == "randint":
            space[name] = {"type": "randint", "upper": args[0]}
        elif kind in ("uniform", "loguniform", "quniform", "qloguniform"):
            space[name] = {"type": kind, "min_value": args[0], "max_value": args[1],
                           **({"q": args[2]} if len(args) > 2 else {})}
        else:
            space[name] = {"type": kind, "mu": args[0], "sigma": args[1],
                           **({"q": args[2]} if len(args) > 2 else {})}
    sampling = dict(props.get("samplingAlgorithm") or {})
    policy = dict(props.get("earlyTermination") or {})
    limits = props.get("limits") or {}
    trial = props.get("trial") or {}
    job: dict[str, Any] = {
        "type": "sweep", "name": body.get("name"), "experiment_name": props.get(
            "experimentName"),
        "search_space": space,
        "sampling_algorithm": {"type": REST_TYPES.get(sampling.get(
            "samplingAlgorithmType", "Random"), "random"),
            **{k: sampling[k] for k in ("seed", "rule") if sampling.get(k) is not None}},
        "objective": {"goal": (props.get("objective") or {}).get("goal"),
                      "primary_metric": (props.get("objective") or {}).get("primaryMetric")},
        "limits": {"max_total_trials": limits.get("maxTotalTrials"),
                   "max_concurrent_trials": limits.get("maxConcurrentTrials")},
        "trial": {"command": trial.get("command"), "environment": trial.get("environmentId"),
                  "environment_variables": trial.get("environmentVariables") or {}},
        "inputs": {k: v.get("value") for k, v in (props.get("inputs") or {}).items()
                   if v.get("jobInputType") == "literal"},
    }
    if policy:
        job["early_termination"] = {
            "type": REST_TYPES.get(policy.get("policyType", ""), policy.get("policyType")),
            "evaluation_interval": policy.get("evaluationInterval"),
            "delay_evaluation": policy.get("delayEvaluation"),
            **{y: policy[r] for r, y in (("slackFactor", "slack_factor"),
                                         ("slackAmount", "slack_amount"),
                                         ("truncationPercentage", "truncation_percentage"))
               if policy.get(r)}}
    for key, rest in (("timeout", "timeout"), ("trial_timeout", "trialTimeout")):
        if limits.get(rest):
            job["limits"][key] = limits[rest]
    return job


def _pre_ga(job: dict[str, Any]) -> dict[str, Any]:
    """The pre-GA `sweep_job` form in the GA form's names."""
    out = dict(job)
    if "algorithm" in out and "sampling_algorithm" not in out:
        out["sampling_algorithm"] = out.pop("algorithm")
    limits = dict(out.get("limits") or {})
    for key in ("max_total_trials", "max_concurrent_trials", "timeout", "trial_timeout"):
        if key in out:
            limits[key] = out.pop(key)
    if "timeout_minutes" in out:
        limits["timeout"] = int(out.pop("timeout_minutes")) * 60
    if limits:
        out["limits"] = limits
    space = {}
    for name, d in (out.get("search_space") or {}).items():
        d = dict(d) if isinstance(d, dict) else d
        if isinstance(d, dict) and "spec" in d and "type" not in d:
            d["type"] = d.pop("spec")
        space[name] = d
    out["search_space"] = space
    return out


def _duration(value: Any) -> Any:
    """An int of seconds, or an ISO 8601 duration as the REST body has it."""
    return value


def import_sweep(data: dict[str, Any], places: Places | None = None,
                 base_dir: Path | None = None, fallback_name: str = "imported-sweep",
                 ) -> dict[str, Any]:
    """A unified spec (dict) from a sweep job in its YAML form or REST body."""
    if "properties" in data and isinstance(data["properties"], dict) and \
            "searchSpace" in data["properties"]:
        data = _from_rest(data)
    kind = str(data.get("type", "sweep")).lower()
    if kind not in ("sweep", "sweep_job"):
        raise BackendError(f"{BACKEND}: not a sweep job (type {kind})")
    job = _pre_ga(data)
    trial = dict(job.get("trial") or {})
    command = trial.get("command")
    if isinstance(command, str):
        command = SINGLE_BRACES.sub(lambda m: f"${{{{{m.group(1)}.{m.group(2)}}}}}", command)
        trial["command"] = command
        job["trial"] = trial
    problems = _shape_problems(job) or service_problems(job)
    if problems:
        say = places.say if places is not None else (lambda p: f"{BACKEND}: {p}")
        raise BackendError("\n".join(say(p) for p in problems))
    return _spec(job, base_dir, fallback_name)


def _shape_problems(job: dict[str, Any]) -> list[str]:
    problems = []
    for key in ("search_space", "objective", "trial"):
        if not isinstance(job.get(key), dict) or not job.get(key):
            problems.append(f"{key}: required for a sweep job")
    space = job.get("search_space") or {}
    if isinstance(space, dict):
        for name, d in space.items():
            if not isinstance(d, dict) or "type" not in d:
                problems.append(f"search_space.{name}: a distribution needs a type (choice,"
                                " uniform, loguniform, ...)")
            elif d["type"] == "randint" and "lower" in d and not isinstance(d.get("lower"), int):
                problems.append(f"search_space.{name}.lower: a whole number")
    return problems


def _domain(name: str, d: dict[str, Any]) -> dict[str, Any]:
    if d["type"] == "randint" and d.get("lower") not in (None, 0):
        return {"type": "int", "low": d["lower"], "high": d["upper"] - 1}
    return domain_from(name, d)


def _spec(job: dict[str, Any], base_dir: Path | None, fallback_name: str) -> dict[str, Any]:
    name = NAME_CHARS.sub("-", str(job.get("name") or job.get("display_name")
                                   or fallback_name)).strip("-.") or "imported-sweep"
    sampling = job.get("sampling_algorithm") or "random"
    sampling = sampling if isinstance(sampling, dict) else {"type": sampling}
    algorithm = str(sampling.get("type", "random")).lower()
    if algorithm == "random" and str(sampling.get("rule", "random")).lower() == "sobol":
        algorithm = "sobol"
    strategy: dict[str, Any] = {"algorithm": algorithm}
    if sampling.get("seed") is not None:
        strategy["seed"] = sampling["seed"]
    objective = job["objective"]
    spec: dict[str, Any] = {
        "name": name[:128],
        "objective": {"metric": objective["primary_metric"],
                      "goal": str(objective["goal"]).lower()},
        "search_space": {n: _domain(n, d) for n, d in job["search_space"].items()},
        "strategy": strategy,
    }
    if job.get("description"):
        spec["description"] = job["description"]
    policy = job.get("early_termination")
    if isinstance(policy, dict) and policy.get("type") in POLICIES:
        spec["early_stopping"] = _policy(policy)
    limits = job.get("limits") or {}
    spec_limits: dict[str, Any] = {}
    if limits.get("max_total_trials") is not None:
        spec_limits["max_trials"] = limits["max_total_trials"]
    if limits.get("max_concurrent_trials") is not None:
        spec_limits["max_parallel"] = limits["max_concurrent_trials"]
    for key, target in (("timeout", "max_duration"), ("trial_timeout", "trial_timeout")):
        if limits.get(key) is not None:
            spec_limits[target] = limits[key]
    if spec_limits:
        spec["limits"] = spec_limits
    spec["trial"], settings = _trial(job, base_dir)
    spec["backends"] = {"azure": settings}
    return spec


def _policy(policy: dict[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"policy": POLICIES[policy["type"]],
                           # v2's default interval 0 means every interval
                           "evaluation_interval": max(1, int(policy.get("evaluation_interval")
                                                             or 1)),
                           "delay_evaluation": int(policy.get("delay_evaluation") or 0)}
    for key in ("slack_factor", "slack_amount"):
        if policy.get(key):
            out[key] = policy[key]
    if policy["type"] == "truncation_selection":
        out["truncation_percentage"] = policy.get("truncation_percentage")
        if policy.get("exclude_finished_jobs"):
            out["exclude_finished"] = True
    return out


def _trial(job: dict[str, Any], base_dir: Path | None) -> tuple[dict[str, Any], dict[str, Any]]:
    trial = job["trial"]
    out: dict[str, Any] = {"command": trial.get("command"), "contract": "azure"}
    code = trial.get("code")
    if isinstance(code, dict):  # pre-GA {local_path: ...}
        code = code.get("local_path") or code.get("path")
    if isinstance(code, str) and not code.startswith(("azureml:", "/subscriptions/")):
        out["code"] = code
    args, inputs = {}, {}
    for key, value in (job.get("inputs") or {}).items():
        if isinstance(value, dict):
            if value.get("path"):
                inputs[key] = str(value["path"])
            elif "value" in value:
                args[key] = value["value"]
        elif value is not None:
            args[key] = value
    if args:
        out["args"] = args
    if inputs:
        out["inputs"] = inputs
    if trial.get("environment_variables"):
        out["env"] = {k: str(v) for k, v in trial["environment_variables"].items()}
    settings: dict[str, Any] = {}
    environment = trial.get("environment")
    if isinstance(environment, str):
        settings["environment"] = environment if environment.startswith(
            ("azureml:", "/subscriptions/")) else f"azureml:{environment}"
    elif isinstance(environment, dict) and environment.get("image"):
        settings["image"] = environment["image"]
    compute = job.get("compute") or (trial.get("compute") or {})
    if isinstance(compute, dict):
        compute = compute.get("target")
    if isinstance(compute, str) and compute:
        settings["compute"] = compute.split(":", 1)[-1].rsplit("/", 1)[-1]
    if job.get("experiment_name"):
        settings["experiment_name"] = job["experiment_name"]
    resources = trial.get("resources") or {}
    if resources.get("instance_count"):
        settings["instance_count"] = resources["instance_count"]
    if resources.get("instance_type"):
        settings["instance_type"] = resources["instance_type"]
    if trial.get("distribution"):
        settings["distribution"] = trial["distribution"]
    return out, settings
