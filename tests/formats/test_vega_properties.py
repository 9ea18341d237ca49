"""Properties of the Vega reader: valid files give valid specs with the same ranges; any
file gives a spec or placed problems, never a crash."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.formats.vega import VegaFormat
from hpo_bridge.loading import installed_catalogue
from hpo_bridge.spec import SpecError, validate_spec

KEYS = st.from_regex(r"[a-z][a-z0-9_]{0,6}(\.[a-z][a-z0-9_]{0,6}){0,2}", fullmatch=True)
CHOICES = st.one_of(st.integers(-5, 5), st.sampled_from(["a", "b", "c", "SGD"]),
                    st.floats(0.01, 1, allow_nan=False).map(lambda x: round(x, 3)))


@st.composite
def hyperparameters(draw: st.DrawFn) -> dict[str, Any]:
    kind = draw(st.sampled_from(["CATEGORY", "STRING", "INT_CAT", "FLOAT_CAT", "BOOL", "INT",
                                 "INT_EXP", "FLOAT", "FLOAT_EXP"]))
    if kind == "BOOL":
        return {"type": kind}
    if kind in ("CATEGORY", "STRING", "INT_CAT", "FLOAT_CAT"):
        values = draw(st.lists(CHOICES, min_size=1, max_size=5, unique_by=repr))
        values = [v for i, v in enumerate(values)
                  if not any(v == w and type(v) is type(w) for w in values[:i])]
        return {"type": kind, "range": values}
    low = draw(st.integers(1, 50))
    high = low + draw(st.integers(1, 100))
    if kind.startswith("FLOAT"):
        return {"type": kind, "range": [low / 100, high / 100]}
    return {"type": kind, "range": [low, high]}


@st.composite
def vega_files(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.lists(KEYS, min_size=1, max_size=5, unique=True))
    params = [{"key": k, **draw(hyperparameters())} for k in keys]
    algorithm = draw(st.sampled_from([
        {"type": "RandomSearch", "policy": {"num_sample": draw(st.integers(1, 30))}},
        {"type": "AshaHpo", "policy": {"total_epochs": draw(st.integers(10, 400))}},
        {"type": "BohbHpo", "policy": {"total_epochs": draw(st.integers(10, 400))}},
        {"type": "BossHpo", "policy": {"total_epochs": draw(st.integers(20, 400))}},
        {"type": "BayesSearch"},
    ]))
    general: dict[str, Any] = {"parallel_search": draw(st.booleans())}
    if draw(st.booleans()):
        general["worker"] = {"timeout": draw(st.integers(1, 3600))}
    return {
        "general": general,
        "pipeline": ["hpo", "fullytrain"] if draw(st.booleans()) else ["hpo"],
        "hpo": {"pipe_step": {"type": "SearchPipeStep"}, "search_algorithm": algorithm,
                "search_space": {"type": "SearchSpace", "hyperparameters": params},
                "trainer": {"type": "HpoRunner", "train_script": "/code/train.py",
                            "other_args": {"momentum": 0.9, "pretrained": None}}},
        "fullytrain": {"pipe_step": {"type": "TrainPipeStep"},
                       "trainer": {"ref": "hpo.trainer"}},
    }


def convert(data: Any, env: dict[str, str] | None = None):
    return VegaFormat(env=env or {}, clock=lambda: datetime(2024, 1, 2, 3, 4, 5)).convert(
        data, base_dir=Path("/work"), source="hpo.yml")


@settings(max_examples=120, deadline=None)
@given(vega_files(), st.sampled_from([{}, {"NPU_VISIBLE_DEVICES": "0,1"},
                                      {"CUDA_VISIBLE_DEVICES": "2"}]))
def test_valid_vega_files_give_valid_specs_with_the_same_ranges(data, env):
    converted = convert(data, env)
    spec = validate_spec(converted.spec, installed_catalogue())
    for item in data["hpo"]["search_space"]["hyperparameters"]:
        domain = spec.search_space[item["key"]]
        if item["type"] == "BOOL":
            assert domain.type == "bool"
        elif "range" in item and item["type"] in ("INT", "INT_EXP", "FLOAT", "FLOAT_EXP"):
            assert [domain.low, domain.high] == item["range"]
            assert (domain.scale == "log") == item["type"].endswith("_EXP")
        else:
            assert list(domain.values) == item["range"]
    assert spec.trial.contract == "vega"
    assert spec.trial.args == {"momentum": 0.9, "pretrained": None}
    assert spec.limits.max_parallel <= spec.max_trials


junk = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(-3, 3), st.floats(allow_nan=True),
              st.text(max_size=6)),
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=6), inner, max_size=3)),
    max_leaves=8,
)


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A valid file with one value somewhere replaced by junk."""
    data = draw(vega_files())
    node: Any = data
    path = []
    while isinstance(node, dict | list) and node and draw(st.integers(0, 3)):
        key = draw(st.sampled_from(list(node) if isinstance(node, dict)
                                   else list(range(len(node)))))
        path.append((node, key))
        node = node[key]
    if path:
        parent, key = path[-1]
        parent[key] = draw(junk)
    return data


@settings(max_examples=300, deadline=None)
@given(mutated())
def test_any_file_gives_a_spec_or_placed_problems(data):
    try:
        converted = convert(data)
    except SpecError as exc:
        assert exc.problems and all(str(p) for p in exc.problems)
        return
    try:
        validate_spec(converted.spec, installed_catalogue())
    except SpecError as exc:  # placed back in the file, one line each
        lines = converted.translate(exc.problems)
        assert lines and all("\n" not in str(p) for p in lines)
