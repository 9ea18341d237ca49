"""A sweep job's REST body: the service's checks, and the spec hpo-bridge's core runs.

The emulator's own reading of the documented API (it shares no code with the plugin):
- search space `{"x": ["loguniform", [min, max]]}`: loguniform/qloguniform bounds are
  natural-log exponents (seed 000) and become value bounds; randint(upper) is [0, upper);
- samplingAlgorithm Random (seed, rule sobol -> the sobol searcher), Grid, Bayesian;
- earlyTermination Bandit (slackFactor or slackAmount), MedianStopping,
  TruncationSelection, each with evaluationInterval (0: every interval) and delayEvaluation;
- limits maxTotalTrials, maxConcurrentTrials, timeout (ends the sweep), trialTimeout;
- the trial command under the `azure` contract (`${{search_space.X}}`, `${{inputs.X}}`),
  literal inputs as its values.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

REFERENCE = re.compile(r"\$\{\{\s*(\w+)\.([^}\s]+)\s*\}\}")
GRID_KINDS = {"choice"}
BAYESIAN_KINDS = {"choice", "uniform", "quniform"}
RANGES = ("uniform", "loguniform", "quniform", "qloguniform")
MAX_TOTAL, MAX_CONCURRENT = 1000, 100
POLICIES = {"Bandit": "bandit", "MedianStopping": "median",
            "TruncationSelection": "truncation"}
SAMPLING = {"Random": "random", "Grid": "grid", "Bayesian": "bayesian"}


class SweepRejected(ValueError):
    """The service's 400 for a sweep it will not run."""


def _num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def check(props: dict[str, Any]) -> list[str]:
    """The service's rules (what azure-ai-ml lets through offline), one line each."""
    problems: list[str] = []
    space = props.get("searchSpace")
    if not isinstance(space, dict) or not space:
        problems.append("searchSpace: required")
        space = {}
    sampling = (props.get("samplingAlgorithm") or {}).get("samplingAlgorithmType")
    if sampling not in SAMPLING:
        problems.append(f"samplingAlgorithm: {sampling!r} is not Random, Grid or Bayesian")
    allowed = {"Grid": GRID_KINDS, "Bayesian": BAYESIAN_KINDS}.get(str(sampling))
    for name, expression in space.items():
        if not (isinstance(expression, list) and len(expression) == 2
                and isinstance(expression[1], list)):
            problems.append(f"searchSpace.{name}: not [type, [arguments]]")
            continue
        kind, args = expression
        if allowed is not None and kind not in allowed:
            problems.append(f"searchSpace.{name}: {kind} is not supported with {sampling}"
                            " sampling")
        if kind == "choice" and not (args and isinstance(args[0], list) and args[0]):
            problems.append(f"searchSpace.{name}: choice needs at least one value")
        if kind in RANGES and len(args) >= 2 and _num(args[0]) and _num(args[1]) \
                and not args[0] < args[1]:
            problems.append(f"searchSpace.{name}: min ({args[0]}) must be below max ({args[1]})")
        if kind == "randint" and not (args and isinstance(args[0], int) and args[0] >= 1):
            problems.append(f"searchSpace.{name}: randint upper must be a whole number >= 1")
    policy = props.get("earlyTermination") or {}
    if policy:
        kind = policy.get("policyType")
        if sampling == "Bayesian":
            problems.append("earlyTermination: Bayesian sampling does not support early"
                            " termination policies")
        if kind == "Bandit" and bool(policy.get("slackFactor")) == bool(
                policy.get("slackAmount")):
            problems.append("earlyTermination: Bandit needs exactly one of slackFactor and"
                            " slackAmount")
        if kind == "TruncationSelection" and not 1 <= int(
                policy.get("truncationPercentage") or 0) <= 99:
            problems.append("earlyTermination: truncationPercentage must be in 1..99")
        if kind not in POLICIES:
            problems.append(f"earlyTermination: unknown policyType {kind!r}")
    limits = props.get("limits") or {}
    total, concurrent = limits.get("maxTotalTrials"), limits.get("maxConcurrentTrials")
    if not isinstance(total, int) or not 1 <= total <= MAX_TOTAL:
        problems.append(f"limits.maxTotalTrials: must be in 1..{MAX_TOTAL}")
    if concurrent is not None and (not isinstance(concurrent, int)
                                   or not 1 <= concurrent <= MAX_CONCURRENT):
        problems.append(f"limits.maxConcurrentTrials: must be in 1..{MAX_CONCURRENT}")
    elif isinstance(total, int) and isinstance(concurrent, int) and concurrent > total:
        problems.append("limits.maxConcurrentTrials: exceeds maxTotalTrials")
    trial = props.get("trial") or {}
    command = trial.get("command")
    if not isinstance(command, str) or not command.strip():
        problems.append("trial.command: required")
    else:
        inputs = props.get("inputs") or {}
        for match in REFERENCE.finditer(command):
            kind, name = match.groups()
            if kind == "search_space" and name not in space:
                problems.append(f"trial.command: {match.group(0)} is not in searchSpace")
            elif kind == "inputs" and name not in inputs:
                problems.append(f"trial.command: {match.group(0)} is not an input of the job")
    return problems


def _domain(kind: str, args: list[Any]) -> dict[str, Any]:
    if kind == "choice":
        return {"type": "categorical", "values": list(args[0])}
    if kind == "randint":
        return {"distribution": "randint", "upper": args[0]}
    out: dict[str, Any] = {"distribution": kind}
    if kind in RANGES:
        low, high = args[0], args[1]
        if kind in ("loguniform", "qloguniform"):
            low, high = math.exp(low), math.exp(high)
        out["low"], out["high"] = low, high
    else:
        out["mu"], out["sigma"] = args[0], args[1]
    if len(args) > 2:
        out["q"] = args[2]
    return out


def spec_data(name: str, props: dict[str, Any], code_dir: Path | None,
              inputs: dict[str, str]) -> dict[str, Any]:
    """The spec (as a dict) that runs the sweep `name` locally."""
    sampling = props.get("samplingAlgorithm") or {}
    algorithm = SAMPLING.get(sampling.get("samplingAlgorithmType", "Random"), "random")
    if algorithm == "random" and str(sampling.get("rule") or "").lower() == "sobol":
        algorithm = "sobol"
    strategy: dict[str, Any] = {"algorithm": algorithm}
    if sampling.get("seed") is not None and algorithm in ("random", "sobol"):
        strategy["seed"] = sampling["seed"]
    space = {k: _domain(*v) for k, v in props["searchSpace"].items()}
    limits_in = props.get("limits") or {}
    total = int(limits_in["maxTotalTrials"])
    if algorithm == "grid":
        total = min(total, math.prod(len(d["values"]) for d in space.values()))
    limits: dict[str, Any] = {"max_trials": total,
                              "max_parallel": min(int(limits_in.get("maxConcurrentTrials")
                                                      or total), total)}
    if limits_in.get("timeout"):
        limits["max_duration"] = limits_in["timeout"]
    if limits_in.get("trialTimeout"):
        limits["trial_timeout"] = limits_in["trialTimeout"]
    trial = props["trial"]
    literal = {k: v.get("value") for k, v in (props.get("inputs") or {}).items()
               if isinstance(v, dict) and v.get("jobInputType") == "literal"}
    data: dict[str, Any] = {
        "name": re.sub(r"[^A-Za-z0-9-]+", "-", name).strip("-")[:128] or "sweep",
        "objective": {"metric": props["objective"]["primaryMetric"],
                      "goal": str(props["objective"]["goal"]).lower()},
        "search_space": space,
        "strategy": strategy,
        "limits": limits,
        "trial": {"command": trial["command"], "contract": "azure",
                  "args": {k: _literal(v) for k, v in literal.items()},
                  "inputs": dict(inputs),
                  "env": {k: str(v) for k, v in (trial.get("environmentVariables")
                                                 or {}).items()}},
    }
    if code_dir is not None:
        data["trial"]["code"] = str(code_dir)
    policy = props.get("earlyTermination") or {}
    if policy.get("policyType") in POLICIES:
        stopping: dict[str, Any] = {
            "policy": POLICIES[policy["policyType"]],
            "evaluation_interval": max(1, int(policy.get("evaluationInterval") or 0)),
            "delay_evaluation": int(policy.get("delayEvaluation") or 0)}
        for rest, key in (("slackFactor", "slack_factor"), ("slackAmount", "slack_amount"),
                          ("truncationPercentage", "truncation_percentage")):
            if policy.get(rest):
                stopping[key] = policy[rest]
        data["early_stopping"] = stopping
    return data


def _literal(value: Any) -> Any:
    """Literal inputs travel as strings; numbers become numbers again."""
    if not isinstance(value, str):
        return value
    for kind in (int, float):
        try:
            return kind(value)
        except ValueError:
            continue
    return value


def build_spec(name: str, props: dict[str, Any], code_dir: Path | None = None,
               inputs: dict[str, str] | None = None) -> Any:
    from hpo_bridge.spec import validate_spec

    return validate_spec(spec_data(name, props, code_dir, inputs or {}), base_dir=code_dir)
