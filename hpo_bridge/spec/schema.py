"""The spec's JSON Schema, for editors, with the names the installed plugins accept."""

from __future__ import annotations

from typing import Any

from hpo_bridge.spec.model import TuningSpec


def spec_schema() -> dict[str, Any]:
    from hpo_bridge.plugins import registry

    reg = registry()
    schema = TuningSpec.model_json_schema(mode="validation")
    defs = schema.get("$defs", {})
    enums = {
        ("Strategy", "algorithm"): reg.names("searchers"),
        ("EarlyStopping", "policy"): ["none", *reg.names("stopping_rules")],
        ("TrialSpec", "contract"): reg.names("contracts"),
    }
    for (model, prop), names in enums.items():
        defs[model]["properties"][prop]["enum"] = names
    backends: dict[str, Any] = {}
    sections = [("backends", n) for n in reg.names("backends")] + [
        ("executors", n) for n in reg.names("executors")
        if getattr(reg.get("executors", n), "settings_ref", None) is not None
        and reg.get("backends", n) is None]
    for kind, name in sections:
        comp = reg.get(kind, name)
        settings = getattr(comp, "settings", None)
        if settings is not None:
            sub = settings.model_json_schema(ref_template="#/$defs/{model}")
            for key, value in sub.pop("$defs", {}).items():
                defs.setdefault(key, value)
            backends[name] = sub
        else:
            backends[name] = {"type": "object"}
    schema["properties"]["backends"] = {
        "type": "object",
        "properties": backends,
        "additionalProperties": False,
    }
    # Parameter names: one rule for every key (patternProperties would let others through).
    space = schema["properties"]["search_space"]
    ((pattern, domain),) = space.pop("patternProperties").items()
    space["propertyNames"] = {"pattern": pattern}
    space["additionalProperties"] = domain
    schema["oneOf"] = [{"required": ["objective"]}, {"required": ["objectives"]}]
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "hpo-bridge tuning spec"
    return schema
