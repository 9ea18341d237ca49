"""A HyperparameterTuningJob body checked before Vertex AI sees it: the SDK's own types
(`aiplatform_v1`: field names, types, enum names, oneofs), plus what proto-plus lets
through when a job is built from a dict — an enum number it does not know (kept, with a
warning), an integer bound with a fraction (silently truncated), two members of one oneof
(the last wins) — and what no type checks: `min > max`, discrete values strictly
increasing (at most 1,000), distinct categorical values and parameter ids, the counts.

Works on camelCase REST JSON; `camel()` turns a GAPIC-style (snake_case) dict into it.
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator
from typing import Any

VALUE_SPECS = ("doubleValueSpec", "integerValueSpec", "categoricalValueSpec",
               "discreteValueSpec")
STOPPING = ("decayCurveStoppingSpec", "medianAutomatedStoppingSpec",
            "convexAutomatedStoppingSpec")
PARENTS = ("parentDiscreteValues", "parentIntValues", "parentCategoricalValues")
MAX_DISCRETE = 1000
_SNAKE = re.compile(r"_([a-z0-9])")


def camel(data: Any) -> Any:
    """snake_case keys -> camelCase, recursively (labels' keys are left alone)."""
    if isinstance(data, list):
        return [camel(v) for v in data]
    if not isinstance(data, dict):
        return data
    out = {}
    for key, value in data.items():
        name = _SNAKE.sub(lambda m: m.group(1).upper(), key) if isinstance(key, str) else key
        out[name] = value if name == "labels" else camel(value)
    return out


@functools.cache
def _enums() -> dict[str, tuple[dict[str, int], bool]]:
    """field -> (names -> numbers, whether 0 (unspecified) is refused)."""
    from google.cloud.aiplatform_v1.types import StudySpec

    def members(enum: Any) -> dict[str, int]:
        return {m.name: int(m) for m in enum}

    return {
        "goal": (members(StudySpec.MetricSpec.GoalType), True),
        "scaleType": (members(StudySpec.ParameterSpec.ScaleType), False),
        "algorithm": (members(StudySpec.Algorithm), False),
        "measurementSelectionType": (members(StudySpec.MeasurementSelectionType), False),
    }


def _enum(field: str, value: Any, where: str) -> Iterator[str]:
    members, no_zero = _enums()[field]
    known = (value in members.values() if isinstance(value, int) and not isinstance(
        value, bool) else value in members)
    unspecified = value == 0 or (isinstance(value, str) and value.endswith("_UNSPECIFIED"))
    if not known or (no_zero and unspecified):
        allowed = [n for n in members if not (no_zero and n.endswith("_UNSPECIFIED"))]
        yield f"{where}: {value!r} is not one of {', '.join(allowed)}"


def _whole(value: Any) -> bool:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return False
    return math.isfinite(number) and number == int(number)


def _parameter(p: dict[str, Any], where: str) -> Iterator[str]:
    given = [k for k in VALUE_SPECS if k in p]
    if len(given) != 1:
        yield (f"{where}: one of {', '.join(VALUE_SPECS)} is required"
               + (f" (two members of one oneof: {' and '.join(given)})" if given else ""))
    if "scaleType" in p:
        yield from _enum("scaleType", p["scaleType"], f"{where}.scaleType")
    if not p.get("parameterId"):
        yield f"{where}.parameterId: required"
    for kind in given[:1]:
        spec = p[kind] or {}
        at = f"{where}.{kind}"
        if kind in ("doubleValueSpec", "integerValueSpec"):
            low, high = spec.get("minValue"), spec.get("maxValue")
            if low is None or high is None:
                yield f"{at}: minValue and maxValue are required"
                continue
            if kind == "integerValueSpec":
                for name, bound in (("minValue", low), ("maxValue", high)):
                    if not _whole(bound):
                        yield f"{at}.{name}: {bound} is not an integer (it would be truncated)"
            if float(low) > float(high):
                yield f"{at}: minValue {low} is greater than maxValue {high}"
            if p.get("scaleType") in ("UNIT_LOG_SCALE", 2) and float(low) <= 0:
                yield f"{where}: UNIT_LOG_SCALE needs minValue > 0 (got {low})"
        elif kind == "discreteValueSpec":
            values = [float(v) for v in spec.get("values") or []]
            if not values:
                yield f"{at}.values: at least one value is required"
            if len(values) > MAX_DISCRETE:
                yield f"{at}.values: {len(values)} values, at most {MAX_DISCRETE}"
            for a, b in zip(values, values[1:], strict=False):
                if not a < b:
                    yield f"{at}.values: must be strictly increasing ({a:g} then {b:g})"
                    break
        else:
            values = spec.get("values") or []
            if not values:
                yield f"{at}.values: at least one value is required"
            elif len(set(values)) != len(values):
                yield f"{at}.values: values must be distinct"
    for j, child in enumerate(p.get("conditionalParameterSpecs") or []):
        at = f"{where}.conditionalParameterSpecs[{j}]"
        parents = [k for k in PARENTS if k in child]
        if len(parents) != 1:
            yield f"{at}: one of {', '.join(PARENTS)} is required"
        yield from _parameter(child.get("parameterSpec") or {}, f"{at}.parameterSpec")


def _ids(params: list[dict[str, Any]]) -> Iterator[str]:
    for p in params:
        yield p.get("parameterId", "")
        for child in p.get("conditionalParameterSpecs") or []:
            yield from _ids([child.get("parameterSpec") or {}])


def raw_problems(job: dict[str, Any]) -> list[str]:
    """The checks proto-plus and the service's types do not make (camelCase JSON)."""
    problems: list[str] = []
    study = job.get("studySpec") or {}
    metrics = study.get("metrics") or []
    if not metrics:
        problems.append("studySpec.metrics: at least one metric is required")
    for i, m in enumerate(metrics):
        if not m.get("metricId"):
            problems.append(f"studySpec.metrics[{i}].metricId: required")
        problems += _enum("goal", m.get("goal", 0), f"studySpec.metrics[{i}].goal")
    for field in ("algorithm", "measurementSelectionType"):
        if field in study:
            problems += _enum(field, study[field], f"studySpec.{field}")
    stopping = [k for k in STOPPING if k in study]
    if len(stopping) > 1:
        problems.append(f"studySpec: two members of one oneof: {' and '.join(stopping)}")
    parameters = study.get("parameters") or []
    if not parameters:
        problems.append("studySpec.parameters: at least one parameter is required")
    for i, p in enumerate(parameters):
        problems += _parameter(p, f"studySpec.parameters[{i}]")
    seen: set[str] = set()
    for pid in _ids(parameters):
        if pid and pid in seen:
            problems.append(f"studySpec.parameters: duplicate parameterId {pid!r}")
        seen.add(pid)
    if study.get("algorithm") in ("GRID_SEARCH", 2) and any(
            "doubleValueSpec" in p for p in parameters):
        problems.append("studySpec.algorithm: GRID_SEARCH takes INTEGER, CATEGORICAL and"
                        " DISCRETE parameters only")
    counts: dict[str, Any] = {k: job.get(k) for k in ("maxTrialCount", "parallelTrialCount",
                                                      "maxFailedTrialCount")}
    for key in ("maxTrialCount", "parallelTrialCount"):
        if counts[key] is None or not _whole(counts[key]) or int(counts[key]) < 1:
            problems.append(f"{key}: a positive integer is required")
    failed = counts["maxFailedTrialCount"]
    if failed is not None and _whole(failed) and _whole(counts["maxTrialCount"] or 0) \
            and int(failed) > int(counts["maxTrialCount"] or 0):
        problems.append("maxFailedTrialCount: must not exceed maxTrialCount")
    pools = (job.get("trialJobSpec") or {}).get("workerPoolSpecs") or []
    if not pools:
        problems.append("trialJobSpec.workerPoolSpecs: at least one worker pool is required")
    for i, pool in enumerate(pools):
        forms = [k for k in ("containerSpec", "pythonPackageSpec") if k in pool]
        if len(forms) != 1:
            problems.append(f"trialJobSpec.workerPoolSpecs[{i}]: one of containerSpec and"
                            " pythonPackageSpec is required")
    return problems


def type_problems(job: dict[str, Any]) -> list[str]:
    """What `aiplatform_v1.HyperparameterTuningJob`'s JSON parser refuses."""
    from google.cloud.aiplatform_v1.types import HyperparameterTuningJob

    try:
        HyperparameterTuningJob.from_json(json.dumps(job))
    except Exception as exc:  # json_format.ParseError
        return [" ".join(str(exc).split())]
    return []


def check_job(job: dict[str, Any]) -> list[str]:
    problems = raw_problems(job)
    return problems or type_problems(job)
