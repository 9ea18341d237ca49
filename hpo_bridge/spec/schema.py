"""The spec's JSON Schema, for editors, with the names a catalogue accepts."""

from __future__ import annotations

from typing import Any

from hpo_bridge.spec.catalogue import Catalogue
from hpo_bridge.spec.model import TuningSpec


def spec_schema(catalogue: Catalogue | None = None) -> dict[str, Any]:
    """The JSON Schema of a spec. With a catalogue, component names are enums and each
    backend's section follows its settings model; without one, they are free."""
    schema = TuningSpec.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    if catalogue is not None:
        enums = {
            ("Strategy", "algorithm"): list(catalogue.searchers),
            ("EarlyStopping", "policy"): ["none", *catalogue.stopping_rules],
            ("TrialSpec", "contract"): list(catalogue.contracts),
        }
        for (model, prop), names in enums.items():
            defs[model]["properties"][prop]["enum"] = names
        schema["properties"]["backends"] = _backends(catalogue, defs)
    _finish(schema)
    return schema


def _backends(catalogue: Catalogue, defs: dict[str, Any]) -> dict[str, Any]:
    backends: dict[str, Any] = {}
    for name in catalogue.backend_names:
        settings = catalogue.settings_model(name)
        if settings is not None:
            sub = settings.model_json_schema(ref_template="#/$defs/{model}")
            for key, value in sub.pop("$defs", {}).items():
                defs.setdefault(key, value)
            backends[name] = sub
        else:
            backends[name] = {"type": "object"}
    return {"type": "object", "properties": backends, "additionalProperties": False}


def _finish(schema: dict[str, Any]) -> None:
    # Parameter names: one rule for every key (patternProperties would let others through).
    space = schema["properties"]["search_space"]
    ((pattern, domain),) = space.pop("patternProperties").items()
    space["propertyNames"] = {"pattern": pattern}
    space["additionalProperties"] = domain
    schema["oneOf"] = [{"required": ["objective"]}, {"required": ["objectives"]}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hpo-bridge tuning spec"
