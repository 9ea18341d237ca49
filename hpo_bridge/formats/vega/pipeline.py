"""A Vega `hpo.yml` as a unified spec: `general`, the `pipeline` and its steps.

    general.parallel_search       true: one trial per device listed in NPU_VISIBLE_DEVICES
                                  (else CUDA_VISIBLE_DEVICES), each given its DEVICE_ID;
                                  false: one trial at a time (a number: that many at once)
    general.parallel_fully_train  the same for the fullytrain stage
    general.search_timeout        limits.max_duration (Vega's default, 31536000 s, is
                                  no limit worth stating)
    general.worker.timeout        limits.trial_timeout (default: search_timeout)
    general.task.local_base_path  the study goes to <local_base_path>/tasks/<task id>
                                  when `run` is given no --study-dir (default, and a
                                  relative path's root: the current folder, as Vega's)
    (no failure rule)             limits.max_failed = the trial budget: Vega carries on
                                  whatever fails
    pipeline                      one search step, then at most one fully-train step;
                                  each step's kind comes from its pipe_step.type
                                  (SearchPipeStep, CustomSearchPipeStep / TrainPipeStep),
                                  else from its name, so [hpo, fully_train] and
                                  [pbt, fully_train] work as [hpo, fullytrain]
    <search step>                 search_algorithm, search_space, trainer
    <fully-train step>            trial.fullytrain (trainer.ref: hpo.trainer, the search's
                                  trainer, re-runs the best configuration)

The devices are read when the file is read, from `env` (the process environment).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any

from hpo_bridge.formats.vega.algorithms import read_algorithm
from hpo_bridge.formats.vega.reading import Reading, describe, is_number, join
from hpo_bridge.formats.vega.space import read_space
from hpo_bridge.formats.vega.trainer import read_trainer

SEARCH_STEPS = ("SearchPipeStep", "CustomSearchPipeStep")
TRAIN_STEPS = ("TrainPipeStep",)
DEFAULT_SEARCH_TIMEOUT = 31536000  # seconds: Vega's default for general.search_timeout
DEVICE_VARIABLES = ("NPU_VISIBLE_DEVICES", "CUDA_VISIBLE_DEVICES")
GENERAL_KEYS = {"parallel_search", "parallel_fully_train", "search_timeout", "worker", "task",
                "logger"}
STEP_NOT_MAPPED = ("not mapped: the training script brings its own model, data and"
                   " evaluation")


def task_id(now: datetime) -> str:
    """Vega's task id: month-day.hour-minute-second.milliseconds (0820.152508.049)."""
    return now.strftime("%m%d.%H%M%S.") + f"{now.microsecond // 1000:03d}"


def spec_name(source: str | None) -> str:
    """A study name from the file's name (hpo.yml -> hpo)."""
    stem = Path(source).stem if source else ""
    name = re.sub(r"[^A-Za-z0-9]+", "-", stem).strip("-")
    return name[:128] or "vega-hpo"


def read_vega(r: Reading, data: dict[str, Any], source: str | None,
              now: datetime) -> tuple[dict[str, Any], Path]:
    """The unified spec of a Vega file, and where its study would go."""
    general = r.mapping(data.get("general"), "general")
    search, train = _steps(r, data)
    spec: dict[str, Any] = {"name": spec_name(source)}
    limits: dict[str, Any] = {}
    trial: dict[str, Any] = {"contract": "vega"}
    if search is not None:
        name, section = search
        mapped = read_algorithm(r, r.mapping(section.get("search_algorithm"),
                                             join(name, "search_algorithm")),
                                join(name, "search_algorithm"))
        space, forbidden = read_space(r, r.mapping(section.get("search_space"),
                                                   join(name, "search_space")),
                                      join(name, "search_space"))
        spec["search_space"] = space
        if forbidden:
            spec["forbidden"] = forbidden
        objectives, trial = read_trainer(r, r.mapping(section.get("trainer"),
                                                      join(name, "trainer")),
                                         join(name, "trainer"), mapped.objective_keys)
        if len(objectives) == 1:
            spec["objective"] = objectives[0]
        else:
            spec["objectives"] = objectives
        spec["strategy"] = mapped.strategy
        limits.update(mapped.limits)
        if mapped.resource is not None:
            trial["resource"] = mapped.resource
        r.leftovers(section, name, {"pipe_step", "search_algorithm", "search_space",
                                    "trainer"}, STEP_NOT_MAPPED)
    if train is not None:
        trial["fullytrain"] = _fullytrain(r, *train, search[0] if search else "hpo")
    _general(r, general, limits, trial)
    if limits.get("max_parallel", 1) > limits.get("max_trials", float("inf")):
        limits["max_parallel"] = limits["max_trials"]  # more devices than trials
    if "max_trials" in limits:
        # Vega carries on whatever fails (a failed task is recorded with the sentinel).
        limits["max_failed"] = limits["max_trials"]
    if limits:
        spec["limits"] = limits
    spec["trial"] = trial
    base = general.get("task", {}).get("local_base_path") \
        if isinstance(general.get("task"), dict) else None
    # Vega resolves local_base_path, and defaults it, against where it was started.
    root = Path(base) if isinstance(base, str) and base else Path()
    return spec, root / "tasks" / task_id(now)


def _steps(r: Reading, data: dict[str, Any]) -> tuple[
        tuple[str, dict[str, Any]] | None, tuple[str, dict[str, Any]] | None]:
    """The search step and the fully-train step, by name and section."""
    names = data.get("pipeline")
    if not isinstance(names, list) or not names or not all(isinstance(n, str) for n in names):
        r.problem("pipeline", f"must list the steps, e.g. [hpo, fullytrain] (got"
                  f" {describe(names)})")
        return None, None
    search: tuple[str, dict[str, Any]] | None = None
    train: tuple[str, dict[str, Any]] | None = None
    for i, name in enumerate(names):
        section = data.get(name)
        if not isinstance(section, dict):
            r.problem(f"pipeline.{i}", f"no section {name!r} in the file")
            continue
        kind = _step_kind(r, name, section)
        if kind == "search" and search is None and train is None:
            search = (name, section)
        elif kind == "train" and search is not None and train is None:
            train = (name, section)
        else:
            r.problem(f"pipeline.{i}", f"step {name!r}: hpo-bridge runs one search step"
                      " followed by at most one fully-train step")
    if search is None and not r.problems:
        r.problem("pipeline", "no search step (pipe_step.type SearchPipeStep)")
    if search is not None and (search[0] != "hpo" or (train and train[0] != "fullytrain")):
        shown = ", ".join(n for n in (search[0], train[0] if train else None) if n)
        r.note("pipeline", f"steps {shown} run as hpo-bridge's hpo and fullytrain stages"
               " (PIPESTEP and the output folders use those names)")
    for key in data:
        if key not in ("general", "pipeline", *names):
            r.note(str(key), "not mapped: not a step of the pipeline")
    return search, train


def _step_kind(r: Reading, name: str, section: dict[str, Any]) -> str | None:
    step = r.mapping(section.get("pipe_step"), join(name, "pipe_step"))
    kind = step.get("type")
    if kind in SEARCH_STEPS:
        return "search"
    if kind in TRAIN_STEPS:
        return "train"
    if kind is not None:
        r.problem(join(name, "pipe_step.type"), f"{kind!r} cannot be mapped (hpo-bridge runs"
                  f" {', '.join(SEARCH_STEPS + TRAIN_STEPS)})")
        return None
    if "search_algorithm" in section or name in ("hpo", "pbt"):
        return "search"
    if name in ("fullytrain", "fully_train"):
        return "train"
    r.problem(join(name, "pipe_step"), "give pipe_step.type (SearchPipeStep or TrainPipeStep)")
    return None


def _fullytrain(r: Reading, name: str, section: dict[str, Any],
                search: str) -> dict[str, Any]:
    trainer = r.mapping(section.get("trainer"), join(name, "trainer"))
    ref = trainer.get("ref")
    if ref != f"{search}.trainer":
        r.note(join(name, "trainer"), f"the fullytrain stage re-runs {search}.trainer's"
               " script with the best configuration" + ("" if ref is None else
                                                         f" (ref {ref!r} is not mapped)"))
    r.leftovers(trainer, join(name, "trainer"), {"ref", "type"},
                "not mapped: the fullytrain stage gives the script no EPOCHS; it trains in"
                " full as it decides")
    r.leftovers(section, name, {"pipe_step", "trainer"}, STEP_NOT_MAPPED)
    r.origin("trial.fullytrain", name)
    return {"top_k": 1}


def _general(r: Reading, general: dict[str, Any], limits: dict[str, Any],
             trial: dict[str, Any]) -> None:
    r.leftovers(general, "general", GENERAL_KEYS, "not mapped: hpo-bridge runs trials as"
                " local processes of their own")
    timeout = general.get("search_timeout")
    if timeout is not None:
        if not is_number(timeout) or timeout <= 0:
            r.problem("general.search_timeout", f"must be seconds (got {describe(timeout)})")
            timeout = None
        elif timeout != DEFAULT_SEARCH_TIMEOUT:
            limits["max_duration"] = timeout
            r.origin("limits.max_duration", "general.search_timeout")
    worker = r.mapping(general.get("worker"), "general.worker")
    r.leftovers(worker, "general.worker", {"timeout"}, "not mapped")
    per_trial = worker.get("timeout", timeout)
    if per_trial is not None and (not is_number(per_trial) or per_trial <= 0):
        r.problem("general.worker.timeout", f"must be seconds (got {describe(per_trial)})")
    elif per_trial is not None and per_trial != DEFAULT_SEARCH_TIMEOUT:
        limits["trial_timeout"] = per_trial
        r.origin("limits.trial_timeout", "general.worker.timeout")
    logger = r.mapping(general.get("logger"), "general.logger")
    for key in logger:
        r.note(f"general.logger.{key}", "not mapped: hpo-bridge's own output is fixed; each"
               " trial's output goes to its log")
    task = r.mapping(general.get("task"), "general.task")
    r.leftovers(task, "general.task", {"local_base_path"}, "not mapped")
    parallel = _parallel(r, general.get("parallel_search", False), "general.parallel_search")
    if parallel is not None:
        devices, count = parallel
        if devices:
            trial["devices"] = devices
        if count > 1:
            limits["max_parallel"] = count
            r.origin("limits.max_parallel", "general.parallel_search")
    fully = _parallel(r, general.get("parallel_fully_train", False),
                      "general.parallel_fully_train", quiet=True)
    if fully is not None and "fullytrain" in trial:
        trial["fullytrain"]["max_parallel"] = fully[1]
        if fully[0] and "devices" not in trial:  # a one-at-a-time search takes turns on them
            trial["devices"] = fully[0]


def _parallel(r: Reading, value: Any, path: str,
              quiet: bool = False) -> tuple[list[str], int] | None:
    """(devices, trials at once) for a parallel_* setting."""
    if isinstance(value, bool):
        if not value:
            return [], 1
        devices = visible_devices(r.env)
        if devices:
            return devices, len(devices)
        if not quiet:
            r.note(path, f"no devices listed in {' or '.join(DEVICE_VARIABLES)}: trials run"
                   " one at a time")
        return [], 1
    if isinstance(value, int) and value >= 1:
        devices = visible_devices(r.env)
        return devices, min(value, len(devices)) if devices else value
    r.problem(path, f"must be true, false or a number of trials (got {describe(value)})")
    return None


def visible_devices(env: Mapping[str, str]) -> list[str]:
    """The devices listed in NPU_VISIBLE_DEVICES, else CUDA_VISIBLE_DEVICES ("3,4")."""
    for name in DEVICE_VARIABLES:
        listed = [d.strip().strip("'\"") for d in env.get(name, "").split(",")]
        listed = [d for d in listed if d]
        if listed:
            return listed
    return []
