"""The report filter (metrics/thinning.py): what of a trial's reports is kept, bounded."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.metrics.base import Reading
from hpo_bridge.metrics.thinning import ReportFilter

KEEP = 3
reports = st.lists(
    st.tuples(st.sampled_from(["acc", "acc", "val", "loss", "lr", "x1", "x2"]),
              st.one_of(st.floats(0, 1), st.just(math.nan))),
    max_size=200,
)


def _intervals(readings: list[Reading], primary: str = "acc") -> list[list[Reading]]:
    """Readings split before each primary report (interval 0 holds what came first)."""
    out: list[list[Reading]] = [[]]
    for r in readings:
        if r.name == primary:
            out.append([])
        out[-1].append(r)
    return out


@settings(max_examples=200, deadline=None)
@given(reports, st.lists(st.integers(0, 200), max_size=5))
def test_kept_reports_are_the_first_of_each_interval_and_its_last(data, cuts):
    readings = [Reading(n, v, repr(v)) for n, v in data]
    flt = ReportFilter(["acc", "val"], "acc", keep_per_interval=KEEP, max_metrics=3)
    out: list[Reading] = []
    start = 0
    for cut in sorted(cuts) + [len(readings)]:  # however the output arrives in reads
        out += flt.feed(readings[start:cut])
        start = max(start, cut)
    out += flt.flush()
    objectives = [r for r in readings if r.name in ("acc", "val")]
    assert [r for r in out if r.name in ("acc", "val")] == objectives
    # An invalid report always passes (it fails the trial), whatever its name.
    invalid = [r for r in readings if not r.valid and r.name not in ("acc", "val")]
    assert [r for r in out if not r.valid and r.name not in ("acc", "val")] == invalid
    names = list(dict.fromkeys(r.name for r in readings if r.name not in ("acc", "val")
                               and r.valid))
    allowed = set(names[:3])  # max_metrics: the first three names seen
    for seen, kept in zip(_intervals(readings), _intervals(out), strict=True):
        for name in allowed:
            series = [r for r in seen if r.name == name and r.valid]
            expected = series if len(series) <= KEEP else [*series[:KEEP], series[-1]]
            assert [r for r in kept if r.name == name and r.valid] == expected
    assert not any(r.name not in allowed and r.name not in ("acc", "val") and r.valid
                   for r in out)
    assert flt.dropped == len(readings) - len(out)


def test_more_objective_reports_than_allowed_end_the_trial():
    flt = ReportFilter(["acc"], "acc", max_intervals=5)
    out = flt.feed([Reading("acc", i / 10) for i in range(8)] + [Reading("loss", 1.0)])
    assert [r.value for r in out] == [0.0, 0.1, 0.2, 0.3, 0.4]
    assert flt.ended == "reported acc 5 times, the most a trial may (later reports were not read)"
    assert flt.feed([Reading("acc", 1.0)]) == [] and flt.dropped == 5
