"""Regex extraction (SageMaker MetricDefinitions), the report line, parse_number."""

from __future__ import annotations

import contextlib
import io
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hpo_bridge import report
from hpo_bridge._report import MARKER
from hpo_bridge.metrics.base import parse_number
from hpo_bridge.metrics.regex import RegexExtractor
from hpo_bridge.metrics.report_line import ReportLineParser
from hpo_bridge.spec import MetricDefinition

SEED_LINE = "Test set: Average loss: 0.0450, Accuracy: 9850/10000 (98%)"  # SEEDS.md, 003
SEED_DEFS = [
    MetricDefinition(name="average test loss", regex="Test set: Average loss: ([0-9.]+)"),
    MetricDefinition(name="accuracy", regex=r"Accuracy: [0-9]+/[0-9]+ \(([0-9]+)%\)"),
]


def test_seed_003_line_gives_its_loss_and_accuracy():
    readings = RegexExtractor(SEED_DEFS).parse(SEED_LINE)
    assert [(r.name, r.value) for r in readings] == [("average test loss", 0.045),
                                                      ("accuracy", 98.0)]
    assert readings[0].raw == "0.0450"


def test_a_regex_reports_its_first_match_in_a_line():
    extractor = RegexExtractor([MetricDefinition(name="loss", regex=r"loss=([0-9.]+)")])
    assert [r.value for r in extractor.parse("loss=0.5 loss=0.4")] == [0.5]
    assert extractor.parse("no metric here") == []


@pytest.mark.parametrize("line", ["loss=", "loss=nan", "loss=inf", "loss=1.2.3", "loss=-Infinity"])
def test_a_capture_that_is_not_a_finite_number_is_an_invalid_report(line):
    extractor = RegexExtractor([MetricDefinition(name="loss", regex=r"loss=(\S*)")])
    (reading,) = extractor.parse(line)
    assert reading.name == "loss"
    assert math.isnan(reading.value) and not reading.valid
    assert reading.raw == line.removeprefix("loss=")


def _printed(**metrics) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        report(**metrics)
    return out.getvalue().rstrip("\n")


def test_report_round_trip():
    line = _printed(accuracy=0.91, loss=3, big=1e300)
    readings = ReportLineParser().parse(line)
    assert [(r.name, r.value) for r in readings] == [("accuracy", 0.91), ("loss", 3.0),
                                                      ("big", 1e300)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_reports_are_rejected_by_name(bad):
    (reading,) = ReportLineParser().parse(_printed(accuracy=bad))
    assert reading.name == "accuracy" and not reading.valid
    assert reading.raw == repr(bad)


def test_report_line_after_unterminated_output_is_still_found():
    line = "epoch 3 ... " + _printed(accuracy=0.5)
    assert [r.value for r in ReportLineParser().parse(line)] == [0.5]


@pytest.mark.parametrize("line", [MARKER + "{not json", MARKER + "[1, 2]", MARKER, "@@hpo-bridge"])
def test_garbled_report_lines_name_no_metric(line):
    assert ReportLineParser().parse(line) == []


@given(st.text())
def test_no_ordinary_line_is_mistaken_for_a_report(line):
    if MARKER not in line:
        assert ReportLineParser().parse(line) == []


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_parse_number_keeps_every_finite_float(x):
    assert parse_number("m", repr(x)).value == x
    assert parse_number("m", x).value == x


@pytest.mark.parametrize("raw", [True, None, "", " ", "abc", [1], "nan", "-inf"])
def test_parse_number_rejects(raw):
    assert not parse_number("m", raw).valid


@pytest.mark.parametrize("raw", ["１２", "1_0", "٣", "\u00a012", "1e5\u2003", "0x10", "1.2.3",
                                 ".", "e5", "+", "infinity", "1,5"])
def test_parse_number_rejects_what_only_python_reads_as_a_number(raw):
    reading = parse_number("m", raw)
    assert not reading.valid and reading.raw == raw


ascii_numbers = st.from_regex(
    r"\A[+-]?([0-9]{1,12}(\.[0-9]{0,8})?|\.[0-9]{1,8})([eE][+-]?[0-9]{1,2})?\Z")


@given(ascii_numbers)
def test_parse_number_reads_every_ascii_decimal_or_exponent_number(text):
    assert parse_number("m", text).value == float(text)


@given(st.text(max_size=12))
def test_parse_number_accepts_text_only_in_the_ascii_number_grammar(text):
    reading = parse_number("m", text)
    stripped = text.strip(" \t\r\n")
    plain = bool(stripped) and all(c in "0123456789+-.eE" for c in stripped)
    if reading.valid:
        assert plain and reading.value == float(stripped)
    elif plain:  # plain ASCII is refused only when it is no finite number ('1e5e', '1e999')
        try:
            value = float(stripped)
        except ValueError:
            return
        assert not math.isfinite(value)
