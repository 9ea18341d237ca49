"""`forbidden` combinations and condition operators: what validation accepts and refuses."""

from __future__ import annotations

from spec_helpers import problems, valid

from hpo_bridge.spec import dump_spec, parse_yaml

BASE = {
    "name": "t",
    "objective": {"metric": "acc", "goal": "maximize"},
    "search_space": {
        "opt": {"type": "categorical", "values": ["sgd", "adam", "rms"]},
        "lr": {"type": "float", "low": 0.1, "high": 1},
        "layers": {"type": "int", "low": 1, "high": 6},
    },
    "trial": {"command": ["python", "train.py"]},
}


def spec(**changes):
    data = {**BASE, "search_space": dict(BASE["search_space"])}
    for name, domain in changes.pop("params", {}).items():
        data["search_space"][name] = domain
    data.update(changes)
    return data


def test_valid_forbidden_and_conditions_round_trip_through_yaml():
    data = spec(
        params={
            "m": {"type": "float", "low": 0, "high": 1,
                  "condition": {"parent": "opt", "op": "!=", "values": ["adam"]}},
            "u": {"type": "int", "low": 1, "high": 3,
                  "condition": {"parent": "lr", "op": "range", "values": [0.2, 0.5]}},
            "w": {"type": "bool", "condition": {"parent": "opt", "op": "not_in",
                                                "values": ["adam", "rms"]}},
        },
        forbidden=[{"opt": "sgd", "layers": 6}, {"lr": 0.5}, {"w": True, "opt": "sgd"}])
    loaded = valid(data)
    assert loaded.forbidden == [{"opt": "sgd", "layers": 6}, {"lr": 0.5},
                                {"w": True, "opt": "sgd"}]
    assert str(loaded.search_space["m"].condition) == "opt != 'adam'"
    assert str(loaded.search_space["u"].condition) == "0.2 <= lr <= 0.5"
    assert str(loaded.search_space["w"].condition) == "opt not in ['adam', 'rms']"
    assert valid(parse_yaml(dump_spec(loaded))) == loaded


def test_each_bad_forbidden_entry_is_one_line_at_its_place():
    assert problems(spec(forbidden=[{"opt": "foo"}, {"nope": 1, "layers": 7},
                                    {"lr": 2.0}, {"lr": "x"}])) == [
        ("forbidden.0.opt", "'foo' is not a value of 'opt'"),
        ("forbidden.1.nope", "no parameter named 'nope' in search_space"),
        ("forbidden.1.layers", "7 is not a value of 'layers'"),
        ("forbidden.2.lr", "2.0 is not a value of 'lr'"),
        ("forbidden.3.lr", "'x' is not a value of 'lr'"),
    ]


def test_an_empty_combination_is_refused():
    assert problems(spec(forbidden=[{}])) == [
        ("forbidden.0", "names no parameter: an empty combination would forbid everything")]


def test_condition_operator_arity_and_parents():
    found = problems(spec(params={
        "a": {"type": "bool", "condition": {"parent": "opt", "op": "==",
                                            "values": ["sgd", "adam"]}},
        "b": {"type": "bool", "condition": {"parent": "opt", "op": "range", "values": [1, 2]}},
        "c": {"type": "bool", "condition": {"parent": "lr", "op": "range",
                                            "values": [0.5, 0.2]}},
        "d": {"type": "bool", "condition": {"parent": "lr", "op": "range", "values": ["x", 1]}},
        "e": {"type": "bool", "condition": {"parent": "lr", "op": "!=", "values": [0.5]}},
        "f": {"type": "bool", "condition": {"parent": "opt", "op": "like", "values": ["s"]}},
    }))
    assert ("search_space.a.condition.values", "op == takes exactly one value (got 2)") in found
    assert ("search_space.c.condition.values", "low (0.5) exceeds high (0.2)") in found
    assert ("search_space.d.condition.values", "op range takes two numbers, [low, high]") \
        in found
    assert ("search_space.b.condition.op", "op range needs a numeric parent; 'opt' takes"
            " values that are not numbers") in found
    assert any(path == "search_space.e.condition.parent" and "finitely many" in message
               for path, message in found)
    assert any(path == "search_space.f.condition.op" for path, _ in found)


def test_a_broken_parameter_does_not_hide_other_forbidden_problems():
    data = spec(params={"bad": {"type": "float", "low": 2, "high": 1}},
                forbidden=[{"bad": 1.5}, {"opt": "nope"}])
    found = problems(data)
    assert ("forbidden.1.opt", "'nope' is not a value of 'opt'") in found
    assert not any(path == "forbidden.0.bad" for path, _ in found)
