"""A trial that floods its output (issue 10, item 9): the orchestrator's memory stays
bounded, the journal grows with intervals rather than lines, and the trial writes at its
own pace (to its log file, never blocked on a pipe).

The orchestrator's peak memory is read from the kernel (`getrusage` of a wrapper whose
one child is `hpo-bridge run`): a bound on bytes, not a timing.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys

from e2e_helpers import results, write_study

INTERVALS = 100
LOSS_PER_INTERVAL = 4_999  # then one acc line: 500,000 lines in all
FLOOD = f"""\
import sys
out = sys.stdout
for k in range({INTERVALS}):
    out.write("".join(f"loss={{i / 1e4}}\\n" for i in range({LOSS_PER_INTERVAL})))
    out.write(f"acc={{k / {INTERVALS}}}\\n")
"""
OBJECTIVE_FLOOD = """\
import sys
for i in range(30_000):
    sys.stdout.write(f"acc={i % 1000 / 1000}\\n")
"""
# Runs `hpo-bridge ARGS` and prints the largest resident set of its process tree, in KiB
# (ru_maxrss of the children: the orchestrator, or a trial if one were larger).
PEAK = """\
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], capture_output=True, text=True)
sys.stderr.write(done.stderr)
print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""
PEAK_KIB = 250 * 1024  # the orchestrator stays near 70 MB; unbounded it passed 1 GB
SPEC = {
    "name": "flood",
    "objective": {"metric": "acc", "goal": "maximize"},
    "metrics": [{"name": "acc", "regex": r"acc=([0-9.]+)"},
                {"name": "loss", "regex": r"loss=([0-9.]+)"}],
    "search_space": {"lr": {"type": "float", "low": 0.001, "high": 0.1}},
    "early_stopping": {"policy": "median", "delay_evaluation": 1},
    "limits": {"max_trials": 1},
    "trial": {"command": ["python", "train.py"]},
}


def _run_measured(cli_exe, spec, study) -> int:
    out = subprocess.run([sys.executable, "-c", PEAK, str(cli_exe), "run", str(spec),
                          "--study-dir", str(study)], capture_output=True, text=True,
                         timeout=600)
    code, peak = map(int, out.stdout.split())
    assert code == 0, out.stderr
    return peak


def test_a_flood_of_other_metrics_keeps_what_each_interval_needs(hpo, cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", FLOOD, SPEC)
    study = tmp_path / "study"
    peak = _run_measured(cli_exe, spec, study)
    (trial,) = results(hpo, study)
    assert (trial["status"], trial["reason"], trial["intervals"]) == (
        "completed", None, INTERVALS)
    # Per interval: its first 100 losses as they came, then the interval's last one.
    kept = [i / 1e4 for i in range(100)] + [(LOSS_PER_INTERVAL - 1) / 1e4]
    assert trial["metrics"]["loss"] == kept * INTERVALS
    assert trial["metrics"]["acc"] == [k / INTERVALS for k in range(INTERVALS)]
    with sqlite3.connect(study / "study.db") as db:
        assert db.execute("SELECT COUNT(*) FROM metrics").fetchone() == (INTERVALS * 102,)
    # The trial wrote every line (to its file): nothing held it back.
    log = study / "trials" / str(trial["id"]) / "stdout.log"
    with log.open("rb") as fh:
        assert sum(block.count(b"\n") for block in iter(lambda: fh.read(1 << 20), b"")) == (
            INTERVALS * (LOSS_PER_INTERVAL + 1))
    assert (study / "study.db").stat().st_size < 4 * 1024 * 1024
    assert peak < PEAK_KIB, f"orchestrator peak RSS {peak} KiB"


def test_an_objective_reported_over_10000_times_ends_the_trial(hpo, cli_exe, tmp_path):
    spec = write_study(tmp_path / "job", OBJECTIVE_FLOOD, SPEC)
    study = tmp_path / "study"
    peak = _run_measured(cli_exe, spec, study)
    (trial,) = results(hpo, study)
    assert (trial["status"], trial["reason"], trial["intervals"]) == (
        "completed",
        "reported acc 10,000 times, the most a trial may (later reports were not read)",
        10_000)
    assert trial["metrics"]["acc"] == [i % 1000 / 1000 for i in range(10_000)]
    status = json.loads(hpo("status", study, "--json").stdout)
    assert status["counts"] == {"completed": 1}
    assert peak < PEAK_KIB, f"orchestrator peak RSS {peak} KiB"
