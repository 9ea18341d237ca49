"""Issue 13 item 7, through the console script: the `results` table fits the width it is
printed in (a terminal's, or COLUMNS when piped) and never cuts a number, leaving out
parameter columns before metric columns; the live view prints each ended trial as a
line above its panel, so the history stays in the scrollback; `logs DIR TRIAL --follow`.
"""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
import yaml
from e2e_helpers import write_study

from hpo_bridge.results.table import compact

SPEC = {
    "name": "wide",
    "objectives": [{"metric": "validation_accuracy", "goal": "maximize"},
                   {"metric": "latency_ms", "goal": "minimize"}],
    "search_space": {
        "learning_rate": {"type": "float", "low": 1e-7, "high": 1e-5, "scale": "log"},
        "optimizer": {"type": "categorical",
                      "values": ["adamw-decoupled-weight-decay", "sgd-with-nesterov"]},
        "weight_decay": {"type": "float", "low": 1e-6, "high": 1e-2, "scale": "log"},
        "batch_size": {"type": "categorical", "values": [32, 256]},
    },
    "strategy": {"algorithm": "random", "seed": 11},
    "limits": {"max_trials": 6, "max_parallel": 2},
}


def table_rows() -> dict[str, Any]:
    """Every configuration the study can ask for has a row: values from its parameters."""
    rows = []
    for opt in SPEC["search_space"]["optimizer"]["values"]:
        for bs in (32, 256):
            rows.append({"params": {"optimizer": opt, "batch_size": bs},
                         "values": [0.9 + bs / 10000, 0.9123456789 + bs / 100000],
                         "metrics": {"latency_ms": [123456.0 + bs, 123400.5 + bs]}})
    return {"metric": "validation_accuracy", "rows": rows}


@pytest.fixture(scope="module")
def wide_study(cli_exe, tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("wide")
    (folder / "spec.yaml").write_text(yaml.safe_dump(SPEC, sort_keys=False))
    (folder / "table.json").write_text(json.dumps(table_rows()))
    done = subprocess.run([str(cli_exe), "run", str(folder / "spec.yaml"), "--simulate",
                           str(folder / "table.json"), "--study-dir", str(folder / "study")],
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return folder / "study"


def results(cli_exe: Path, study: Path, columns: int | None) -> list[str]:
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    if columns is not None:
        env["COLUMNS"] = str(columns)
    done = subprocess.run([str(cli_exe), "results", str(study)], capture_output=True,
                          text=True, env=env, timeout=60)  # piped: not a terminal
    assert done.returncode == 0, done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize("columns", [40, 60, 80, 100, 120, 160])
def test_the_table_fits_columns_and_never_cuts_a_number(cli_exe, wide_study, columns):
    lines = results(cli_exe, wide_study, columns)
    table = lines[:lines.index("pareto set: 6 trial(s)")]  # then `best`'s own lines
    body = [line for line in table if "─" not in line]
    assert all(len(line) <= columns for line in table), [len(line) for line in table]
    trials = json.loads(subprocess.run([str(cli_exe), "results", str(wide_study), "--json"],
                                       capture_output=True, text=True).stdout)["trials"]
    heads = body[0].split()
    # The objectives are always there, every value whole (6 significant digits).
    rows = body[1:1 + len(trials)]
    for trial, row in zip(trials, rows, strict=True):
        for metric, value in trial["objective"].items():
            assert compact(value, 6) in row.split(), (metric, row)
        assert "…" not in "".join(cell for cell in row.split() if cell[0].isdigit())
    # Parameters go (last first) before a metric header is even abbreviated.
    params = list(SPEC["search_space"])
    shown = [p for p in params if any(h.rstrip("…") and p.startswith(h.rstrip("…"))
                                      for h in heads)]
    assert shown == params[:len(shown)]
    if len(shown) < len(params):
        first = next(i for i, line in enumerate(table) if line.startswith("(left out"))
        note = " ".join(table[first:])
        assert note.startswith("(left out for width: ")
        for name in params[len(shown):]:
            assert name in note
    metrics_whole = "validation_accuracy" in heads and "latency_ms" in heads
    if not metrics_whole:
        assert shown == []  # a metric header is abbreviated only with no parameter left
    # Numbers with an exponent keep it.
    if "learning_rate" in heads or any(h.startswith("learn") for h in heads):
        assert all(re.search(r"\de-0\d", row) for row in rows)


def test_piped_without_columns_shows_everything(cli_exe, wide_study):
    lines = results(cli_exe, wide_study, None)
    heads = lines[0].split()
    # every column (no trial has a reason: no reason column)
    assert heads == ["id", *SPEC["search_space"], "status", "intervals", "time",
                     "validation_accuracy", "latency_ms"]
    assert "adamw-decoupled…" in lines[2] or "adamw-decoupled…" in lines[3]


# -- the live view -------------------------------------------------------------------------
STOPPING = """\
import sys, time
import hpo_bridge
x = float(sys.argv[1].split("=", 1)[1])
for epoch in range(1, 7):
    time.sleep(0.05)
    hpo_bridge.report(acc=x * epoch / 6)
"""


def run_in_terminal(args: list[str], columns: int = 120, seconds: float = 120) -> str:
    """Run a command on a pseudo-terminal (rich sees a terminal); all it wrote."""
    master, slave = pty.openpty()
    env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": "30"}
    proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, env=env,
                            close_fds=True)
    os.close(slave)
    out = bytearray()
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        ready, _, _ = select.select([master], [], [], 0.2)
        if ready:
            try:
                chunk = os.read(master, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(master)
    return out.decode("utf-8", "replace")


def test_live_view_keeps_each_ended_trial_in_the_scrollback(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", STOPPING, {
        "name": "live",
        "objective": {"metric": "acc", "goal": "maximize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "strategy": {"algorithm": "random", "seed": 2},
        "early_stopping": {"policy": "median", "evaluation_interval": 1,
                           "delay_evaluation": 2},
        "limits": {"max_trials": 8, "max_parallel": 2},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    screen = run_in_terminal([str(cli_exe), "run", str(spec), "--study-dir", str(study)])
    assert "\x1b[" in screen  # rich drew its live panel (a terminal)
    plain = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen)
    trials = json.loads(subprocess.run([str(cli_exe), "results", str(study), "--json"],
                                       capture_output=True, text=True).stdout)["trials"]
    stopped = [t for t in trials if t["status"] == "stopped"]
    assert stopped, "median stopping stops some trials"
    for t in trials:  # one line per ended trial, with its reason when it did not complete
        line = next((ln for ln in plain.splitlines()
                     if ln.startswith(f"trial {t['id']} {t['status']} after")), None)
        assert line is not None, (t["id"], plain)
        assert f"after {t['intervals']} interval(s) in " in line
        if t["status"] == "stopped":
            assert f"({t['reason']})" in line
    order = [int(m.group(1)) for ln in plain.splitlines()
             if (m := re.match(r"trial (\d+) \w+ after", ln))]
    assert sorted(order) == [t["id"] for t in trials] and len(order) == len(trials)


# -- logs --follow ---------------------------------------------------------------------------
TALKER = """\
import sys, time
import hpo_bridge
for step in range(12):
    print(f"step {step}", flush=True)
    if step == 6:
        print("halfway", file=sys.stderr, flush=True)
    time.sleep(0.15)
hpo_bridge.report(loss=0.5)
"""


def test_logs_follow_prints_until_the_trial_ends(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", TALKER, {
        "name": "talker",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "limits": {"max_trials": 2, "max_parallel": 1},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    run = subprocess.Popen([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        stdout = study / "trials" / "1" / "stdout.log"
        deadline = time.monotonic() + 60
        while not (stdout.exists() and stdout.read_text()) and time.monotonic() < deadline:
            time.sleep(0.02)
        before = stdout.read_text()  # the trial has just begun to print
        # Trial 2 has not started (one at a time): its follower waits for it.
        second = subprocess.Popen([str(cli_exe), "logs", str(study), "2", "--follow"],
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = subprocess.run([str(cli_exe), "logs", str(study), "1", "--follow"],
                               capture_output=True, text=True, timeout=60)
        at_start = stdout.read_text()
        out2, err2 = second.communicate(timeout=60)
    finally:
        run.wait(timeout=60)
    assert first.returncode == 0, first.stderr
    expected = [f"step {i}" for i in range(12)]
    lines = first.stdout.splitlines()
    assert [ln for ln in lines if ln.startswith("step")] == expected
    # tail -f's headers: stdout first, then stderr when it spoke, then stdout again
    headers = [ln for ln in lines if ln.startswith("==>")]
    assert headers[:2] == ["==> stdout.log <==", "==> stderr.log <=="]
    assert "halfway" in lines
    assert lines.index("halfway") > lines.index("step 6") - 1
    assert before.count("step") < 12  # followed while the trial printed...
    assert at_start.count("step") == 12  # ...and returned once it had ended
    assert second.returncode == 0, err2
    assert [ln for ln in out2.splitlines() if ln.startswith("step")] == expected


def test_logs_follow_of_an_unknown_trial_of_an_ended_study(cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", TALKER.replace("range(12)", "range(1)"), {
        "name": "short",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "limits": {"max_trials": 1},
        "trial": {"command": ["python", "train.py"]},
    })
    study = tmp_path / "study"
    assert subprocess.run([str(cli_exe), "run", str(spec), "--study-dir", str(study)],
                          capture_output=True).returncode == 0
    done = subprocess.run([str(cli_exe), "logs", str(study), "7", "--follow"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 2
    assert done.stderr.strip() == f"TRIAL: no trial 7 in {study} (trials: 1)"
    done = subprocess.run([str(cli_exe), "logs", str(study), "1", "-f"],
                          capture_output=True, text=True, timeout=30)
    assert done.returncode == 0 and done.stdout.splitlines()[1] == "step 0"
