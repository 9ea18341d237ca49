"""`hpo-bridge report DIR`: one self-contained HTML page per study, checked by parsing it.

Studies are real: run on the simulator through the CLI (hyperband on branin-mf, median
stopping on the curves table, a two-objective table study), plus an empty study, a
failed-only one, a one-trial one and a study of thousands of trials.
"""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
import yaml
from cli_support import cli_app, invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.results.html import StudyReport, render_report
from hpo_bridge.results.svg import short
from hpo_bridge.spec import validate_spec
from hpo_bridge.store import Store

ROOT = Path(__file__).resolve().parents[2]
SIMULATE = ROOT / "examples" / "simulate"
SCRIPT_VALUE = "<script>alert(1)</script>"
ARCHS = [SCRIPT_VALUE, "a&b", 'q"uote']


# -- parsing the page ---------------------------------------------------------------------
VOID = {"meta", "br", "hr", "img", "input", "link"}


class Node:
    def __init__(self, tag: str, attrs: dict[str, str]) -> None:
        self.tag, self.attrs, self.children, self.parts = tag, attrs, [], []

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        return "".join(p if isinstance(p, str) else p.text() for p in self.parts)

    def all(self, tag: str, cls: str | None = None, **attrs: str) -> list[Node]:
        out = []
        for child in self.children:
            if (child.tag == tag and (cls is None or cls in child.classes)
                    and all(child.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())):
                out.append(child)
            out += child.all(tag, cls, **attrs)
        return out

    def one(self, tag: str, cls: str | None = None, **attrs: str) -> Node:
        found = self.all(tag, cls, **attrs)
        assert len(found) == 1, f"{len(found)} <{tag} class={cls} {attrs}>"
        return found[0]


class PageParser(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("#root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        self.stack[-1].children.append(node)
        self.stack[-1].parts.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].parts.append(data)


def parse(page: str) -> Node:
    parser = PageParser()
    parser.feed(page)
    parser.close()
    assert [n.tag for n in parser.stack] == ["#root"], "unclosed elements"
    return parser.root


def polyline_points(node: Node) -> list[tuple[float, float]]:
    return [(float(x), float(y)) for x, y in (p.split(",") for p in node.attrs["points"].split())]


def rows(page: Node) -> list[Node]:
    return page.one("table", "trials").one("tbody").all("tr")


def cells(row: Node) -> list[str]:
    return [td.text() for td in row.all("td")]


def summary(page: Node) -> dict[str, str]:
    dl = page.one("dl", "summary")
    return dict(zip((d.text() for d in dl.all("dt")), (d.text() for d in dl.all("dd")),
                    strict=True))


def assert_self_contained(raw: str, page: Node) -> None:
    scripts = page.all("script")
    assert len(scripts) == 1 and "src" not in scripts[0].attrs  # our few lines, inline
    assert not page.all("link") and not page.all("img") and not page.all("iframe")
    for node in page.all("svg"):
        assert node.attrs["xmlns"] == "http://www.w3.org/2000/svg"
    assert raw.count("http") == raw.count("http://www.w3.org/2000/svg")  # no network


# -- running studies through the CLI -------------------------------------------------------
@pytest.fixture(scope="module")
def app():
    return cli_app()



def run_study(app, spec: Path, source: str, directory: Path) -> Path:
    res = invoke(app, "run", spec, "--simulate", source, "--study-dir", directory)
    assert res.exit_code in (0, 1), res.output
    return directory


def report(app, directory: Path, out: Path) -> tuple[str, Node]:
    res = invoke(app, "report", directory, "-o", out)
    assert res.exit_code == 0, res.output
    assert res.stdout.strip() == f"report: {out}"
    raw = out.read_text(encoding="utf-8")
    return raw, parse(raw)


def results(app, directory: Path) -> dict[int, dict[str, Any]]:
    data = json.loads(invoke(app, "results", directory, "--json").stdout)
    return {t["id"]: t for t in data["trials"]}


def best(app, directory: Path) -> dict[str, Any]:
    return json.loads(invoke(app, "best", directory, "--json").stdout)


def write_yaml(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.fixture(scope="module")
def hyperband(app, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("hb") / "study"
    return run_study(app, SIMULATE / "branin-hyperband.yaml", "branin-mf", d)


@pytest.fixture(scope="module")
def median(app, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("median") / "study"
    return run_study(app, SIMULATE / "curves-median.yaml", "curves", d)


PARETO_SPEC = {
    "name": "pareto-demo",
    "description": "accuracy <vs> latency & \"more\"",
    "objectives": [{"metric": "accuracy", "goal": "maximize"},
                   {"metric": "latency", "goal": "minimize"}],
    "search_space": {"arch": {"type": "categorical", "values": ARCHS},
                     "width": {"type": "int", "low": 1, "high": 64, "scale": "log"}},
    "strategy": {"algorithm": "random", "seed": 4},
    "limits": {"max_trials": 40, "max_parallel": 2},
}


def pareto_table() -> dict[str, Any]:
    """accuracy grows with width, latency too: a real trade-off. `<script>` rows stop at
    width 40, so some trials find no row and fail with a reason that quotes the value."""
    rows = []
    for a, arch in enumerate(ARCHS):
        for w in range(1, 65):
            if arch == SCRIPT_VALUE and w > 40:
                continue
            acc = round(0.5 + 0.4 * math.log2(w) / 6 - 0.03 * a, 6)
            lat = round(0.2 * w + a, 6)
            rows.append({"params": {"arch": arch, "width": w},
                         "values": [round(acc * f, 6) for f in (0.8, 0.95, 1.0)],
                         "metrics": {"latency": [lat, lat, lat]}})
    return {"metric": "accuracy", "rows": rows}


@pytest.fixture(scope="module")
def pareto(app, tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("pareto")
    spec = write_yaml(d / "spec.yaml", PARETO_SPEC)
    (d / "table.json").write_text(json.dumps(pareto_table()))
    return run_study(app, spec, str(d / "table.json"), d / "study")


# -- the three real studies ----------------------------------------------------------------
def test_hyperband_study_report(app, hyperband, tmp_path):
    raw, page = report(app, hyperband, tmp_path / "out.html")
    assert_self_contained(raw, page)
    trials = results(app, hyperband)
    top = best(app, hyperband)["best"]
    assert len(trials) == 200

    assert page.one("h1").text() == "branin-hyperband"
    head = summary(page)
    assert head["status"] == "finished \u2014 max_trials (200) reached"
    assert head["objective"] == "loss: minimize (last report)"
    assert head["strategy"] == "hyperband (seed 1, reduction_factor 3)"
    assert head["early stopping"] == "none"
    stopped = [t for t in trials.values() if t["status"] == "stopped"]
    completed = len(trials) - len(stopped)
    assert head["trials"] == f"200 of 200: {completed} completed, {len(stopped)} stopped"
    assert page.one("b", "best-id").text() == str(top["id"])
    best_params = page.one("section", id="best").one("table", "params")
    assert [cells(r)[0] for r in best_params.all("tr")] == [
        f"{top['params'][k]:.6g}" for k in ("x1", "x2")]

    # One polyline per trial over intervals, its points the trial's reports.
    chart = page.one("svg", "metric-chart", data_metric="loss")
    lines = {int(n.attrs["data-t"]): n for n in chart.all("polyline", "t")}
    assert set(lines) == set(trials)
    for tid, node in lines.items():
        pts = polyline_points(node)
        intervals = trials[tid]["intervals"]
        assert len(pts) == max(2, intervals)  # one report is drawn as a dot
        assert [x for x, _ in pts][:intervals] == sorted(x for x, _ in pts)[:intervals]
        assert f"st-{trials[tid]['status']}" in node.classes
    # Minimised on the chart: the best trial's last report is the lowest (largest y).
    last_y = {tid: polyline_points(n)[-1][1] for tid, n in lines.items()}
    assert last_y[top["id"]] == max(last_y.values())
    assert [tid for tid, n in lines.items() if "best" in n.classes] == [top["id"]]
    assert len(chart.all("circle", "stop")) == len(stopped)  # where each was stopped
    # A loss from ~300 down to ~0.4 spans decades: a log axis.
    assert any(t.text() == "loss (log) \u2193" for t in chart.all("text", "title"))

    parcoords = page.one("svg", "parcoords")
    pc = parcoords.all("polyline", "pc")
    assert len(pc) == 200 and all(len(polyline_points(n)) == 3 for n in pc)  # x1, x2, loss
    assert [n.attrs["data-t"] for n in pc if "best" in n.classes] == [str(top["id"])]
    panels = page.all("svg", "scatter")
    assert [p.attrs["data-param"] for p in panels] == ["x1", "x2"]
    assert all(len(p.all("circle", "p")) == 200 for p in panels)
    assert not page.all("svg", "pareto")

    table = rows(page)
    assert [int(r.attrs["data-t"]) for r in table] == sorted(trials)
    best_rows = [r for r in table if "best" in r.classes]
    assert [cells(r)[0] for r in best_rows] == [str(top["id"])]
    assert cells(best_rows[0])[1:3] == ["completed", "27"]


def test_median_stopping_study_report(app, median, tmp_path):
    raw, page = report(app, median, tmp_path / "out.html")
    assert_self_contained(raw, page)
    trials = results(app, median)
    top = best(app, median)["best"]
    head = summary(page)
    assert head["early stopping"] == (
        "median (evaluation_interval 1, delay_evaluation 5), from policy auto")
    stopped = {tid for tid, t in trials.items() if t["status"] == "stopped"}
    assert head["stopping decisions"] == f"{len(stopped)} (median {len(stopped)})"
    assert head["study time"]  # the study's own (simulated) clock

    chart = page.one("svg", "metric-chart", data_metric="accuracy")
    lines = {int(n.attrs["data-t"]): n for n in chart.all("polyline", "t")}
    assert len(lines) == 60
    assert {tid for tid, n in lines.items() if "st-stopped" in n.classes} == stopped
    for tid in stopped:
        assert len(polyline_points(lines[tid])) == trials[tid]["intervals"] >= 5
    last_y = {tid: polyline_points(n)[-1][1] for tid, n in lines.items()}
    assert last_y[top["id"]] == min(last_y.values())  # maximised: highest on the chart
    assert page.one("b", "best-id").text() == str(top["id"])

    by_id = {int(r.attrs["data-t"]): cells(r) for r in rows(page)}
    for tid in stopped:
        assert by_id[tid][-1] == trials[tid]["reason"]
        assert by_id[tid][-1].startswith("median: ")
    assert by_id[top["id"]][3] == f"{top['objective']:.6g}"
    # The int parameter `config` gets whole-number ticks on its axis.
    ticks = [t.text() for t in page.one("svg", "parcoords").all("text", "tick")]
    assert "0" in ticks and "99" not in ticks and all("." not in t for t in ticks[:5])


def test_multi_objective_report_marks_the_pareto_front_and_escapes(app, pareto, tmp_path):
    raw, page = report(app, pareto, tmp_path / "out.html")
    assert_self_contained(raw, page)
    assert SCRIPT_VALUE not in raw and "&lt;script&gt;alert(1)&lt;/script&gt;" in raw
    assert page.one("p", "desc").text() == PARETO_SPEC["description"]
    trials = results(app, pareto)
    front = {t["id"] for t in best(app, pareto)["pareto"]}
    assert len(front) >= 3
    failed = [t for t in trials.values() if t["status"] == "failed"]
    assert failed, "the table leaves some <script> widths out: those trials fail"

    head = summary(page)
    assert head["objectives"] == (
        "accuracy: maximize (last report); latency: minimize (last report)")
    section = page.one("section", id="best")
    assert section.one("h2").text() == "Pareto set"
    assert {int(td.text()) for td in section.all("td", "best-id")} == front

    assert [s.attrs["data-metric"] for s in page.all("svg", "metric-chart")] == [
        "accuracy", "latency"]
    chart = page.one("svg", "pareto")
    marked = {int(c.attrs["data-t"]) for c in chart.all("circle", "front")}
    assert marked == front
    assert len(chart.all("circle", "p")) == len(trials) - len(failed)
    front_line = polyline_points(chart.one("polyline", "front-line"))
    assert len(front_line) == len(front) and front_line == sorted(front_line)

    parcoords = page.one("svg", "parcoords")
    titles = [t.text() for t in parcoords.all("text", "title")]
    assert titles == ["arch", "width (log)", "accuracy \u2191", "latency \u2193"]
    ticks = [t.text() for t in parcoords.all("text", "tick")]
    assert ticks[:3] == [short(v, 14) for v in ARCHS]  # categorical axis, in domain order
    assert {"1", "3", "10", "30"} <= set(ticks)  # log axis: 1-3 steps per decade
    assert "n/a" in ticks  # failed trials have no objective
    # Two objectives x two parameters.
    assert len(page.all("svg", "scatter")) == 4

    by_id = {int(r.attrs["data-t"]): cells(r) for r in rows(page)}
    assert len(by_id) == len(trials)
    for t in failed:
        row = by_id[t["id"]]
        assert row[5] == SCRIPT_VALUE and row[-1] == t["reason"]
        assert SCRIPT_VALUE in row[-1]
    table_heads = [th.text() for th in page.one("table", "trials").one("thead").all("th")]
    assert table_heads == ["id", "status", "intervals", "accuracy", "latency", "arch", "width",
                           "reason"]


def test_same_study_gives_the_same_bytes(app, median, tmp_path):
    again = run_study(app, SIMULATE / "curves-median.yaml", "curves", tmp_path / "again")
    first, _ = report(app, median, tmp_path / "a.html")
    second, _ = report(app, again, tmp_path / "b.html")
    assert first == second


# -- edge cases ----------------------------------------------------------------------------
CURVES_SPEC = {
    "name": "curves-small",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {"config": {"type": "int", "low": 0, "high": 99}},
    "strategy": {"algorithm": "random", "seed": 3},
}


def test_empty_study(app, tmp_path):
    spec = validate_spec(CURVES_SPEC)
    Store.create(tmp_path / "study", spec).close()
    res = invoke(app, "report", tmp_path / "study")  # default: DIR/report.html
    assert res.exit_code == 0, res.output
    raw = (tmp_path / "study" / "report.html").read_text()
    page = parse(raw)
    assert_self_contained(raw, page)
    assert summary(page)["status"] == "created"
    assert summary(page)["trials"] == "0 of 10"
    assert not page.all("svg")
    assert not page.all("table", "trials")
    notes = [p.text() for p in page.all("p", "empty")]
    assert notes == ["No trial has a result yet.", "No trial has reported accuracy yet.",
                     "No trial yet.", "No trial has an objective value yet.", "No trial yet."]


def test_failed_only_study(app, tmp_path):
    (tmp_path / "table.json").write_text(json.dumps(
        {"metric": "accuracy", "rows": [{"params": {"config": 1000}, "values": [0.5]}]}))
    limits = {"max_trials": 3, "max_failed": 3}
    spec = write_yaml(tmp_path / "spec.yaml", {**CURVES_SPEC, "limits": limits})
    study = run_study(app, spec, str(tmp_path / "table.json"), tmp_path / "study")
    _, page = report(app, study, tmp_path / "out.html")
    assert summary(page)["trials"] == "3 of 3: 3 failed"
    assert not page.all("svg", "metric-chart") and not page.all("svg", "scatter")
    assert page.one("section", id="best").one("p", "empty").text() == (
        "No trial has a result yet.")
    pc = page.one("svg", "parcoords").all("polyline", "pc")
    assert len(pc) == 3 and all("noobj" in n.classes for n in pc)
    assert [cells(r)[1] for r in rows(page)] == ["failed"] * 3
    assert all(cells(r)[-1].startswith("no table row matches params") for r in rows(page))


def test_single_trial_study(app, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", {**CURVES_SPEC, "limits": {"max_trials": 1}})
    study = run_study(app, spec, "curves", tmp_path / "study")
    _, page = report(app, study, tmp_path / "out.html")
    line = page.one("svg", "metric-chart").one("polyline", "t")
    assert line.attrs["data-t"] == "1" and "best" in line.classes
    assert len(polyline_points(line)) == 27
    assert page.one("b", "best-id").text() == "1"
    assert len(rows(page)) == 1


def test_thousands_of_trials_stay_compact(app, tmp_path):
    spec = write_yaml(tmp_path / "spec.yaml", {
        "name": "many",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x1": {"type": "float", "low": -5, "high": 10},
                         "x2": {"type": "float", "low": 0, "high": 15}},
        "strategy": {"algorithm": "random", "seed": 1},
        "early_stopping": {"policy": "median"},
        "limits": {"max_trials": 2500, "max_parallel": 8},
        "trial": {"resource": {"name": "epochs", "min": 1, "max": 9}},
    })
    study = run_study(app, spec, "branin-mf", tmp_path / "study")
    raw, page = report(app, study, tmp_path / "out.html")
    assert len(rows(page)) == 2500
    assert len(page.one("svg", "metric-chart").all("polyline", "t")) == 2500
    assert len(raw.encode()) < 2500 * 800  # under 800 bytes a trial, all charts included


def test_stdout_output(app, median):
    res = invoke(app, "report", median, "-o", "-")
    assert res.exit_code == 0
    assert res.stdout.startswith("<!DOCTYPE html>") and res.stdout.endswith("</html>\n")


def test_bad_directory_or_output_exit_2_with_one_line(app, tmp_path, median):
    res = invoke(app, "report", tmp_path / "none")
    assert res.exit_code == 2
    assert res.output.strip() == f"{tmp_path / 'none'}: no study here (no study.db)"
    junk = tmp_path / "junk"
    junk.mkdir()
    (junk / "study.db").write_bytes(b"not a database at all" * 100)
    res = invoke(app, "report", junk)
    assert res.exit_code == 2
    assert res.output.splitlines() == [
        f"{junk / 'study.db'}: damaged: not an SQLite database (its header is damaged)"
        f" (`hpo-bridge status {junk}` shows what can still be read)"]
    assert len(res.output.strip().splitlines()) == 1
    res = invoke(app, "report", median, "-o", tmp_path / "no" / "such" / "out.html")
    assert res.exit_code == 2
    assert res.output.startswith(f"--output {tmp_path / 'no' / 'such' / 'out.html'}: cannot write")
    assert len(res.output.strip().splitlines()) == 1
    assert "Traceback" not in res.output


# -- escaping, for any text a user can put in a value or a reason --------------------------
texts = st.text(st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=30)


@settings(max_examples=60, deadline=None)
@given(values=st.lists(texts, min_size=2, max_size=2, unique=True), reason=texts)
def test_any_value_and_reason_round_trips_escaped(values, reason):
    spec = validate_spec({
        "name": "esc", "objective": {"metric": "m", "goal": "maximize"},
        "search_space": {"choice": {"type": "categorical", "values": values}},
    })
    trials = [
        Trial(id=1, params={"choice": values[0]}, status=TrialStatus.STOPPED, values=[1.0, 2.0],
              metrics={"m": [1.0, 2.0]}, reason=reason),
        Trial(id=2, params={"choice": values[1]}, status=TrialStatus.FAILED, reason=reason),
    ]
    raw = render_report(StudyReport(spec, trials, "finished", reason))
    page = parse(raw)
    assert len(page.all("script")) == 1
    assert summary(page)["status"] == f"finished \u2014 {reason}"
    assert [cells(r)[4] for r in rows(page)] == values
    assert [cells(r)[-1] for r in rows(page)] == [reason, reason]
    ticks = [t.text() for t in page.one("svg", "parcoords").all("text", "tick")]
    assert ticks[:2] == [short(v, 14) for v in values]
