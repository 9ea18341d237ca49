"""A Vertex AI HyperparameterTuningJob as an hpo-bridge spec, to run it locally.

The emulator's own reading of the documented API (it shares no code with the plugin):
- parameters: DOUBLE -> float, INTEGER -> int, CATEGORICAL -> categorical, DISCRETE ->
  discrete (whole values as integers); UNIT_LINEAR/LOG/REVERSE_LOG_SCALE ->
  linear/log/reverse_log (unspecified: linear); a range with min == max is a one-value
  categorical; conditional parameter specs
  -> `condition: {parent, values}`, nested to any depth;
- algorithm unset -> bayesian (Vertex's default), GRID_SEARCH -> grid, RANDOM_SEARCH ->
  random; measurementSelectionType BEST_MEASUREMENT -> objective.measurement best;
- medianAutomatedStoppingSpec -> the core's `vertex_median` rule, decayCurveStoppingSpec ->
  `decay_curve`; convexAutomatedStoppingSpec is refused (not emulated);
- maxTrialCount, parallelTrialCount, maxFailedTrialCount (0: the service decides -> the
  core's AI Platform rule) -> limits; trialJobSpec.scheduling.timeout -> trial_timeout;
- the first worker pool's program (packages.py) -> `python -m <module> <args>` under the
  `vertex` contract, its env, and PYTHONPATH over the unpacked packages.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.gcp.packages import Program

SCALES = {"UNIT_LINEAR_SCALE": "linear", "UNIT_LOG_SCALE": "log",
          "UNIT_REVERSE_LOG_SCALE": "reverse_log"}
ALGORITHMS = {"GRID_SEARCH": "grid", "RANDOM_SEARCH": "random"}
STOPPING = {"medianAutomatedStoppingSpec": "vertex_median",
            "decayCurveStoppingSpec": "decay_curve"}
GOALS = {"MAXIMIZE": "maximize", "MINIMIZE": "minimize"}


def number(text: Any) -> int | float:
    """An int64 (a string in JSON) or a double; a whole double is passed to the trial as
    an integer (`--batch_size=32`, which an int or a float argument parser takes)."""
    value = float(text)
    return int(value) if value == int(value) else value


def domain(param: dict[str, Any]) -> dict[str, Any]:
    if "categoricalValueSpec" in param:
        return {"type": "categorical", "values": list(param["categoricalValueSpec"]["values"])}
    if "discreteValueSpec" in param:
        return {"type": "discrete",
                "values": [number(v) for v in param["discreteValueSpec"]["values"]]}
    integer = "integerValueSpec" in param
    spec = param["integerValueSpec" if integer else "doubleValueSpec"]
    # proto3 JSON leaves out a bound of 0
    low = int(spec.get("minValue", 0)) if integer else float(spec.get("minValue", 0))
    high = int(spec.get("maxValue", 0)) if integer else float(spec.get("maxValue", 0))
    if low == high:  # a pinned constant
        return {"type": "categorical", "values": [low]}
    out: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high}
    scale = SCALES.get(param.get("scaleType", ""))
    if scale is not None:
        out["scale"] = scale
    return out


def _parent_values(child: dict[str, Any]) -> list[Any]:
    if "parentCategoricalValues" in child:
        return list(child["parentCategoricalValues"]["values"])
    if "parentIntValues" in child:
        return [int(v) for v in child["parentIntValues"]["values"]]
    return [number(v) for v in child["parentDiscreteValues"]["values"]]


def search_space(params: list[dict[str, Any]], parent: str | None = None,
                 values: list[Any] | None = None, space: dict[str, Any] | None = None
                 ) -> dict[str, Any]:
    space = {} if space is None else space
    for param in params:
        name = param["parameterId"]
        entry = domain(param)
        if parent is not None:
            entry["condition"] = {"parent": parent, "values": values}
        space[name] = entry
        for child in param.get("conditionalParameterSpecs") or []:
            search_space([child["parameterSpec"]], name, _parent_values(child), space)
    return space


def seconds(duration: str) -> float:
    """A google.protobuf.Duration in JSON ("3600s")."""
    return float(duration.rstrip("s"))


def spec_data(job_id: str, job: dict[str, Any], program: Program,
              roots: list[Path]) -> dict[str, Any]:
    study = job["studySpec"]
    objectives = [{"metric": m["metricId"], "goal": GOALS[m["goal"]]}
                  for m in study["metrics"]]
    if study.get("measurementSelectionType") == "BEST_MEASUREMENT":
        for objective in objectives:
            objective["measurement"] = "best"
    max_trials = int(job["maxTrialCount"])
    limits: dict[str, Any] = {"max_trials": max_trials,
                              "max_parallel": min(int(job["parallelTrialCount"]), max_trials)}
    if int(job.get("maxFailedTrialCount", 0) or 0) > 0:
        limits["max_failed"] = int(job["maxFailedTrialCount"])
    timeout = ((job.get("trialJobSpec") or {}).get("scheduling") or {}).get("timeout")
    if timeout:
        limits["trial_timeout"] = seconds(timeout)
    env = dict(program.env)
    env["PYTHONPATH"] = os.pathsep.join([*map(str, roots), env.get("PYTHONPATH", "")]).rstrip(
        os.pathsep)
    data: dict[str, Any] = {
        "name": f"vertex-{job_id}",
        "search_space": search_space(study["parameters"]),
        "strategy": {"algorithm": ALGORITHMS.get(study.get("algorithm", ""), "bayesian")},
        "limits": limits,
        "trial": {"command": ["python", "-m", program.module, *program.args],
                  "code": str(roots[0]), "env": env, "contract": "vertex"},
    }
    if len(objectives) == 1:
        data["objective"] = objectives[0]
    else:
        data["objectives"] = objectives
    for key, policy in STOPPING.items():
        if key in study:
            data["early_stopping"] = {"policy": policy}
    return data
