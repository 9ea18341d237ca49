"""Property tests: any input gives a TuningSpec or a SpecError, never another exception."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from spec_strategies import junk, mutated, valid_specs

from hpo_bridge.loading import validate_spec
from hpo_bridge.spec import SpecError, TuningSpec, dump_spec, parse_yaml
from hpo_bridge.spec.errors import path_part

TOP_KEYS = set(TuningSpec.model_fields)
SETTINGS = settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _check(data: Any) -> None:
    try:
        spec = validate_spec(data)
    except SpecError as exc:
        assert exc.problems
        for problem in exc.problems:
            line = str(problem)
            assert line and "\n" not in line, line
            if problem.path:
                # Each path starts at a key of the spec (keys may contain dots themselves).
                assert isinstance(data, dict)
                heads = TOP_KEYS | set(map(path_part, data))
                assert any(problem.path == h or problem.path.startswith(h + ".") for h in heads)
        return
    assert isinstance(spec, TuningSpec)


@SETTINGS
@given(valid_specs())
def test_generated_specs_are_valid(data):
    assert isinstance(validate_spec(data), TuningSpec)


@SETTINGS
@given(mutated(valid_specs()))
def test_mutated_specs_give_a_spec_or_a_spec_error(data):
    _check(data)


@settings(max_examples=100, deadline=None)
@given(st.one_of(junk, st.dictionaries(st.sampled_from(sorted(TOP_KEYS)), junk)))
def test_junk_gives_a_spec_error(data):
    _check(data)


@settings(max_examples=100, deadline=None)
@given(st.text(max_size=200))
def test_any_text_parses_or_gives_a_spec_error(text):
    try:
        data = parse_yaml(text)
    except SpecError as exc:
        assert all("\n" not in str(p) for p in exc.problems)
        return
    _check(data)


@SETTINGS
@given(valid_specs())
def test_yaml_round_trip_of_generated_specs(data):
    spec = validate_spec(data)
    again = validate_spec(parse_yaml(dump_spec(spec)))
    assert again == spec
    assert dump_spec(again) == dump_spec(spec)
