"""Hypothesis strategies: valid specs (as plain data) and mutations of them."""

from __future__ import annotations

import copy
import importlib.util
import math
import re
from typing import Any

from hypothesis import strategies as st

from hpo_bridge.spec.domains import DISTRIBUTION_PARAMS
from hpo_bridge.spec.names import NAME_PATTERN, PARAM_NAME_PATTERN

names = st.from_regex(NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 40)
param_names = st.from_regex(PARAM_NAME_PATTERN, fullmatch=True).filter(lambda s: len(s) <= 30)
metric_names = st.text(min_size=1, max_size=20)
finite = st.floats(-1000, 1000, allow_nan=False, allow_infinity=False)
widths = st.floats(0.01, 1000)
scalars = st.one_of(
    st.text(max_size=10), st.integers(-(10**6), 10**6), finite, st.booleans()
)


_HAS_TORCH = importlib.util.find_spec("torch") is not None


@st.composite
def float_domains(draw: st.DrawFn) -> dict[str, Any]:
    scale = draw(st.sampled_from(["linear", "log", "reverse_log"]))
    low = draw(st.floats(0.001, 1000) if scale == "log" else finite)
    d: dict[str, Any] = {"type": "float", "low": low, "high": low + draw(widths), "scale": scale}
    if draw(st.booleans()):
        d["q"] = (d["high"] - d["low"]) / draw(st.integers(1, 20))
    return d


@st.composite
def int_domains(draw: st.DrawFn) -> dict[str, Any]:
    scale = draw(st.sampled_from(["linear", "log", "reverse_log"]))
    low = draw(st.integers(1, 1000) if scale == "log" else st.integers(-1000, 1000))
    return {"type": "int", "low": low, "high": low + draw(st.integers(1, 10**6)), "scale": scale}


def _unique_values(max_size: int = 6) -> st.SearchStrategy[list[Any]]:
    return st.lists(scalars, min_size=1, max_size=max_size, unique_by=lambda v: (type(v), v))


@st.composite
def distribution_domains(draw: st.DrawFn) -> dict[str, Any]:
    name = draw(st.sampled_from(sorted(DISTRIBUTION_PARAMS)))
    d: dict[str, Any] = {"distribution": name}
    if name == "randint":
        d["upper"] = draw(st.integers(1, 10**6))
        return d
    if "normal" in name:
        d["mu"], d["sigma"] = draw(finite), draw(st.floats(0.001, 100))
    else:
        low = draw(st.floats(0.001, 1000) if "log" in name else finite)
        d["low"], d["high"] = low, low + draw(widths)
    if name.startswith("q"):
        if draw(st.booleans()):
            d["type"] = "int"  # an int domain rounds to whole-number multiples
            d["q"] = draw(st.integers(1, 10))
        else:
            d["q"] = draw(st.floats(0.01, 10))
    return d


finite_domains = st.one_of(
    st.builds(lambda v: {"type": "categorical", "values": v}, _unique_values()),
    st.builds(
        lambda v: {"type": "discrete", "values": sorted(v)},
        st.lists(st.one_of(st.integers(-1000, 1000), finite), min_size=1, max_size=6,
                 unique_by=float),
    ),
    st.just({"type": "bool"}),
    int_domains(),
)
any_domains = st.one_of(finite_domains, float_domains(), distribution_domains())


def _condition_values(parent: dict[str, Any]) -> list[Any] | None:
    if parent.get("type") in ("categorical", "discrete"):
        return parent["values"]
    if parent.get("type") == "bool":
        return [True, False]
    return None


@st.composite
def search_spaces(draw: st.DrawFn, finite_only: bool = False) -> dict[str, Any]:
    keys = draw(st.lists(param_names, min_size=1, max_size=5, unique=True))
    space: dict[str, Any] = {}
    for key in keys:
        domain = draw(finite_domains if finite_only else any_domains)
        parents = [(k, v) for k, v in space.items() if _condition_values(v)]
        if parents and draw(st.booleans()):
            parent, parent_domain = draw(st.sampled_from(parents))
            allowed = _condition_values(parent_domain)
            assert allowed is not None
            values = draw(st.lists(st.sampled_from(allowed), min_size=1, max_size=3))
            condition: dict[str, Any] = {"parent": parent, "values": values}
            op = draw(st.sampled_from(["in", "not_in", "==", "!=", None]))
            if op is not None:
                condition["op"] = op
                if op in ("==", "!="):
                    condition["values"] = values[:1]
            domain = {**domain, "condition": condition}
        space[key] = domain
    return space


@st.composite
def forbidden_lists(draw: st.DrawFn, space: dict[str, Any]) -> list[dict[str, Any]]:
    """Partial assignments over the finite parameters of `space`."""
    finite = {k: _condition_values(v) for k, v in space.items() if _condition_values(v)}
    if not finite:
        return []
    entries = []
    for _ in range(draw(st.integers(0, 2))):
        names = draw(st.lists(st.sampled_from(sorted(finite)), min_size=1, max_size=2,
                              unique=True))
        entries.append({n: draw(st.sampled_from(finite[n])) for n in names})
    return entries


def _objective(metric: str) -> dict[str, Any]:
    return {"metric": metric, "goal": "maximize"}


@st.composite
def valid_specs(draw: st.DrawFn) -> dict[str, Any]:
    algorithm = draw(st.sampled_from(["random", "grid", "sobol", "bayesian", "hyperband"]))
    spec: dict[str, Any] = {
        "name": draw(names),
        "search_space": draw(search_spaces(finite_only=algorithm == "grid")),
    }
    forbidden = draw(forbidden_lists(spec["search_space"]))
    if forbidden:
        spec["forbidden"] = forbidden
    contract = draw(st.sampled_from(["local", "sagemaker", "vertex", "azure", "vega"]))
    # Vega reads each objective from <metric>.json: one file name.
    names_of_metrics = metric_names.filter(
        lambda m: "/" not in m and "\0" not in m and m not in (".", "..")
    ) if contract == "vega" else metric_names
    metrics = draw(st.lists(names_of_metrics, min_size=1, max_size=3, unique=True))
    multi = len(metrics) > 1 and algorithm != "hyperband" and draw(st.booleans())
    if multi:
        spec["objectives"] = [
            {"metric": m, "goal": draw(st.sampled_from(["maximize", "minimize"]))}
            for m in metrics
        ]
    else:
        spec["objective"] = {
            "metric": metrics[0],
            "goal": draw(st.sampled_from(["maximize", "minimize"])),
            "measurement": draw(st.sampled_from(["last", "best"])),
        }
    if draw(st.booleans()):
        spec["metrics"] = [{"name": m, "regex": re.escape(m) + r"=([0-9.]+)"} for m in metrics]
    strategy: dict[str, Any] = {"algorithm": algorithm}
    if draw(st.booleans()):
        strategy["seed"] = draw(st.integers(0, 2**31))
    if algorithm == "bayesian" and draw(st.booleans()):
        # gp is valid only where PyTorch is installed (a rule of its own, tested apart).
        strategy["sampler"] = draw(st.sampled_from(["tpe", "gp"] if _HAS_TORCH else ["tpe"]))
    if algorithm == "hyperband":
        strategy["reduction_factor"] = draw(st.integers(2, 4))
    spec["strategy"] = strategy
    trial: dict[str, Any] = {
        "command": ["python", "train.py"],
        "contract": contract,
    }
    if draw(st.booleans()):
        trial["args"] = draw(st.dictionaries(param_names, st.one_of(st.none(), scalars),
                                             max_size=3))
    if algorithm == "hyperband" or draw(st.booleans()):
        low = draw(st.integers(1, 10))
        trial["resource"] = {"name": "epochs", "min": low, "max": low + draw(st.integers(0, 50))}
    spec["trial"] = trial
    if not multi and algorithm != "hyperband":
        policy = draw(st.sampled_from(["none", "median", "bandit", "truncation", "auto"]))
        es: dict[str, Any] = {"policy": policy}
        if policy == "bandit":
            es[draw(st.sampled_from(["slack_factor", "slack_amount"]))] = draw(
                st.floats(0.01, 1))
        if policy == "truncation":
            es["truncation_percentage"] = draw(st.integers(1, 99))
        if policy in ("median", "bandit", "truncation"):
            es["evaluation_interval"] = draw(st.integers(1, 5))
            es["delay_evaluation"] = draw(st.integers(0, 10))
        spec["early_stopping"] = es
    max_trials = draw(st.integers(1, 200))
    spec["limits"] = {
        "max_trials": max_trials,
        "max_parallel": draw(st.integers(1, max_trials)),
        "max_failed": draw(st.integers(1, max_trials)),
        "max_duration": draw(st.sampled_from(["90s", "30m", "2h", "1d", "PT2H", 45, 3600.5])),
    }
    return spec


# -- mutations ---------------------------------------------------------------------
junk = st.recursive(
    st.one_of(
        st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8),
        st.binary(max_size=4),
    ),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.one_of(st.text(max_size=5), st.integers(), st.none(),
                                  st.booleans(), st.floats()), inner, max_size=3),
    ),
    max_leaves=6,
)


def _paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(data, dict):
        for k, v in data.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += _paths(v, (*prefix, i))
    return out


def _parent(data: Any, path: tuple[Any, ...]) -> Any:
    for part in path[:-1]:
        data = data[part]
    return data


@st.composite
def mutated(draw: st.DrawFn, base: st.SearchStrategy[dict[str, Any]]) -> Any:
    data: Any = copy.deepcopy(draw(base))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["delete", "replace", "add", "root", "number"]))
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        if kind == "root":
            data = draw(junk)
            continue
        if not path:
            continue
        parent = _parent(data, path)
        if kind == "delete":
            del parent[path[-1]]
        elif kind == "replace":
            parent[path[-1]] = draw(junk)
        elif kind == "number":
            parent[path[-1]] = draw(st.one_of(
                st.integers(-(10**400), 10**400), st.floats(), st.sampled_from(
                    [0, -1, 1e308, -1e308, 5e-324, math.nan, math.inf, 10**30, 2**63])))
        elif kind == "add" and isinstance(parent[path[-1]], dict):
            parent[path[-1]][draw(st.one_of(st.text(max_size=8), st.integers(), st.none()))] = (
                draw(junk))
    return data
