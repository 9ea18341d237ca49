"""What Vertex AI refuses in a HyperparameterTuningJob that its types let through.

The JSON parser of the types already refuses unknown fields, a fractional int64 and two
members of one oneof; it keeps an enum number it does not know, and nothing checks
`min > max`, the order of discrete values, the counts, the parameter ids. Checked on the
canonical form of the parsed job (`protos.compact`: enum names; an unknown number stays
a number).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

VALUE_SPECS = ("doubleValueSpec", "integerValueSpec", "categoricalValueSpec",
               "discreteValueSpec")
STOPPING_SPECS = ("decayCurveStoppingSpec", "medianAutomatedStoppingSpec",
                  "convexAutomatedStoppingSpec")
PARENT_VALUES = ("parentDiscreteValues", "parentIntValues", "parentCategoricalValues")
ENUMS = {  # field -> the names its values may take (numbers are looked up in the types)
    "goal": ("MAXIMIZE", "MINIMIZE"),
    "scaleType": ("SCALE_TYPE_UNSPECIFIED", "UNIT_LINEAR_SCALE", "UNIT_LOG_SCALE",
                  "UNIT_REVERSE_LOG_SCALE"),
    "algorithm": ("ALGORITHM_UNSPECIFIED", "GRID_SEARCH", "RANDOM_SEARCH"),
    "measurementSelectionType": ("MEASUREMENT_SELECTION_TYPE_UNSPECIFIED",
                                 "LAST_MEASUREMENT", "BEST_MEASUREMENT"),
}
MAX_DISCRETE = 1000


def _enum_ok(field: str, value: Any) -> bool:
    return isinstance(value, str) and value in ENUMS[field]


def _parameter(param: dict[str, Any], where: str) -> Iterator[str]:
    given = [k for k in VALUE_SPECS if k in param]
    if len(given) != 1:
        yield (f"{where}: exactly one of {', '.join(VALUE_SPECS)} is required"
               f" (got {', '.join(given) or 'none'})")
    if "scaleType" in param and not _enum_ok("scaleType", param["scaleType"]):
        yield f"{where}.scaleType: {param['scaleType']!r} is not a ScaleType"
    spec_name = given[0] if given else None
    spec = param.get(spec_name, {}) if spec_name else {}
    if spec_name in ("doubleValueSpec", "integerValueSpec"):
        # proto3 JSON leaves out a bound of 0 (no field presence): absent means 0.
        low, high = spec.get("minValue", 0), spec.get("maxValue", 0)
        if True:
            if spec_name == "integerValueSpec":
                for name, bound in (("minValue", low), ("maxValue", high)):
                    number = float(bound)
                    if not math.isfinite(number) or number != int(number):
                        yield f"{where}.{spec_name}.{name}: {bound} is not an integer"
            if float(low) > float(high):
                yield f"{where}.{spec_name}: minValue {low} is greater than maxValue {high}"
            scale = param.get("scaleType")
            if scale == "UNIT_LOG_SCALE" and float(low) <= 0:
                yield f"{where}: UNIT_LOG_SCALE needs minValue > 0 (got {low})"
    elif spec_name == "discreteValueSpec":
        values = [float(v) for v in spec.get("values") or []]
        if not values:
            yield f"{where}.discreteValueSpec.values: at least one value is required"
        if len(values) > MAX_DISCRETE:
            yield f"{where}.discreteValueSpec.values: {len(values)} values, at most 1000"
        for a, b in zip(values, values[1:], strict=False):
            if not a < b:
                yield (f"{where}.discreteValueSpec.values: must be strictly increasing"
                       f" ({a:g} is followed by {b:g})")
                break
    elif spec_name == "categoricalValueSpec":
        values = spec.get("values") or []
        if not values:
            yield f"{where}.categoricalValueSpec.values: at least one value is required"
        if len(set(values)) != len(values):
            yield f"{where}.categoricalValueSpec.values: values must be distinct"
    for j, child in enumerate(param.get("conditionalParameterSpecs") or []):
        cwhere = f"{where}.conditionalParameterSpecs[{j}]"
        parents = [k for k in PARENT_VALUES if k in child]
        if len(parents) != 1:
            yield f"{cwhere}: exactly one of {', '.join(PARENT_VALUES)} is required"
        yield from _parameter(child.get("parameterSpec") or {}, f"{cwhere}.parameterSpec")


def job_problems(body: dict[str, Any]) -> list[str]:
    """Every problem of a raw HyperparameterTuningJob body (camelCase JSON)."""
    problems: list[str] = []
    study = body.get("studySpec")
    if not isinstance(study, dict):
        return ["studySpec: required"]
    metrics = study.get("metrics") or []
    if not metrics:
        problems.append("studySpec.metrics: at least one metric is required")
    for i, metric in enumerate(metrics):
        if not metric.get("metricId"):
            problems.append(f"studySpec.metrics[{i}].metricId: required")
        goal = metric.get("goal", "GOAL_TYPE_UNSPECIFIED")
        if not _enum_ok("goal", goal):
            problems.append(f"studySpec.metrics[{i}].goal: {goal} is not"
                            " MAXIMIZE or MINIMIZE")
    for field in ("algorithm", "measurementSelectionType"):
        if field in study and not _enum_ok(field, study[field]):
            problems.append(f"studySpec.{field}: {study[field]!r} is not a valid value")
    stopping = [k for k in STOPPING_SPECS if k in study]
    if len(stopping) > 1:
        problems.append(f"studySpec: {' and '.join(stopping)} are one oneof (give one)")
    params = study.get("parameters") or []
    if not params:
        problems.append("studySpec.parameters: at least one parameter is required")
    ids: set[str] = set()
    for i, param in enumerate(params):
        problems += _parameter(param, f"studySpec.parameters[{i}]")
        pid = param.get("parameterId")
        if not pid:
            problems.append(f"studySpec.parameters[{i}].parameterId: required")
        elif pid in ids:
            problems.append(f"studySpec.parameters[{i}].parameterId: duplicate {pid!r}")
        ids.add(pid or "")
    algorithm = study.get("algorithm")
    if algorithm == "GRID_SEARCH":
        for i, param in enumerate(params):
            if "doubleValueSpec" in param:
                problems.append(f"studySpec.parameters[{i}]: GRID_SEARCH needs INTEGER,"
                                " CATEGORICAL or DISCRETE parameters")
    counts = {k: int(body.get(k, 0) or 0) for k in
              ("maxTrialCount", "parallelTrialCount", "maxFailedTrialCount")}
    if counts["maxTrialCount"] <= 0:
        problems.append("maxTrialCount: must be positive")
    if counts["parallelTrialCount"] <= 0:
        problems.append("parallelTrialCount: must be positive")
    if counts["maxFailedTrialCount"] < 0:
        problems.append("maxFailedTrialCount: must not be negative")
    if 0 < counts["maxTrialCount"] < counts["maxFailedTrialCount"]:
        problems.append("maxFailedTrialCount: must not exceed maxTrialCount")
    pools = (body.get("trialJobSpec") or {}).get("workerPoolSpecs") or []
    if not pools:
        problems.append("trialJobSpec.workerPoolSpecs: at least one worker pool is required")
    for i, pool in enumerate(pools):
        forms = [k for k in ("containerSpec", "pythonPackageSpec") if k in pool]
        if len(forms) != 1 and pool:
            problems.append(f"trialJobSpec.workerPoolSpecs[{i}]: exactly one of"
                            " containerSpec and pythonPackageSpec is required")
    if not body.get("displayName"):
        problems.append("displayName: required")
    return problems
