"""The catalogue: which components are installed, as validation needs to know it.

Spec validation never reads the plugin registry itself: the caller hands it a
`Catalogue` through pydantic's validation context,

    TuningSpec.model_validate(data, context={"catalogue": catalogue})

and the validators read it from `info.context`. Without a catalogue the names
of searchers, stopping rules and contracts are not checked and
`backends.<name>` is kept as given: that is how a spec stored by a study (it
was validated when the study was created) is reopened.
`hpo_bridge.loading` passes the catalogue of the installed plugins
(`hpo_bridge.plugins.Registry.catalogue()`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from pydantic import BaseModel

from hpo_bridge.spec.errors import shown

# A backend's settings model: the class itself, a zero-arg callable returning it (imported
# on first use), or None for a backend without settings.
SettingsRef = type[BaseModel] | Callable[[], type[BaseModel] | None] | None
# A contract's own spec check, (spec) -> [(dotted path, message)], or a zero-arg callable
# returning it (imported on first use); see TrialContract.spec_problems.
ContractCheck = Callable[[Any], list[tuple[str, str]]]
ContractCheckRef = Callable[[], ContractCheck | None]

CONTEXT_KEY = "catalogue"


@dataclass(frozen=True)
class Catalogue:
    """Names of the installed components; each backend with its settings model."""

    searchers: tuple[str, ...] = ()
    stopping_rules: tuple[str, ...] = ()
    contracts: tuple[str, ...] = ()
    executors: tuple[str, ...] = ()
    backends: Mapping[str, SettingsRef] = field(default_factory=dict, hash=False)
    # Per contract: its check of names that become paths in a trial's folder (and other
    # rules it can tell from the spec alone), so `validate` reports them.
    contract_checks: Mapping[str, ContractCheckRef] = field(default_factory=dict, hash=False)

    def __post_init__(self) -> None:
        # Frozen all the way down: the mappings are read-only copies.
        object.__setattr__(self, "backends", MappingProxyType(dict(self.backends)))
        object.__setattr__(self, "contract_checks",
                           MappingProxyType(dict(self.contract_checks)))

    @property
    def backend_names(self) -> tuple[str, ...]:
        return tuple(self.backends)

    def settings_model(self, backend: str) -> type[BaseModel] | None:
        """The pydantic model of `backends.<backend>` (None: the backend takes any value)."""
        ref = self.backends.get(backend)
        if ref is None or isinstance(ref, type):
            return ref
        return ref()

    def contract_problems(self, spec: Any) -> list[tuple[str, str]]:
        """What the spec's contract (`trial.contract`) finds wrong with it."""
        ref = self.contract_checks.get(spec.trial.contract)
        check = ref() if ref is not None else None
        return list(check(spec)) if check is not None else []

    def context(self) -> dict[str, Any]:
        """The validation context that carries this catalogue."""
        return {CONTEXT_KEY: self}


def from_context(context: Any) -> Catalogue | None:
    """The catalogue in a pydantic validation context (`info.context`), if any."""
    if isinstance(context, Mapping):
        found = context.get(CONTEXT_KEY)
        if isinstance(found, Catalogue):
            return found
    return None


def context_of(catalogue: Catalogue | None) -> dict[str, Any] | None:
    return catalogue.context() if catalogue is not None else None


def check_name(
    catalogue: Catalogue | None, kind: str, label: str, value: str, extra: tuple[str, ...] = ()
) -> str:
    """`value` when the catalogue lists it under `kind` (or it is one of `extra`).

    Unchecked without a catalogue. Raises ValueError naming what is available.
    """
    if catalogue is None:
        return value
    known = [*extra, *getattr(catalogue, kind)]
    if value not in known:
        import difflib

        close = difflib.get_close_matches(value, known, n=1, cutoff=0.6)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise ValueError(f"unknown {label} {shown(value)}{hint} (available:"
                         f" {', '.join(known)})")
    return value
