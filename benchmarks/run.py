"""Run the benchmarks and write results/latest.json and results/latest.md."""

from __future__ import annotations

import argparse
import datetime
import importlib
import json
import os
import platform
import sys
import time
import traceback
from importlib import metadata
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"
MODULES = ("quality", "early_stopping", "orchestration", "core_cost", "store_cost", "cloud_api",
           "vertex_api", "ray_overhead", "flood", "spec_cost", "pbt")


def _version(dist: str) -> str:
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return "not installed"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="the reduced set (< 3 minutes)")
    parser.add_argument("--only", nargs="+", choices=MODULES, help="run only these benchmarks")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where latest.* are written")
    args = parser.parse_args(argv)

    args.out.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    results: dict[str, Any] = {"meta": {}, "benchmarks": {}}
    if args.only and (args.out / "latest.json").exists():
        # a partial run updates its benchmarks and keeps the others' last results
        results["benchmarks"] = json.loads((args.out / "latest.json").read_text())["benchmarks"]
    for name in args.only or MODULES:
        t0 = time.perf_counter()
        print(f"[bench] {name} ...", flush=True)
        try:
            module = importlib.import_module(f"benchmarks.{name}")
            entry = module.run(args.quick).to_dict()
        except Exception as exc:  # one broken benchmark must not lose the others' results
            traceback.print_exc()
            entry = {"title": name, "error": f"{type(exc).__name__}: {exc}", "tables": []}
        entry["seconds"] = round(time.perf_counter() - t0, 1)
        entry["mode"] = "quick" if args.quick else "full"
        results["benchmarks"][name] = entry
        print(f"[bench] {name} done in {entry['seconds']} s", flush=True)

    done = results["benchmarks"]
    results["benchmarks"] = {k: done[k] for k in MODULES if k in done}
    results["meta"] = {
        "mode": "quick" if args.quick else "full",
        # A partial run (--only) re-measures these sections; the others keep their last run.
        "only": list(args.only or []),
        "finished": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "seconds": round(time.perf_counter() - started, 1),
        "python": platform.python_version(),
        "platform": platform.platform(terse=True),
        "cpus": os.cpu_count(),
        "versions": {d: _version(d) for d in ("hpo-bridge", "optuna", "syne-tune", "scikit-learn",
                                               "ray")},
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "latest.json").write_text(json.dumps(results, indent=1) + "\n")
    from benchmarks.report import render

    (args.out / "latest.md").write_text(render(results))
    print(f"[bench] wrote {args.out / 'latest.json'} and latest.md "
          f"in {results['meta']['seconds']:.0f} s", file=sys.stderr)
    return 0
