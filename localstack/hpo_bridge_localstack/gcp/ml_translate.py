"""An AI Platform Training job (`trainingInput.hyperparameters`) as an hpo-bridge spec.

The emulator's reading of the API and of the seed (SEEDS.md, 002):
- params: INTEGER -> int, DOUBLE -> float, CATEGORICAL -> categorical, DISCRETE ->
  discrete; scaleType UNIT_LINEAR/LOG/REVERSE_LOG_SCALE -> linear/log/reverse_log;
  min == max pins a constant (a one-value categorical);
- the metric is `hyperparameterMetricTag`, default `training/hptuning/metric`, read from
  the cloudml-hypertune file and from TensorFlow summaries anywhere in the trial's folder
  (`trial.summary_dir: .`), as AI Platform reads either;
- algorithm unset -> bayesian; maxTrials (default 1), maxParallelTrials (default 1);
  maxFailedTrials > 0 -> limits.max_failed, else the core's rule, which is AI Platform's
  (the first trial fails: the job ends; then too many failures or too high a ratio);
- enableTrialEarlyStopping -> the `vertex_median` rule (Google's median automated stopping);
- the program: packageUris + pythonModule + args; jobDir -> each trial gets
  `--job-dir=job` (a folder of its own, copied to `<jobDir>/<trial id>/` when it ends).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_bridge_localstack.gcp.packages import Program

DEFAULT_TAG = "training/hptuning/metric"
SCALES = {"UNIT_LINEAR_SCALE": "linear", "UNIT_LOG_SCALE": "log",
          "UNIT_REVERSE_LOG_SCALE": "reverse_log"}
ALGORITHMS = {"GRID_SEARCH": "grid", "RANDOM_SEARCH": "random"}
JOB_DIR = "job"  # each trial's own job dir, in its folder


def _number(value: Any) -> int | float:
    number = float(value)
    return int(number) if number == int(number) else number


def domain(param: dict[str, Any]) -> dict[str, Any]:
    kind = param.get("type")
    if kind == "CATEGORICAL":
        return {"type": "categorical", "values": list(param.get("categoricalValues") or [])}
    if kind == "DISCRETE":
        return {"type": "discrete", "values": [_number(v) for v in param["discreteValues"]]}
    integer = kind == "INTEGER"
    low = int(param["minValue"]) if integer else float(param["minValue"])
    high = int(param["maxValue"]) if integer else float(param["maxValue"])
    if low == high:
        return {"type": "categorical", "values": [low]}
    out: dict[str, Any] = {"type": "int" if integer else "float", "low": low, "high": high}
    scale = SCALES.get(param.get("scaleType", ""))
    if scale is not None:
        out["scale"] = scale
    return out


def spec_data(job_id: str, training: dict[str, Any], hyper: dict[str, Any],
              program: Program, roots: list[Path], previous: int = 0) -> dict[str, Any]:
    """`hyper` is the effective HyperparameterSpec (a resumed job's goal, params and tag
    come from its parent); `previous` trials of the parent count towards the budget the
    core keeps, so `maxTrials` new ones run."""
    max_trials = int(hyper.get("maxTrials") or 1)
    limits: dict[str, Any] = {
        "max_trials": max_trials + previous,
        "max_parallel": min(int(hyper.get("maxParallelTrials") or 1), max_trials),
    }
    if int(hyper.get("maxFailedTrials") or 0) > 0:
        limits["max_failed"] = int(hyper["maxFailedTrials"])
    env = dict(program.env)
    env["PYTHONPATH"] = os.pathsep.join(map(str, roots))
    args: dict[str, Any] = {}
    if training.get("jobDir"):
        args["job-dir"] = JOB_DIR
    data: dict[str, Any] = {
        "name": f"ml-{job_id}".replace("_", "-"),
        "objective": {"metric": hyper.get("hyperparameterMetricTag") or DEFAULT_TAG,
                      "goal": str(hyper["goal"]).lower()},
        "search_space": {p["parameterName"]: domain(p) for p in hyper["params"]},
        "strategy": {"algorithm": ALGORITHMS.get(hyper.get("algorithm", ""), "bayesian")},
        "limits": limits,
        "trial": {"command": ["python", "-m", program.module, *program.args],
                  "args": args, "code": str(roots[0]), "env": env, "contract": "vertex",
                  "summary_dir": "."},
    }
    if hyper.get("enableTrialEarlyStopping"):
        data["early_stopping"] = {"policy": "vertex_median"}
    return data
