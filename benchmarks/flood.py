"""7. A trial that floods its output: the orchestrator's memory and journal.

One trial prints RATE lines a second for a fixed time (60 s; quick: 10 s) through each
system's own metric channel: a non-objective metric on every line (`train_loss`, as a
per-batch loss) and the objective every 10,000th line (10 intervals a second). The
orchestrator runs in its own process; its peak resident memory comes from the kernel
(`wait4`'s rusage of that process, which includes the trial's), the journal's size from
the files it leaves.

- hpo-bridge: `hpo-bridge run` (report lines `@@hpo-bridge:report@@ {...}`);
- Syne Tune: its Tuner over LocalBackend, the trial printing Syne Tune's `[tune-metric]:`
  lines (its Reporter's format; its scheduler needs the objective in every result, so every
  line carries it), RandomSearch on the objective. Its backend re-reads the
  trial's whole log each poll, so it is given a time limit and a memory limit (RLIMIT_DATA)
  that keep it from taking the machine down; hitting either is reported as such.
- optuna has no orchestrator of trial processes (the user's code calls trial.report in
  process), so there is no flood of another process's output for it to handle: no row.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import HPO, SYNE, Benchmark, Table, have, scratch

NAME = "flood"
TITLE = "7. A flooding trial (orchestrator memory and journal size)"
RATE = 100_000  # lines a second
OBJECTIVE_EVERY = 10_000  # lines
PEER_MEMORY = 3 << 30  # RLIMIT_DATA of a peer's process: 3 GiB
PEER_GRACE = 120  # seconds a peer may take after the trial ended

# The flooding trial: FORMAT is "hpo" or "syne"; paced by the clock, written in batches.
TRIAL = textwrap.dedent(f"""\
    import json, os, sys, time
    fmt, seconds = os.environ["FLOOD_FORMAT"], float(os.environ["FLOOD_SECONDS"])
    rate, every = {RATE}, {OBJECTIVE_EVERY}
    out = sys.stdout
    def line(n):
        if fmt == "hpo":
            data = {{"loss": n / 1e9}} if n % every == 0 else {{"train_loss": (n % 97) / 97}}
            return "@@hpo-bridge:report@@ " + json.dumps(data) + "\\n"
        # Syne Tune's scheduler needs its metric in every result: each line carries it.
        data = {{"loss": n / 1e9, "train_loss": (n % 97) / 97,
                 "st_worker_timestamp": time.time()}}
        return "[tune-metric]: " + json.dumps(data) + "\\n"
    start, n = time.monotonic(), 0
    while (now := time.monotonic() - start) < seconds:
        target = min(int(now * rate) + 1000, int(seconds * rate))
        out.write("".join(line(i) for i in range(n + 1, target + 1)))
        n = target
        time.sleep(0.002)
    out.flush()
    with open(os.environ["FLOOD_COUNT"], "w") as fh:
        fh.write(str(n))
""")

SYNE_DRIVER = textwrap.dedent("""\
    import sys
    from syne_tune import StoppingCriterion, Tuner
    from syne_tune.backend import LocalBackend
    from syne_tune.config_space import uniform
    from syne_tune.optimizer.baselines import RandomSearch

    tuner = Tuner(
        trial_backend=LocalBackend(entry_point=sys.argv[1]),
        scheduler=RandomSearch({"x": uniform(0.0, 1.0)}, metrics=["loss"], random_seed=1),
        stop_criterion=StoppingCriterion(max_num_trials_finished=1),
        n_workers=1, sleep_time=0.5, save_tuner=False,
        wait_trial_completion_when_stopping=True,
        results_update_interval=1e9, print_update_interval=1e9,
    )
    tuner.run()
""")


def _limit_peer() -> None:
    resource.setrlimit(resource.RLIMIT_DATA, (PEER_MEMORY, PEER_MEMORY))


def _measured(cmd: list[str], env: dict[str, str], timeout: float,
              preexec: Any = None) -> dict[str, Any]:
    """Run `cmd`; its wall seconds, peak RSS (MB, its tree), exit status, timed out."""
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env={**os.environ, **env}, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, preexec_fn=preexec,
                            start_new_session=True)
    timed_out = False
    deadline = time.monotonic() + timeout
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.monotonic() > deadline:
            timed_out = True
            os.killpg(proc.pid, 9)
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.2)
    proc.returncode = os.waitstatus_to_exitcode(status)
    return {"seconds": time.perf_counter() - t0, "rss_mb": usage.ru_maxrss / 1024,
            "code": proc.returncode, "timed_out": timed_out}


def _journal_mb(folder: Path, names: tuple[str, ...]) -> float:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()
               and p.name.startswith(names)) / 1e6


def _hpo(folder: Path, seconds: float) -> dict[str, Any]:
    (folder / "train.py").write_text(TRIAL)
    spec = {
        "name": "flood",
        "objective": {"metric": "loss", "goal": "minimize"},
        "search_space": {"x": {"type": "float", "low": 0.0, "high": 1.0}},
        "early_stopping": {"policy": "median"},
        "limits": {"max_trials": 1},
        "trial": {"command": ["python", "train.py"]},
    }
    (folder / "spec.yaml").write_text(yaml.safe_dump(spec))
    cli = Path(sys.executable).with_name("hpo-bridge")
    env = {"FLOOD_FORMAT": "hpo", "FLOOD_SECONDS": str(seconds),
           "FLOOD_COUNT": str(folder / "count")}
    out = _measured([str(cli), "run", str(folder / "spec.yaml"), "--study-dir",
                     str(folder / "study")], env, timeout=seconds + PEER_GRACE)
    out["journal_mb"] = _journal_mb(folder / "study", ("study.db",))
    out["lines"] = int((folder / "count").read_text()) if (folder / "count").exists() else 0
    import sqlite3

    with sqlite3.connect(folder / "study" / "study.db") as db:
        out["rows"] = db.execute("SELECT COUNT(*) FROM metrics").fetchone()[0]
    return out


def _syne(folder: Path, seconds: float) -> dict[str, Any]:
    (folder / "train.py").write_text(TRIAL)
    (folder / "driver.py").write_text(SYNE_DRIVER)
    env = {"FLOOD_FORMAT": "syne", "FLOOD_SECONDS": str(seconds),
           "FLOOD_COUNT": str(folder / "count"), "SYNETUNE_FOLDER": str(folder / "syne")}
    out = _measured([sys.executable, str(folder / "driver.py"), str(folder / "train.py")],
                    env, timeout=seconds + PEER_GRACE, preexec=_limit_peer)
    out["journal_mb"] = _journal_mb(folder / "syne", ("results", "metadata", "tuner"))
    out["lines"] = int((folder / "count").read_text()) if (folder / "count").exists() else 0
    out["rows"] = None
    return out


def run(quick: bool) -> Benchmark:
    bench = Benchmark(NAME, TITLE)
    seconds = 10.0 if quick else 60.0
    bench.settings = {"trial": f"{RATE:,} lines/s for {seconds:.0f} s",
                      "objective": f"every {OBJECTIVE_EVERY:,}th line",
                      "peer limits": f"RLIMIT_DATA {PEER_MEMORY >> 30} GiB, {PEER_GRACE} s"
                                     " after the trial"}
    systems = {f"{HPO} run": _hpo}
    if have("syne_tune"):
        systems[f"{SYNE} LocalBackend"] = _syne
    table = Table(
        "Orchestrator under a flooding trial",
        f"One trial printing {RATE:,} metric lines a second for {seconds:.0f} s (the"
        f" objective every {OBJECTIVE_EVERY:,}th): the orchestrator's peak memory, what its"
        " journal holds, how long the study took; hpo-bridge aims under 150 MB and 20 MB.",
        ["system", "peak RSS (MB)", "journal (MB)", "metric rows kept", "lines the trial"
         " wrote", "wall s (trial: " + f"{seconds:.0f})", "ended"],
    )
    for label, measure in systems.items():
        with scratch("hpo-bench-flood-") as folder:
            try:
                got = measure(folder, seconds)
            except Exception as exc:  # noqa: BLE001 - reported in the table
                table.rows.append([label, "error", "-", "-", "-", "-", str(exc)[:80]])
                table.status = "partial"
                continue
        for figure, unit in (("rss_mb", "MB"), ("journal_mb", "MB"), ("seconds", "s")):
            bench.record(label, figure, [got[figure]], unit)
        ended = ("time limit" if got["timed_out"] else "ok" if got["code"] == 0 else
                 f"exit {got['code']}, at the memory limit" if got["rss_mb"] * (1 << 20)
                 >= 0.9 * PEER_MEMORY else f"exit {got['code']}")
        table.rows.append([label, f"{got['rss_mb']:.0f}", f"{got['journal_mb']:.1f}",
                           "-" if got["rows"] is None else f"{got['rows']:,}",
                           f"{got['lines']:,}", f"{got['seconds']:.0f}", ended])
    table.notes += [
        "hpo-bridge reads at most 1 MiB of each output channel per scan (the file on disk is"
        " the backlog, the trial never waits on a pipe), keeps each objective report and,"
        " per interval, the first 100 reports of each other metric and its last.",
        "Syne Tune's LocalBackend reads the trial's whole std.out again on every poll and"
        " keeps every reported result; its journal is its results files.",
        "optuna is not in this table: it runs no trial processes and reads no trial output"
        " (a trial calls trial.report in the user's own process).",
    ]
    bench.tables.append(table)
    return bench
