"""Reading spec files: strict, safe YAML whose errors name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

import hpo_bridge
from hpo_bridge.spec import SpecError, load_spec, parse_yaml, validate_spec

GOOD = """\
name: demo
objective: {metric: accuracy, goal: maximize}
search_space:
  lr: {type: float, low: 0.001, high: 0.1}
"""


def _problems(exc: pytest.ExceptionInfo[SpecError]) -> list[tuple[str, str]]:
    return [(p.path, p.message) for p in exc.value.problems]


def test_duplicate_top_level_key_is_rejected():
    with pytest.raises(SpecError) as exc:
        parse_yaml(GOOD + "name: other\n")
    assert _problems(exc) == [("", "YAML error at line 5, column 1: duplicate key 'name'")]


def test_duplicate_nested_key_is_rejected():
    text = GOOD + "limits:\n  max_trials: 3\n  max_trials: 4\n"
    with pytest.raises(SpecError) as exc:
        parse_yaml(text)
    assert _problems(exc) == [("", "YAML error at line 7, column 3: duplicate key 'max_trials'")]


def test_duplicate_key_in_flow_mapping_is_rejected():
    with pytest.raises(SpecError, match="duplicate key 'low'"):
        parse_yaml("lr: {type: float, low: 1, low: 2}\n")


def test_duplicate_key_in_json_is_rejected():
    with pytest.raises(SpecError, match="duplicate key 'a'"):
        parse_yaml('{"a": 1, "a": 2}')


def test_merge_keys_still_work():
    data = parse_yaml("base: &b {type: int, low: 1}\nx:\n  <<: *b\n  high: 4\n")
    assert data["x"] == {"type": "int", "low": 1, "high": 4}


@pytest.mark.parametrize(
    "tag",
    [
        "!!python/object/apply:os.system ['echo pwned']",
        "!!python/object:builtins.dict {}",
        "!!python/name:os.system",
    ],
)
def test_python_tags_are_rejected_safely(tag, capfd):
    with pytest.raises(SpecError) as exc:
        parse_yaml(GOOD + f"description: {tag}\n")
    (problem,) = exc.value.problems
    assert problem.path == ""
    assert problem.message.startswith("YAML error at line 5, column 14: could not determine")
    assert "pwned" not in capfd.readouterr().out


def test_syntax_error_names_the_line():
    text = GOOD + "limits: {max_trials: 3\ntrial: {}\n"
    with pytest.raises(SpecError) as exc:
        parse_yaml(text, "spec.yaml")
    assert str(exc.value).startswith("spec.yaml: YAML error at line 6, column 6:")


def test_tab_indentation_names_the_line():
    with pytest.raises(SpecError, match="YAML error at line 2"):
        parse_yaml("a:\n\tb: 1\n")


@pytest.mark.parametrize("text", ["", "- a\n- b\n", "just text\n", "3\n", "null\n"])
def test_root_must_be_a_mapping(text):
    with pytest.raises(SpecError) as exc:
        validate_spec(parse_yaml(text))
    assert _problems(exc) == [("", "a spec is a mapping of keys (name, objective, ...)")]


def test_non_string_keys_are_named():
    with pytest.raises(SpecError) as exc:
        validate_spec(parse_yaml(GOOD + "1: x\nnull: y\n"))
    assert _problems(exc) == [("1", "keys must be strings"), ("None", "keys must be strings")]


def test_non_string_parameter_name():
    with pytest.raises(SpecError) as exc:
        validate_spec(parse_yaml(GOOD + "  7: {type: bool}\n"))
    assert _problems(exc) == [("search_space.7", "Input should be a valid string")]


def test_unhashable_key_is_a_yaml_error():
    with pytest.raises(SpecError, match="YAML error at line 1, column 3: a key must be a plain"):
        parse_yaml("? [a, b]\n: 1\n")


def test_load_spec_reads_a_file_and_resolves_code_against_its_folder(tmp_path: Path):
    path = tmp_path / "spec.yaml"
    path.write_text(GOOD + "trial: {code: src}\n", encoding="utf-8")
    spec = load_spec(path)
    assert spec.base_dir == tmp_path.resolve()
    assert spec.code_dir == (tmp_path / "src").resolve()
    assert hpo_bridge.load_spec(path) == spec


def test_load_spec_reads_json(tmp_path: Path):
    path = tmp_path / "spec.json"
    path.write_text(
        '{"name": "j", "objective": {"metric": "m", "goal": "minimize"},'
        ' "search_space": {"x": {"type": "bool"}}}',
        encoding="utf-8",
    )
    assert load_spec(path).name == "j"


def test_load_spec_missing_file(tmp_path: Path):
    with pytest.raises(SpecError) as exc:
        load_spec(tmp_path / "nope.yaml")
    missing = tmp_path / "nope.yaml"
    assert str(exc.value) == f"{missing}: cannot read spec: No such file or directory"


def test_every_line_names_the_source_file(tmp_path: Path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x/y\nobjective: {metric: m, goal: up}\nsearch_space: {}\n")
    with pytest.raises(SpecError) as exc:
        load_spec(path)
    lines = str(exc.value).splitlines()
    assert len(lines) == 3
    assert all(line.startswith(f"{path}: ") for line in lines)


def test_python_api_raises_spec_error_for_every_problem():
    with pytest.raises(SpecError) as exc:
        hpo_bridge.TuningSpec(name="x", objective={"metric": "m", "goal": "up"}, search_space={})
    assert [p.path for p in exc.value.problems] == ["objective.goal", "search_space"]


def test_python_api_builds_a_spec():
    spec = hpo_bridge.TuningSpec(
        name="py",
        objective={"metric": "m", "goal": "minimize"},
        search_space={"x": {"type": "int", "low": 1, "high": 3}},
    )
    assert (spec.primary.metric, spec.max_trials, spec.multi_objective) == ("m", 10, False)
    assert spec.all_objectives == [spec.objective]


@pytest.mark.parametrize("metric", ["\x85", "a\u2028b", "精度"])
def test_dump_round_trips_line_break_like_characters(metric: str) -> None:
    from hpo_bridge.spec import dump_spec, parse_yaml, validate_spec

    spec = validate_spec(
        {
            "name": "a",
            "objective": {"metric": metric, "goal": "maximize"},
            "search_space": {"x": {"type": "bool"}},
        }
    )
    text = dump_spec(spec)
    assert validate_spec(parse_yaml(text)) == spec
    if metric == "精度":
        assert "精度" in text  # readable unicode stays readable
