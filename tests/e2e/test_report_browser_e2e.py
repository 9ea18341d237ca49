"""The HTML report in a real browser: Debian's Chromium, headless, driven by Playwright.

Two studies made through the console script: a real one (processes on the wall clock,
four metrics, a categorical parameter with long values, median stopping) and a
two-objective simulated one. For each, at 1,400 and 700 px: the page loads with no
console error, every chart has marks, nothing overflows the page, no two tick labels of
an axis overlap; then what the script does: sort and filter the table, pick a metric,
steer the 2-D and 3-D scatter plots. Screenshots of the whole page go to the test's
folder, or to $HPO_BRIDGE_SCREENSHOTS when set (to look at them).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import textwrap
from pathlib import Path
from typing import Any

import pytest
import yaml

playwright = pytest.importorskip("playwright.sync_api", reason="the `test` extra installs it")

CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
]
WIDTHS = (1400, 700)
OPTIMIZERS = ["sgd", "momentum-with-nesterov", "adam", "adamw-decoupled-weight-decay",
              "rmsprop", "adagrad", "lamb-large-batch", "lion"]

TRAIN = textwrap.dedent("""\
    import argparse, math, time
    import hpo_bridge

    p = argparse.ArgumentParser()
    p.add_argument("--lr", type=float)
    p.add_argument("--optimizer")
    p.add_argument("--layers", type=int)
    p.add_argument("--batch_norm")
    p.add_argument("--epochs", type=int)
    a = p.parse_args()
    quality = 1 - abs(math.log10(a.lr) + 2.5) / 4 - 0.02 * a.layers
    for epoch in range(1, a.epochs + 1):
        time.sleep(0.03)
        acc = quality * (1 - math.exp(-epoch / 3))
        hpo_bridge.report(accuracy=acc, loss=1 - acc, grad_norm=1 / epoch,
                          throughput=1000 + 10 * epoch)
    print("done", flush=True)
""")

SPEC = {
    "name": "browser-check",
    "description": "a real study for the report's browser test",
    "objective": {"metric": "accuracy", "goal": "maximize"},
    "search_space": {
        "lr": {"type": "float", "low": 1e-5, "high": 1.0, "scale": "log"},
        "optimizer": {"type": "categorical", "values": OPTIMIZERS},
        "layers": {"type": "int", "low": 1, "high": 8},
        "batch_norm": {"type": "bool"},
    },
    "strategy": {"algorithm": "random", "seed": 5},
    "early_stopping": {"policy": "median", "evaluation_interval": 1, "delay_evaluation": 4},
    "limits": {"max_trials": 16, "max_parallel": 4},
    "trial": {"command": ["python", "train.py"], "args": {"epochs": 8}},
}

PARETO = {
    "name": "pareto-check",
    "objectives": [{"metric": "accuracy", "goal": "maximize"},
                   {"metric": "latency", "goal": "minimize"}],
    "search_space": {"width": {"type": "int", "low": 1, "high": 64, "scale": "log"},
                     "depth": {"type": "int", "low": 1, "high": 4}},
    "strategy": {"algorithm": "random", "seed": 2},
    "limits": {"max_trials": 30, "max_parallel": 3},
}


def run(cli_exe: Path, *args: Any) -> subprocess.CompletedProcess[str]:
    done = subprocess.run([str(cli_exe), *map(str, args)], capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    return done


@pytest.fixture(scope="module")
def real_report(cli_exe, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("real")
    (folder / "train.py").write_text(TRAIN)
    (folder / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    run(cli_exe, "run", folder / "spec.yaml", "--study-dir", folder / "study")
    run(cli_exe, "report", folder / "study", "-o", folder / "report.html")
    return folder / "report.html"


@pytest.fixture(scope="module")
def pareto_report(cli_exe, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("pareto")
    rows = [{"params": {"width": w, "depth": d},
             "values": [round(0.5 + 0.07 * d + 0.05 * (w ** 0.5) / 8 * k, 6) for k in (1, 2, 3)],
             "metrics": {"latency": [round(0.1 * w * d, 6)] * 3}}
            for w in range(1, 65) for d in range(1, 5)]
    (folder / "table.json").write_text(json.dumps({"metric": "accuracy", "rows": rows}))
    (folder / "spec.yaml").write_text(yaml.safe_dump(PARETO, sort_keys=False))
    run(cli_exe, "run", folder / "spec.yaml", "--simulate", folder / "table.json",
        "--study-dir", folder / "study")
    run(cli_exe, "report", folder / "study", "-o", folder / "report.html")
    return folder / "report.html"


@pytest.fixture(scope="module")
def browser():
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.fail("no chromium: `make install` installs Debian's package (as root), or"
                    " `apt-get install chromium`")
    with playwright.sync_playwright() as p:
        # The machine's network is closed: nothing may reach out (updates, sync, metrics).
        launched = p.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        yield launched
        launched.close()


def screenshots(tmp_path: Path) -> Path:
    wanted = os.environ.get("HPO_BRIDGE_SCREENSHOTS")
    folder = Path(wanted) if wanted else tmp_path
    folder.mkdir(parents=True, exist_ok=True)
    return folder


# What the page itself measures: overflow, marks per chart, overlapping labels.
CHECKS = """() => {
  const doc = document.documentElement;
  const boxes = (nodes) => nodes.map(n => n.getBoundingClientRect())
      .filter(r => r.width > 0 && r.height > 0);
  const overlaps = [];
  const groups = [...document.querySelectorAll('g.ticks')]
      .map(g => [...g.querySelectorAll('text')]);
  // parallel coordinates' axis titles and the 3-D cube's labels are labels too
  groups.push([...document.querySelectorAll('svg.parcoords text.title')]);
  groups.push([...document.querySelectorAll('#scatter3d text')]);  // titles and ends
  for (const texts of groups) {
    const r = boxes(texts);
    for (let i = 0; i < r.length; i++) for (let j = i + 1; j < r.length; j++) {
      const a = r[i], b = r[j];
      if (a.left < b.right - 0.5 && b.left < a.right - 0.5
          && a.top < b.bottom - 0.5 && b.top < a.bottom - 0.5)
        overlaps.push(texts[i].textContent + ' / ' + texts[j].textContent);
    }
  }
  const charts = [...document.querySelectorAll('svg.chart')].map(s => ({
    cls: s.getAttribute('class'), metric: s.getAttribute('data-metric'),
    marks: s.querySelectorAll('polyline, circle, path, rect.g, rect.bar').length,
    width: s.getBoundingClientRect().width}));
  const wide = [...document.querySelectorAll('section, header')]
      .filter(s => s.scrollWidth > s.clientWidth + 1).map(s => s.id || s.tagName);
  return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, overlaps, charts, wide};
}"""


def open_page(browser, report: Path, width: int) -> tuple[Any, list[str]]:
    page = browser.new_page(viewport={"width": width, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: errors.append(f"request {r.url}")
            if not r.url.startswith("file:") else None)
    page.goto(report.as_uri())
    page.wait_for_load_state("load")
    return page, errors


def check_layout(browser, report: Path, tmp_path: Path, name: str) -> dict[int, Any]:
    found = {}
    for width in WIDTHS:
        page, errors = open_page(browser, report, width)
        state = page.evaluate(CHECKS)
        page.screenshot(path=str(screenshots(tmp_path) / f"{name}-{width}.png"),
                        full_page=True)
        assert errors == [], errors
        assert state["scrollWidth"] <= state["clientWidth"], state["scrollWidth"]
        assert state["wide"] == []
        assert state["overlaps"] == [], state["overlaps"]
        empty = [c for c in state["charts"] if c["marks"] == 0]
        assert empty == [], empty
        found[width] = state
        page.close()
    return found


def seconds_of(text: str) -> float:
    """The table's durations: 0.4s, 12s, 3m29s, 1h02m."""
    import re

    units = {"d": 86400, "h": 3600, "m": 60, "s": 1}
    return sum(float(n) * units[u] for n, u in re.findall(r"([0-9.]+)([dhms])", text))


# -- the real study -------------------------------------------------------------------------
def test_real_study_report_in_a_browser(browser, real_report, tmp_path):
    states = check_layout(browser, real_report, tmp_path, "real")
    kinds = [c["cls"] for c in states[1400]["charts"]]
    for kind in ("history by-trial", "history by-time", "metric-chart", "parcoords",
                 "scatter", "scatter2d", "scatter3d", "importance", "timeline"):
        assert any(f"chart {kind}" in k for k in kinds), kind
    # Any metric's curves: one chart per metric the trials reported.
    metrics = {c["metric"] for c in states[1400]["charts"] if "metric-chart" in c["cls"]}
    assert metrics == {"accuracy", "loss", "grad_norm", "throughput"}
    # At 1,400 px two charts share a row; at 700 px each has the column to itself.
    history = [c["width"] for c in states[1400]["charts"] if "history" in c["cls"]]
    narrow = [c["width"] for c in states[700]["charts"] if "history" in c["cls"]]
    assert all(500 < w < 700 for w in history) and all(w > 600 for w in narrow)


def test_table_sorts_and_filters(browser, real_report):
    page, errors = open_page(browser, real_report, 1400)
    table = page.locator("table.trials")

    def column(index: int) -> list[str]:
        return table.locator("tbody tr:not([hidden])").evaluate_all(
            f"rows => rows.map(r => r.cells[{index}].textContent)")

    heads = table.locator("thead th").all_text_contents()
    objective = heads.index("objective (accuracy)")
    table.locator("thead th").nth(objective).click()
    values = [float(v) for v in column(objective) if v != "n/a"]
    assert values == sorted(values) and len(values) >= 2
    table.locator("thead th").nth(objective).click()  # again: descending
    values = [float(v) for v in column(objective) if v != "n/a"]
    assert values == sorted(values, reverse=True)
    duration = heads.index("duration")
    table.locator("thead th").nth(duration).click()
    seconds = [seconds_of(text) for text in column(duration)]
    assert seconds == sorted(seconds) and seconds[0] > 0

    statuses = column(1)
    page.select_option("#status-filter", "stopped")
    assert column(1) == ["stopped"] * statuses.count("stopped") and statuses.count("stopped")
    assert page.locator("#shown").text_content() == (
        f"{statuses.count('stopped')} of {len(statuses)} trials shown")
    page.select_option("#status-filter", "")
    page.fill("#filter", OPTIMIZERS[3])
    shown = column(heads.index("optimizer"))
    assert shown and set(shown) == {OPTIMIZERS[3]}
    assert errors == []


def test_metric_picker_and_scatter_plots_respond(browser, real_report):
    page, errors = open_page(browser, real_report, 1400)
    visible = ("() => [...document.querySelectorAll('svg.metric-chart')]"
               ".filter(s => s.getBoundingClientRect().width > 0)"
               ".map(s => s.getAttribute('data-metric'))")
    assert page.evaluate(visible) == ["accuracy"]
    page.select_option("#metric-pick", "grad_norm")
    assert page.evaluate(visible) == ["grad_norm"]

    trials = len(page.locator("table.trials tbody tr").all())
    two = page.locator("#scatter2d")
    page.select_option("#sx", label="lr")
    page.select_option("#sy", label="loss (last)")
    assert int(two.get_attribute("data-points")) == trials  # every trial reported a loss
    assert "loss (last)" in two.locator("text.title").all_text_contents()[1]
    page.select_option("#sx", label="optimizer")
    ticks = two.locator("g.ticks.x text").all_text_contents()
    assert ticks and all(any(o.startswith(t.rstrip("\u2026")) for o in OPTIMIZERS)
                         for t in ticks)

    three = page.locator("#scatter3d")
    before = three.locator("circle").evaluate_all("cs => cs.map(c => c.getAttribute('cx'))")
    assert len(before) == int(three.get_attribute("data-points")) > 0
    three.scroll_into_view_if_needed()
    box = three.bounding_box()
    assert box is not None
    page.mouse.move(box["x"] + 200, box["y"] + 200)
    page.mouse.down()
    page.mouse.move(box["x"] + 320, box["y"] + 230, steps=4)
    page.mouse.up()
    after = three.locator("circle").evaluate_all("cs => cs.map(c => c.getAttribute('cx'))")
    assert len(after) == len(before) and sorted(after) != sorted(before)  # it turned
    assert errors == []


# -- many long categories --------------------------------------------------------------------
CATEGORIES = [f"tokenizer-variant-{i:02d}-with-a-long-name" for i in range(40)]


@pytest.fixture(scope="module")
def categories_report(cli_exe, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("categories")
    spec = {"name": "categories", "objective": {"metric": "score", "goal": "maximize"},
            "search_space": {"tokenizer": {"type": "categorical", "values": CATEGORIES},
                             "dropout": {"type": "float", "low": 0.0, "high": 0.5}},
            "strategy": {"algorithm": "grid"},
            "limits": {"max_trials": 120, "max_parallel": 4}}
    spec["search_space"]["dropout"] = {"type": "discrete", "values": [0.0, 0.25, 0.5]}
    rows = [{"params": {"tokenizer": c, "dropout": d},
             "values": [round(0.3 + 0.01 * i - d / 4, 6), round(0.5 + 0.01 * i - d / 4, 6)]}
            for i, c in enumerate(CATEGORIES) for d in (0.0, 0.25, 0.5)]
    (folder / "table.json").write_text(json.dumps({"metric": "score", "rows": rows}))
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec, sort_keys=False))
    run(cli_exe, "run", folder / "spec.yaml", "--simulate", folder / "table.json",
        "--study-dir", folder / "study")
    run(cli_exe, "report", folder / "study", "-o", folder / "report.html")
    return folder / "report.html"


def test_forty_long_categories_never_overlap(browser, categories_report, tmp_path):
    """40 categories of 35 characters on a parallel-coordinates axis, a scatter's x axis
    and the 2-D scatter: labels are cut and thinned until none overlap, at both widths."""
    states = check_layout(browser, categories_report, tmp_path, "categories")
    assert any("parcoords" in c["cls"] for c in states[700]["charts"])
    page, errors = open_page(browser, categories_report, 700)
    page.select_option("#sx", label="tokenizer")
    assert page.evaluate(CHECKS)["overlaps"] == []
    ticks = page.locator("#scatter2d g.ticks.x text").all_text_contents()
    assert 1 < len(ticks) < len(CATEGORIES)  # thinned, some shown
    assert errors == []


# -- the two-objective study -------------------------------------------------------------------
def test_pareto_study_report_in_a_browser(browser, pareto_report, tmp_path):
    states = check_layout(browser, pareto_report, tmp_path, "pareto")
    kinds = [c["cls"] for c in states[700]["charts"]]
    assert any("chart pareto" in k for k in kinds)
    assert sum("importance" in k for k in kinds) == 2  # one per objective
