"""What a backend can express, as data, checked by one function for every cloud.

In the style of skypilot's `CloudImplementationFeatures`: the spec's features are listed
once (`spec_features`), each backend declares its gaps in a table (feature key -> `Gap`),
and `check_capabilities` turns the features a spec uses into `Unsupported` items or, with
`--approximate`, into one warning each. So every "unsupported; nearest native option; what
--approximate does" message comes from data and reads the same for every cloud.

Feature keys are "<what>" or "<what>=<value>":

    objectives.multi                   several objectives (Pareto)
    objective.measurement=best         the best report rather than the last
    search_space.condition             a conditional parameter
    search_space.condition.op=<op>     a condition other than membership (`in`): not_in, ==,
                                       !=, range (a backend whose conditions take a list
                                       of parent values lists these)
    forbidden                          forbidden combinations (partial assignments)
    search_space.distribution=<name>   one of Azure's distributions (normal, quniform, ...)
    search_space.scale=<scale>         log / reverse_log scaling
    search_space.q                     a quantised float (q)
    strategy.algorithm=<name>          a search algorithm
    strategy.<option>                  a searcher option (sampler, brackets, population_size...)
    strategy.options                   plugin searcher options
    early_stopping.policy=<name>       a stopping policy
    limits.<name>                      max_failed, target_value, max_trials_without_improvement,
                                       max_duration, trial_timeout, max_total_resource
    trial.contract=<name>              a trial contract
    trial.devices / trial.python / trial.fullytrain / trial.args.bare_flag / trial.resource /
    trial.check_args
    warm_start                         learning from earlier jobs or studies (`warm_start.from`)
    warm_start.type=<type>             identical (same data and code) or transfer

A cloud with a warm-start form of its own maps `warm_start` in its translator (SageMaker:
WarmStartConfig; AI Platform: resumePreviousJobId, which takes one job and only an
identical one); one without lists `warm_start` in its table, so a spec asking for it is
refused with the nearest native option, the same way everywhere.

A translator also meets gaps only it can see (a list longer than the service takes, a
scale on a range the service refuses): it records them through the same `Issues`, so they
read the same way.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from hpo_bridge.backends.errors import Unsupported, UnsupportedFeatures
from hpo_bridge.spec.pbt import PBT_OPTIONS


@dataclass(frozen=True)
class Gap:
    """One thing a backend cannot express.

    `feature` names it ("{value}" is replaced by the feature's value, e.g. the algorithm);
    `nearest` is the nearest native option; `approximation`, when given, is what
    `--approximate` does instead (the translator applies it: see `Issues.applies`).
    """

    feature: str
    nearest: str
    approximation: str | None = None


CapabilityTable = Mapping[str, Gap]


@dataclass(frozen=True)
class UsedFeature:
    key: str  # e.g. "strategy.algorithm=sobol"
    path: str  # where the spec uses it, e.g. "strategy.algorithm"
    value: Any = None  # e.g. "sobol"


# Gaps are listed in this order of the spec's sections (then in the order found), the
# same for every backend, whether the table or the translator found them.
SECTION_ORDER = ("strategy", "objective", "objectives", "metrics", "limits", "search_space",
                 "forbidden", "early_stopping", "trial", "backends")


def _section_rank(path: str) -> int:
    section = path.split(".", 1)[0].split(":", 1)[0]
    return SECTION_ORDER.index(section) if section in SECTION_ORDER else len(SECTION_ORDER)


@dataclass
class Issues:
    """Gaps met while checking and translating a spec for one backend.

    With `approximate`, gaps that have an approximation become warnings and their keys are
    remembered, so the translator asks `applies(key)` and applies the approximation.
    """

    backend: str
    approximate: bool = False
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    approximated: set[str] = field(default_factory=set)

    def add(self, path: str, feature: str, nearest: str, approximation: str | None = None,
            key: str | None = None) -> bool:
        """Record one gap; True when the caller should apply `approximation`."""
        if self.approximate and approximation is not None:
            self.warnings.append(f"{path}: {feature} is approximated: {approximation}")
            self.approximated.add(key or path)
            return True
        self.unsupported.append(Unsupported(path, feature, nearest, approximation))
        return False

    def applies(self, key: str) -> bool:
        """Whether the approximation of feature `key` (or path) was chosen."""
        return key in self.approximated

    def warn(self, text: str) -> None:
        """A note that is not a gap (e.g. a setting that overrides the spec)."""
        self.warnings.append(text)

    def ordered_warnings(self) -> list[str]:
        return sorted(self.warnings, key=_section_rank)

    def raise_if_any(self) -> None:
        if self.unsupported:
            items = sorted(self.unsupported, key=lambda item: _section_rank(item.path))
            raise UnsupportedFeatures(self.backend, items)


def spec_features(spec: Any) -> Iterator[UsedFeature]:
    """Every table-checkable feature the spec uses, with where it uses it."""
    if spec.multi_objective:
        yield UsedFeature("objectives.multi", "objectives", len(spec.all_objectives))
    path = "objective" if spec.objective is not None else "objectives.0"
    if spec.primary.measurement == "best":
        yield UsedFeature("objective.measurement=best", f"{path}.measurement", "best")
    for name, domain in spec.search_space.items():
        where = f"search_space.{name}"
        if domain.condition is not None:
            yield UsedFeature("search_space.condition", f"{where}.condition", domain.condition)
            op = getattr(domain.condition, "op", "in")
            if op != "in":
                yield UsedFeature(f"search_space.condition.op={op}", f"{where}.condition.op",
                                  domain.condition)
        distribution = getattr(domain, "distribution", None)
        if distribution is not None:
            yield UsedFeature(f"search_space.distribution={distribution}",
                              f"{where}.distribution", distribution)
    if getattr(spec, "forbidden", None):
        yield UsedFeature("forbidden", "forbidden", len(spec.forbidden))
    strategy = spec.strategy
    yield UsedFeature(f"strategy.algorithm={strategy.algorithm}", "strategy.algorithm",
                      strategy.algorithm)
    for option in ("sampler", "n_startup_trials", "reduction_factor", "brackets", *PBT_OPTIONS):
        if getattr(strategy, option, None) is not None:
            yield UsedFeature(f"strategy.{option}", f"strategy.{option}", option)
    if strategy.options:
        yield UsedFeature("strategy.options", "strategy.options",
                          ", ".join(sorted(strategy.options)))
    policy = spec.early_stopping.policy
    if policy != "none":
        yield UsedFeature(f"early_stopping.policy={policy}", "early_stopping.policy", policy)
    limits = spec.limits
    for name in ("max_failed", "target_value", "max_trials_without_improvement",
                 "max_duration", "trial_timeout", "max_total_resource"):
        if getattr(limits, name, None) is not None:
            yield UsedFeature(f"limits.{name}", f"limits.{name}", getattr(limits, name))
    trial = spec.trial
    yield UsedFeature(f"trial.contract={trial.contract}", "trial.contract", trial.contract)
    for name in ("devices", "python", "fullytrain", "resource"):
        if getattr(trial, name, None) is not None:
            yield UsedFeature(f"trial.{name}", f"trial.{name}", getattr(trial, name))
    if getattr(trial, "check_args", False):
        yield UsedFeature("trial.check_args", "trial.check_args", True)
    for key, value in trial.args.items():
        if value is None:
            yield UsedFeature("trial.args.bare_flag", f"trial.args.{key}", key)
    warm_start = getattr(spec, "warm_start", None)
    if warm_start is not None:
        yield UsedFeature("warm_start", "warm_start.from", ", ".join(warm_start.sources))
        yield UsedFeature(f"warm_start.type={warm_start.type}", "warm_start.type",
                          warm_start.type)


def check_capabilities(spec: Any, table: CapabilityTable, issues: Issues,
                       context: Mapping[str, Any] | None = None) -> Issues:
    """Record in `issues` every feature of `spec` that `table` lists as a gap.

    A gap's texts may name `{value}` (the feature's value, e.g. a condition, with its
    attributes), `{spec}` (the whole spec) and the backend's own `context` names (e.g.
    the native strategy a spec maps to).
    """
    for used in spec_features(spec):
        gap = table.get(used.key)
        if gap is None:
            continue

        def text(template: str, used: UsedFeature = used) -> str:
            return template.format(**(context or {}), value=used.value, spec=spec)

        issues.add(used.path, text(gap.feature), text(gap.nearest),
                   text(gap.approximation) if gap.approximation else None, key=used.key)
    return issues
