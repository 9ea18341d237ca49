"""A study in Vega's task layout (SEEDS.md, 001), written from its journal:

    <task folder>/
      logs/pipeline.log                    the steps, each worker's start and end, and
                                           the closing summary
      logs/hpo_worker_<id>.log             what the trial printed (stdout, then stderr)
      logs/fullytrain_worker_<id>.log
      output/hpo/hps_<id>.json             the search's best hyperparameters (the Pareto
      output/hpo/performance_<id>.json     front of several objectives) and their values
      output/hpo/output.csv                worker_id, performance, desc of those
      output/fullytrain/performance_<id>.json, output.csv   every fully-trained worker
      output/hpo.yml                       the configuration (the Vega file the study was
                                           read from; else the unified spec)
      output/reports.json                  {"_steps_": [...], "hpo": [records],
                                           "fullytrain": [records]}
      workers/hpo/<id>/hps_<id>.json, performance_<id>.json
      workers/fullytrain/<id>/performance_<id>.json

The closing summary is Vega's: task id (the task folder's name), output folder, the
running time of each stage and the result lines `<id>:  {'hps': {...}, 'accuracy': ...}`
of the last stage that has workers. output.csv writes its performance and desc cells as
Python literals (how pandas writes a dict cell, and how Vega's own report reads them back);
its performance cell is {'hps': ..., <objective>: value}, the result line's text.
Times come from the journal's study seconds, placed on the wall clock by the anchors the
local backend records at every start and resume (`wall_clock` in the study's meta).
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from hpo_bridge.core.trial import FULLYTRAIN, HPO, Trial
from hpo_bridge.formats.vega.records import (
    Worker,
    best_workers,
    performance,
    record,
    workers,
)
from hpo_bridge.spec import dump_spec
from hpo_bridge.store import DB_NAME, Store
from hpo_bridge.store.layout import STDERR, STDOUT, trial_dir

RULE = "-" * 48
META_WALL_CLOCK = "wall_clock"  # [[study seconds, epoch seconds], ...]: one per session
META_ORIGIN = "origin"  # the foreign file the spec was read from (TuningSpec.origin)
STEPS = (HPO, FULLYTRAIN)

Wall = Callable[[float], datetime]


def write_layout(study_dir: Path, out_dir: Path) -> list[str]:
    """Write the study in `study_dir` into `out_dir` in Vega's layout; the summary's lines."""
    with Store.open(study_dir) as store:
        spec, trials = store.spec, store.trials()
        wall = wall_clock(store.get_meta(META_WALL_CLOCK) or [], study_dir / DB_NAME,
                          store.elapsed())
        origin = store.get_meta(META_ORIGIN)
    by_step = workers(spec, trials)
    for sub in ("logs", "output", "workers"):
        (out_dir / sub).mkdir(parents=True, exist_ok=True)
    records: dict[str, list[dict[str, Any]]] = {}
    results: dict[str, list[str]] = {}
    for step in STEPS:
        records[step] = [record(spec, w, wall) for w in by_step[step]]
        for worker in by_step[step]:
            _worker_files(spec, worker, out_dir / "workers" / step / str(worker.worker_id))
            _worker_log(study_dir, worker, out_dir / "logs" / f"{step}_worker_"
                                                            f"{worker.worker_id}.log")
        chosen = best_workers(spec, by_step[step]) if step == HPO else by_step[step]
        results[step] = _step_output(spec, chosen, out_dir / "output" / step)
    (out_dir / "output" / "hpo.yml").write_text(_configuration(spec, origin),
                                                encoding="utf-8")
    steps = [_step_info(step, by_step[step], wall) for step in STEPS if by_step[step]]
    reports = {"_steps_": steps, **{step: records[step] for step in STEPS if records[step]}}
    _write_json(out_dir / "output" / "reports.json", reports, indent=4)
    last = next((step for step in reversed(STEPS) if by_step[step]), HPO)
    summary = closing_summary(out_dir, [(s["step_name"], *_span(by_step[s["step_name"]], wall))
                                        for s in steps], results[last])
    _pipeline_log(out_dir / "logs" / "pipeline.log", spec, by_step, wall, summary)
    return summary


def wall_clock(anchors: list[list[float]], db: Path, elapsed: float) -> Wall:
    """Study seconds -> wall-clock time, from the anchor of the session they fall in
    (without anchors: counted back from when the journal was last written)."""
    points = sorted((float(t), float(epoch)) for t, epoch in anchors)
    if not points:
        end = db.stat().st_mtime if db.exists() else datetime.now().timestamp()
        points = [(elapsed, end)]

    def wall(t: float) -> datetime:
        anchor = points[0]
        for point in points:
            if point[0] <= t:
                anchor = point
        return datetime.fromtimestamp(anchor[1]) + timedelta(seconds=t - anchor[0])

    return wall


def _span(step_workers: list[Worker], wall: Wall) -> tuple[datetime, datetime]:
    starts = [t for w in step_workers for t in (w.trial.started_at, w.trial.ended_at)
              if t is not None]
    ends = [t for w in step_workers for t in (w.trial.ended_at, w.trial.started_at)
            if t is not None]
    first, last = (min(starts), max(ends)) if starts else (0.0, 0.0)
    return wall(first), wall(last)


def _duration(start: datetime, end: datetime) -> str:
    """Vega's h:mm:ss (hours past a day keep counting)."""
    seconds = max(int((end - start).total_seconds()), 0)
    minutes, seconds = divmod(seconds, 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}:{minutes:02d}:{seconds:02d}"


def result_text(spec: Any, worker: Worker) -> str:
    """A worker's result as Vega's summary and output.csv show it."""
    return repr({"hps": worker.hps, **performance(spec, worker.trial)})


def closing_summary(out_dir: Path, spans: list[tuple[str, datetime, datetime]],
                    results: list[str]) -> list[str]:
    """Vega's lines at the end of a pipeline (without their log prefix)."""
    lines = [RULE, "  Pipeline end.", "", f"  task id: {out_dir.name}",
             f"  output folder: {out_dir.resolve() / 'output'}", "", "  running time:"]
    for step, start, end in spans:
        lines.append(f"  {step:>16s}:  {_duration(start, end)}  [{start} - {end}]")
    lines.append("")
    if results:
        lines.append("  result:")
        lines += [f"  {line}" for line in results]
    else:
        lines.append("  result file output.csv is empty")
    lines.append(RULE)
    return lines


def _worker_files(spec: Any, worker: Worker, folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    if worker.step == HPO:
        _write_json(folder / f"hps_{worker.worker_id}.json", worker.hps)
    _write_json(folder / f"performance_{worker.worker_id}.json",
                performance(spec, worker.trial))


def _worker_log(study_dir: Path, worker: Worker, path: Path) -> None:
    folder = trial_dir(study_dir, worker.trial.id)
    if not folder.is_dir():
        return  # a simulated trial printed nothing
    with path.open("wb") as out:
        for name in (STDOUT, STDERR):
            log = folder / name
            if log.is_file():
                with log.open("rb") as src:
                    shutil.copyfileobj(src, out)


def _step_output(spec: Any, chosen: list[Worker], folder: Path) -> list[str]:
    """output/<step>/: the chosen workers' files and output.csv; their result lines."""
    if folder.is_dir():  # written again after a resume: what it held may be outdated
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["worker_id", "performance", "desc"])
    lines = []
    for worker in chosen:
        _worker_files(spec, worker, folder)
        text = result_text(spec, worker)
        writer.writerow([worker.worker_id, text, repr(worker.hps)])
        lines.append(f"{worker.worker_id:>3d}:  {text}")
    (folder / "output.csv").write_text(buffer.getvalue(), encoding="utf-8")
    return lines


def _configuration(spec: Any, origin: dict[str, str] | None) -> str:
    if origin and origin.get("format") == "vega" and origin.get("text"):
        return origin["text"]
    return ("# hpo-bridge's spec of this study (it was not written in Vega's format)\n"
            + dump_spec(spec))


def _step_info(step: str, step_workers: list[Worker], wall: Wall) -> dict[str, Any]:
    start, end = _span(step_workers, wall)
    running = any(not w.trial.status.terminal for w in step_workers)
    return {"step_name": step, "status": "running" if running else "finished",
            "start_time": start.strftime("%Y-%m-%d %H:%M:%S"),
            "end_time": end.strftime("%Y-%m-%d %H:%M:%S"),
            "num_models": len(step_workers), "message": None}


def _stamp(moment: datetime) -> str:
    """Vega's log time: seconds, then milliseconds as an unpadded number (07:08:11.85)."""
    return f"{moment:%Y-%m-%d %H:%M:%S}.{moment.microsecond // 1000}"


def _pipeline_log(path: Path, spec: Any, by_step: dict[str, list[Worker]], wall: Wall,
                  summary: list[str]) -> None:
    lines: list[tuple[datetime, str]] = []
    for step in STEPS:
        if not by_step[step]:
            continue
        start, end = _span(by_step[step], wall)
        lines += [(start, RULE), (start, f"  Step: {step}"), (start, RULE)]
        for worker in by_step[step]:
            lines += _worker_lines(spec, worker, wall)
    end_time = max((moment for moment, _ in lines), default=datetime.now())
    lines += [(end_time, line) for line in summary]
    lines.sort(key=lambda item: item[0])  # stable: a step's header stays before its workers
    path.write_text("".join(f"{_stamp(m)} INFO {text}\n" for m, text in lines),
                    encoding="utf-8")


def _worker_lines(spec: Any, worker: Worker, wall: Wall) -> list[tuple[datetime, str]]:
    trial: Trial = worker.trial
    out = []
    if trial.started_at is not None:
        out.append((wall(trial.started_at), f"  {worker.step} worker {worker.worker_id}"
                                             f" started, hps: {worker.hps}"))
    if trial.ended_at is not None:
        why = f" ({trial.reason})" if trial.reason else ""
        out.append((wall(trial.ended_at), f"  {worker.step} worker {worker.worker_id}"
                                           f" {trial.status.value}{why}, performance:"
                                           f" {performance(spec, trial)}"))
    return out


def _write_json(path: Path, data: Any, indent: int | None = None) -> None:
    path.write_text(json.dumps(data, indent=indent) + "\n", encoding="utf-8")
