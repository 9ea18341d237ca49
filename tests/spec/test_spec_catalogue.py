"""Spec validation takes the catalogue of installed components as an argument."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, ConfigDict

import hpo_bridge
from hpo_bridge import loading
from hpo_bridge.plugins import registry
from hpo_bridge.spec import SpecError, TuningSpec, validate_spec
from hpo_bridge.spec.catalogue import Catalogue
from hpo_bridge.spec.schema import spec_schema


class BoatSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    harbour: str
    crew: int = 1


def _spec(**extra: Any) -> dict[str, Any]:
    return {"name": "s", "objective": {"metric": "m", "goal": "maximize"},
            "search_space": {"x": {"type": "bool"}}, **extra}


CATALOGUE = Catalogue(
    searchers=("random", "walk"),
    stopping_rules=("median",),
    contracts=("local", "boat"),
    executors=("process",),
    backends={"boat": lambda: BoatSettings, "raft": None},
)


def _problems(data: dict[str, Any], catalogue: Catalogue | None) -> list[tuple[str, str]]:
    with pytest.raises(SpecError) as exc:
        validate_spec(data, catalogue)
    return [(p.path, p.message) for p in exc.value.problems]


def test_without_a_catalogue_names_are_not_checked_and_backends_stay_as_given():
    spec = validate_spec(_spec(strategy={"algorithm": "walk"}, trial={"contract": "boat"},
                               early_stopping={"policy": "coin"},
                               backends={"boat": {"harbour": "Kiel"}}))
    assert spec.strategy.algorithm == "walk"
    assert spec.trial.contract == "boat"
    assert spec.early_stopping.policy == "coin"
    assert spec.backends == {"boat": {"harbour": "Kiel"}}


def test_names_are_checked_against_the_catalogue_given():
    data = _spec(strategy={"algorithm": "grid"}, trial={"contract": "vega"},
                 early_stopping={"policy": "bandit", "slack_factor": 0.1},
                 backends={"sagemaker": {}})
    assert _problems(data, CATALOGUE) == [
        ("strategy.algorithm", "unknown algorithm 'grid' (available: random, walk)"),
        ("early_stopping.policy", "unknown policy 'bandit' (available: none, median)"),
        ("trial.contract", "unknown contract 'vega' (available: local, boat)"),
        ("backends.sagemaker", "unknown backend (installed: boat, raft)"),
    ]
    spec = validate_spec(_spec(strategy={"algorithm": "walk"}, trial={"contract": "boat"}),
                         CATALOGUE)
    assert spec.strategy.algorithm == "walk"


def test_backend_settings_go_through_the_catalogue_model_with_hints():
    spec = validate_spec(_spec(backends={"boat": {"harbour": "Kiel"}, "raft": [1]}), CATALOGUE)
    assert spec.backends == {"boat": BoatSettings(harbour="Kiel"), "raft": [1]}
    assert _problems(_spec(backends={"boat": {"harbour": "Kiel", "crw": 2}}), CATALOGUE) == [
        ("backends.boat.crw", "unknown key (did you mean 'crew'?)"),
    ]
    # The same hint when another section fails too (the partial view path).
    assert _problems(_spec(limits={"max_trial": 1}, backends={"boat": {"harbur": "K"}}),
                     CATALOGUE) == [
        ("limits.max_trial", "unknown key (did you mean 'max_trials'?)"),
        ("backends.boat.harbour", "required"),
        ("backends.boat.harbur", "unknown key (did you mean 'harbour'?)"),
    ]


def test_model_validate_reads_the_catalogue_from_the_context():
    with pytest.raises(SpecError, match="unknown algorithm 'grid'"):
        TuningSpec.model_validate(_spec(strategy={"algorithm": "grid"}),
                                  context={"catalogue": CATALOGUE})
    assert TuningSpec.model_validate(_spec(strategy={"algorithm": "grid"})).strategy.algorithm \
        == "grid"


def test_settings_models_are_resolved_only_when_a_spec_uses_the_backend():
    calls: list[str] = []

    def lazy() -> type[BaseModel]:
        calls.append("boat")
        return BoatSettings

    catalogue = Catalogue(searchers=("random",), backends={"boat": lazy})
    validate_spec(_spec(), catalogue)
    assert calls == []
    validate_spec(_spec(backends={"boat": {"harbour": "Kiel"}}), catalogue)
    assert calls == ["boat"]


def test_the_installed_catalogue_is_the_registry_s():
    cat = registry().catalogue()
    assert cat.searchers == ("random", "grid", "sobol", "bayesian", "hyperband", "bohb", "pbt")
    assert cat.contracts == ("local", "sagemaker", "vertex", "azure", "vega")
    assert "process" in cat.executors and "local" in cat.backend_names
    for validate in (loading.validate_spec, hpo_bridge.validate_spec):
        with pytest.raises(SpecError, match="unknown algorithm 'rndom'"):
            validate(_spec(strategy={"algorithm": "rndom"}))
    with pytest.raises(TypeError):
        cat.backends["new"] = None  # type: ignore[index]


def test_schema_names_the_catalogue_s_components_and_is_free_without_one():
    schema = spec_schema(CATALOGUE)
    assert schema["$defs"]["Strategy"]["properties"]["algorithm"]["enum"] == ["random", "walk"]
    assert schema["$defs"]["EarlyStopping"]["properties"]["policy"]["enum"] == ["none", "median"]
    backends = schema["properties"]["backends"]
    assert set(backends["properties"]) == {"boat", "raft"}
    assert backends["properties"]["boat"]["required"] == ["harbour"]
    free = spec_schema()
    assert "enum" not in free["$defs"]["Strategy"]["properties"]["algorithm"]
    assert free["properties"]["backends"]["type"] == "object"
    assert "properties" not in free["properties"]["backends"]


def _no_long_commands(spec: Any) -> list[tuple[str, str]]:
    return [("trial.command", "boats take one word")] if len(spec.trial.command or []) > 1 else []


CHECKED = Catalogue(contracts=("local", "boat"), searchers=("random",),
                    contract_checks={"boat": lambda: _no_long_commands, "local": lambda: None})


def test_a_contracts_own_check_is_reported_with_the_field_problems():
    data = _spec(trial={"contract": "boat", "command": ["python", "train.py"]},
                 limits={"max_trials": 0})
    assert _problems(data, CHECKED) == [
        ("limits.max_trials", "Input should be greater than or equal to 1"),
        ("trial.command", "boats take one word"),
    ]
    # A valid spec otherwise: the check alone.
    assert _problems({**data, "limits": {}}, CHECKED) == [("trial.command", "boats take one word")]
    # Another contract, a contract without a check, or no catalogue: not asked.
    assert validate_spec({**data, "limits": {}, "trial": {"contract": "local",
                                                          "command": ["a", "b"]}}, CHECKED)
    assert validate_spec({**data, "limits": {}}, None)


def test_the_installed_contracts_checks_are_in_the_catalogue():
    checks = registry().catalogue().contract_checks
    assert {"local", "sagemaker", "vertex", "azure", "vega"} <= set(checks)
    assert checks["vega"]() is not None and checks["vega"]()(TuningSpec.model_validate(
        _spec(trial={"contract": "vega"}))) == []
