"""The default contract: `--name=value` arguments; the spec's regexes and report lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

from hpo_bridge.contracts.base import (
    MetricProblems,
    TrialContext,
    TrialContract,
    all_values,
    equals_args,
    unread_objectives,
)
from hpo_bridge.metrics.base import LineParser
from hpo_bridge.metrics.report_line import ReportLineParser

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec


class LocalContract(TrialContract):
    name = "local"

    def arguments(self, ctx: TrialContext) -> list[str]:
        return equals_args(all_values(ctx))

    def line_parsers(self, ctx: TrialContext) -> list[LineParser]:
        return [*super().line_parsers(ctx), ReportLineParser()]

    def metric_problems(self, spec: TuningSpec) -> MetricProblems:
        """A spec that reads metrics with regexes but has none for an objective is most
        likely a typo (`val_acc` against a regex for `val_auc`); a report line could still
        carry the metric, so it is a warning. Without any regex, report lines are the
        channel: nothing to say."""
        found = MetricProblems()
        if spec.metrics:
            for metric, hint in unread_objectives(spec):
                found.warnings.append(
                    f"metrics: no regex for objective metric {metric!r} ({hint}); only an"
                    f" hpo_bridge.report({metric}=...) line can report it")
        return found
