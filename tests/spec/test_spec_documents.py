"""Spec documents within limits (spec/documents.py): property tests of the parsers and of
how messages quote values."""

from __future__ import annotations

import json
import os
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.spec import SpecError, parse_json, parse_yaml, read_document
from hpo_bridge.spec.documents import MAX_DEPTH, MAX_DOCUMENT_BYTES, MAX_NODES
from hpo_bridge.spec.errors import SHOWN_CHARS, shown

SETTINGS = settings(max_examples=100, deadline=None)

scalars = st.one_of(st.none(), st.booleans(), st.integers(), st.text(max_size=20),
                    st.floats(allow_nan=False, allow_infinity=False))
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=5),
                            st.dictionaries(st.text(max_size=10), inner, max_size=5)),
    max_leaves=40,
)


def _nested(depth: int) -> Any:
    data: Any = 1
    for i in range(depth):
        data = [data] if i % 2 else {"k": data}
    return data


def _depth(data: Any) -> int:
    if isinstance(data, dict):
        return 1 + max(map(_depth, data.values()), default=0)
    if isinstance(data, list):
        return 1 + max(map(_depth, data), default=0)
    return 1


def _one_line_problems(exc: SpecError) -> list[str]:
    lines = [str(p) for p in exc.problems]
    assert lines and all("\n" not in line for line in lines)
    return lines


@SETTINGS
@given(values)
def test_json_text_parses_back_to_its_data(data):
    assert parse_json(json.dumps(data)) == data


@SETTINGS
@given(values)
def test_yaml_text_parses_back_to_its_data(data):
    assert parse_yaml(yaml.safe_dump(data)) == data


@SETTINGS
@given(st.integers(min_value=1, max_value=3 * MAX_DEPTH))
def test_nesting_is_accepted_up_to_the_limit(depth):
    data = _nested(depth)
    for text, parse in ((json.dumps(data), parse_json), (yaml.safe_dump(data), parse_yaml)):
        # A scalar is a level of its own: `depth` containers around it make depth + 1.
        if _depth(data) <= MAX_DEPTH:
            assert parse(text) == data
        else:
            with pytest.raises(SpecError) as exc:
                parse(text)
            (line,) = _one_line_problems(exc.value)
            assert f"nested more than {MAX_DEPTH} levels deep" in line


@SETTINGS
@given(st.integers(min_value=1, max_value=9), st.integers(min_value=1, max_value=9))
def test_aliases_are_accepted_up_to_the_expanded_limit(levels, fanout):
    # Level i is a list of `fanout` aliases of level i-1; level 0 is a list of scalars.
    lines = [f"l0: &l0 [{', '.join(['x'] * fanout)}]"]
    lines += [f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * fanout)}]" for i in range(1, levels)]
    text = "\n".join(lines) + "\n"
    expanded = [1 + fanout]  # a list node and its scalars
    for _ in range(1, levels):
        expanded.append(1 + fanout * expanded[-1])
    total = 1 + sum(1 + size for size in expanded)  # the mapping, each key and each value
    if total <= MAX_NODES:
        data = parse_yaml(text)
        assert len(data) == levels
    else:
        with pytest.raises(SpecError) as exc:
            parse_yaml(text)
        assert _one_line_problems(exc.value) == [
            f"YAML error: aliases expand it to more than {MAX_NODES:,} values (an alias bomb?)"]


def test_a_recursive_alias_is_refused():
    with pytest.raises(SpecError) as exc:
        parse_yaml("a: &a [1, *a]\n")
    assert _one_line_problems(exc.value) == [
        "YAML error: an alias refers to a node that contains it (a cycle)"]


@SETTINGS
@given(st.text(min_size=1, max_size=5000))
def test_json_keys_of_any_length_parse(key):
    assert parse_json(json.dumps({key: 1})) == {key: 1}


@SETTINGS
@given(st.binary(max_size=300))
def test_any_bytes_are_a_document_or_one_line_per_problem(tmp_path_factory, data):
    path = tmp_path_factory.mktemp("doc") / "spec.yaml"
    path.write_bytes(data)
    try:
        text = read_document(path)
        parse_yaml(text, str(path))
        parse_json(text, str(path))
    except SpecError as exc:
        assert exc.source == str(path)
        assert all(line.startswith(f"{path}: ") for line in exc.render().splitlines())
        _one_line_problems(exc)


@SETTINGS
@given(values)
def test_shown_values_are_short_single_lines(value):
    text = shown(value)
    assert len(text) <= SHOWN_CHARS and "\n" not in text
    if len(repr(value)) <= 30 and isinstance(value, str | int | bool) or value is None:
        assert text == repr(value)  # short plain values are shown as they are


def test_a_document_of_exactly_the_limit_is_read(tmp_path):
    path = tmp_path / "spec.yaml"
    path.write_bytes(b"#" * MAX_DOCUMENT_BYTES)
    assert len(read_document(path)) == MAX_DOCUMENT_BYTES
    path.write_bytes(b"#" * (MAX_DOCUMENT_BYTES + 1))
    with pytest.raises(SpecError, match=r"larger than 1,048,576 bytes"):
        read_document(path)


def test_a_missing_file_and_an_unreadable_kind(tmp_path):
    with pytest.raises(SpecError) as exc:
        read_document(tmp_path / "nope.yaml")
    missing = tmp_path / "nope.yaml"
    assert str(exc.value) == f"{missing}: cannot read spec: No such file or directory"
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(SpecError, match="a FIFO"):
        read_document(fifo)


def test_an_integer_too_long_to_convert():
    with pytest.raises(SpecError) as exc:
        parse_yaml("a: " + "1" * 5000)
    assert _one_line_problems(exc.value) == [
        "YAML error: a number of 5,000 digits (at most 4,300 are read)"]
    with pytest.raises(SpecError) as exc:
        parse_json('{"a": ' + "1" * 5000 + "}")
    assert _one_line_problems(exc.value) == [
        "JSON error: a number of 5,000 digits (at most 4,300 are read)"]


def test_json_refuses_duplicates_and_non_json_numbers():
    with pytest.raises(SpecError, match="JSON error: duplicate key 'a'"):
        parse_json('{"a": 1, "a": 2}')
    with pytest.raises(SpecError, match="JSON error: NaN is not a JSON value"):
        parse_json('{"a": NaN}')
