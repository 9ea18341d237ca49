"""The keys valid at each place of a spec, for "did you mean" hints."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel


def _keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def known_keys_at(loc: tuple[Any, ...]) -> list[str]:
    from hpo_bridge.spec import domains, model

    sections: dict[str, type[BaseModel]] = {
        "objective": model.Objective,
        "strategy": model.Strategy,
        "early_stopping": model.EarlyStopping,
        "limits": model.Limits,
        "trial": model.TrialSpec,
    }
    if not loc:
        return _keys(model.TuningSpec)
    head = loc[0]
    if head in sections and len(loc) == 1:
        return _keys(sections[head])
    if head == "objectives" and len(loc) == 2:
        return _keys(model.Objective)
    if head == "metrics" and len(loc) == 2:
        return _keys(model.MetricDefinition)
    if head == "trial" and len(loc) == 2 and loc[1] in ("resource", "fullytrain"):
        return _keys(model.Resource if loc[1] == "resource" else model.Fullytrain)
    if head == "search_space" and len(loc) == 2:
        names: list[str] = []
        for cls in (
            domains.FloatDomain,
            domains.IntDomain,
            domains.CategoricalDomain,
            domains.DiscreteDomain,
            domains.BoolDomain,
            domains.DistributionDomain,
        ):
            names += [k for k in _keys(cls) if k not in names]
        return names
    if head == "search_space" and len(loc) == 3 and loc[2] == "condition":
        return _keys(domains.Condition)
    if head == "backends" and len(loc) == 2:
        from hpo_bridge.plugins import registry

        component = registry().get("backends", str(loc[1]))
        if component is not None and component.settings is not None:
            return _keys(component.settings)
    return []
