"""The keys valid at each place of a spec, for "did you mean" hints."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

if TYPE_CHECKING:
    from hpo_bridge.spec.catalogue import Catalogue


def _keys(model: type[BaseModel]) -> list[str]:
    """The keys a user writes: a field's alias where it has one (`warm_start.from`)."""
    return [info.alias or name for name, info in model.model_fields.items()]


def _domain_keys(loc: tuple[Any, ...]) -> list[str]:
    """Keys at search_space.<name>[.<tag>][.condition]; the tag is pydantic's union tag."""
    from hpo_bridge.spec import domains

    by_tag: dict[str, type[BaseModel]] = {
        "float": domains.FloatDomain,
        "int": domains.IntDomain,
        "categorical": domains.CategoricalDomain,
        "discrete": domains.DiscreteDomain,
        "bool": domains.BoolDomain,
        "distribution": domains.DistributionDomain,
    }
    rest = loc[1:]
    cls = by_tag.get(rest[0]) if rest and isinstance(rest[0], str) else None
    if cls is not None:
        rest = rest[1:]
    if rest == ("condition",):
        return _keys(domains.Condition)
    if rest:
        return []
    if cls is not None:
        return _keys(cls)
    names: list[str] = []
    for model_cls in by_tag.values():
        names += [k for k in _keys(model_cls) if k not in names]
    return names


def known_keys_at(loc: tuple[Any, ...], catalogue: Catalogue | None = None) -> list[str]:
    """The keys valid at `loc`; under `backends.<name>`, those of the backend's settings
    model in the catalogue."""
    from hpo_bridge.spec.early_stopping import EarlyStopping
    from hpo_bridge.spec.limits import Limits
    from hpo_bridge.spec.model import TuningSpec
    from hpo_bridge.spec.objective import MetricDefinition, Objective
    from hpo_bridge.spec.strategy import Strategy
    from hpo_bridge.spec.trial import Fullytrain, Resource, TrialSpec
    from hpo_bridge.spec.warm_start import WarmStart

    sections: dict[str, type[BaseModel]] = {
        "warm_start": WarmStart,
        "objective": Objective,
        "strategy": Strategy,
        "early_stopping": EarlyStopping,
        "limits": Limits,
        "trial": TrialSpec,
    }
    if not loc:
        return _keys(TuningSpec)
    head = loc[0]
    if head in sections and len(loc) == 1:
        return _keys(sections[head])
    if head == "objectives" and len(loc) == 2:
        return _keys(Objective)
    if head == "metrics" and len(loc) == 2:
        return _keys(MetricDefinition)
    if head == "trial" and len(loc) == 2 and loc[1] in ("resource", "fullytrain"):
        return _keys(Resource if loc[1] == "resource" else Fullytrain)
    if head == "search_space":
        return _domain_keys(loc[1:])
    if head == "backends" and len(loc) == 2 and catalogue is not None:
        settings = catalogue.settings_model(str(loc[1]))
        if settings is not None:
            return _keys(settings)
    return []
