"""The default contract: `--name=value` arguments; the spec's regexes and report lines."""

from __future__ import annotations

from hpo_bridge.contracts.base import TrialContext, TrialContract, all_values, equals_args
from hpo_bridge.metrics.base import LineParser
from hpo_bridge.metrics.report_line import ReportLineParser


class LocalContract(TrialContract):
    name = "local"

    def arguments(self, ctx: TrialContext) -> list[str]:
        return equals_args(all_values(ctx))

    def line_parsers(self, ctx: TrialContext) -> list[LineParser]:
        return [*super().line_parsers(ctx), ReportLineParser()]
