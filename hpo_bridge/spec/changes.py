"""What changed between the spec a study was created with and the one a new run brings.

`run --resume-if-exists` continues a stored study with the new spec only when the earlier
trials stay comparable. Changes to `limits` (e.g. a raised `max_trials` extends a finished
study), `early_stopping` (rules are rebuilt from the journal on every run), `description`
and `backends` are taken. Anything else makes the earlier trials incomparable or the
saved searcher unusable, and is refused, one line per difference naming the field:

- search_space, objective(s), metrics: the trials were drawn or measured differently;
- trial: the trials would run another program or with other fixed arguments;
- strategy: the saved searcher state belongs to the other strategy;
- warm_start: the study learned from other earlier trials;
- name: it is another study.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge.spec.model import TuningSpec

# Sections a continuing study takes from the new spec.
CONTINUABLE = ("limits", "early_stopping", "description", "backends")
WHY = {
    "search_space": "the earlier trials were drawn from another search space",
    "objective": "the earlier trials were measured against another objective",
    "objectives": "the earlier trials were measured against other objectives",
    "metrics": "the earlier trials' metrics were read with other regexes",
    "trial": "the earlier trials ran another command or other fixed arguments",
    "strategy": "the study's saved searcher belongs to the earlier strategy",
    "warm_start": "the study learned from other earlier trials",
    "name": "it names another study",
}
UNSET = "unset"


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    @property
    def section(self) -> str:
        return self.path.split(".", 1)[0]

    @property
    def continuable(self) -> bool:
        return self.section in CONTINUABLE

    def __str__(self) -> str:
        text = f"{self.path}: {_shown(self.old)} -> {_shown(self.new)}"
        why = None if self.continuable else WHY.get(self.section, "it changes the study")
        return f"{text} ({why})" if why else text


def _shown(value: Any) -> str:
    return UNSET if value is _MISSING else repr(value)


_MISSING = object()


def _comparable(spec: TuningSpec) -> dict[str, Any]:
    """Every field with its value, defaults included (an explicit default is no change)."""
    data = spec.model_dump(mode="json", by_alias=True, exclude={"backends"})
    data["backends"] = spec.to_dict().get("backends", {})
    return data


def spec_changes(old: TuningSpec, new: TuningSpec) -> list[Change]:
    """Every difference, as dotted paths (a section or parameter only on one side is one
    change), in the spec's field order."""
    out: list[Change] = []
    _diff(_comparable(old), _comparable(new), (), out)
    return out


def _diff(old: Any, new: Any, path: tuple[str, ...], out: list[Change]) -> None:
    if isinstance(old, dict) and isinstance(new, dict):
        for key in [*old, *(k for k in new if k not in old)]:
            _diff(old.get(key, _MISSING), new.get(key, _MISSING), (*path, str(key)), out)
    elif old != new:
        out.append(Change(".".join(path), old, new))
