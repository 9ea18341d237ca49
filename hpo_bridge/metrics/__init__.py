"""Turning a trial's output into metric readings, incrementally (offsets, never re-reads).

Channels: log lines (regexes, the report line), the cloudml-hypertune metric
file, a JSON file per objective (Vega), an MLflow file store's metric history.
Each channel is a `MetricSource`: `read(final)` returns the readings that
appeared since the last call.
"""

from hpo_bridge.metrics.base import LineParser, MetricSource, Reading, parse_number

__all__ = ["LineParser", "MetricSource", "Reading", "parse_number"]
