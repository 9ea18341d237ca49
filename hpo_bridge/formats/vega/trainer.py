"""Vega's `trainer` (HpoRunner: a training script in a subprocess) as the unified trial.

    train_script      trial.command [python, script]; a relative path is taken from the
                      file's folder (or, with pkg_path, written relative to it)
    pkg_path          trial.code: added to PYTHONPATH, and what a cloud packages
    other_args        trial.args (`momentum: 0.9` -> --momentum=0.9; `pretrained: ~` ->
                      the bare flag --pretrained)
    has_config_arg    trial.args[config_arg_name] = config_file_path (a relative path is
                      taken from the file's folder: a trial runs in its own)
    enable_arg_check  trial.check_args (the script's --help says what it accepts)
    objectives        the goal of each objective key (MAX -> maximize, MIN -> minimize)

Vega's built-in Trainer (a model and a dataset, no script) cannot be mapped: hpo-bridge
runs a script.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from hpo_bridge.formats.vega.reading import Reading, describe, join

TRAINER_KEYS = {"type", "objectives", "train_script", "pkg_path", "other_args",
                "has_config_arg", "config_arg_name", "config_file_path", "enable_arg_check"}
GOALS = {"MAX": "maximize", "MIN": "minimize"}


def read_trainer(r: Reading, trainer: dict[str, Any], path: str,
                 objective_keys: list[str]) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(the objectives, the trial section) of the search step's trainer."""
    r.leftovers(trainer, path, TRAINER_KEYS, "not mapped: a setting of Vega's built-in"
                " Trainer (the script trains as it likes)")
    objectives = _objectives(r, trainer, path, objective_keys)
    trial: dict[str, Any] = {"contract": "vega"}
    script = trainer.get("train_script")
    if not isinstance(script, str) or not script:
        r.problem(join(path, "train_script"), "hpo-bridge runs a training script: give"
                  " train_script (Vega's built-in Trainer, with a model and a dataset,"
                  " cannot be mapped)")
        return objectives, trial
    code = trainer.get("pkg_path")
    if code is not None and not isinstance(code, str):
        r.problem(join(path, "pkg_path"), f"must be a folder (got {describe(code)})")
        code = None
    trial["command"] = ["python", _script_path(r.base_dir, script, code)]
    r.origin("trial.command", join(path, "train_script"))
    if code:
        trial["code"] = code
        r.origin("trial.code", join(path, "pkg_path"))
    args = _other_args(r, trainer.get("other_args"), join(path, "other_args"))
    _config_arg(r, trainer, path, args)
    if args:
        trial["args"] = args
    check = trainer.get("enable_arg_check", False)
    if not isinstance(check, bool):
        r.problem(join(path, "enable_arg_check"), f"must be true or false (got"
                  f" {describe(check)})")
    elif check:
        trial["check_args"] = True
        r.origin("trial.check_args", join(path, "enable_arg_check"))
    return objectives, trial


def _script_path(base_dir: Path, script: str, code: str | None) -> str:
    """The script as the unified command names it: relative words resolve against
    trial.code (the file's folder when there is none)."""
    if Path(script).is_absolute() or not code:
        return script
    if Path(code).is_absolute():
        return str((base_dir / script).resolve())
    return os.path.relpath(base_dir / script, base_dir / code)


def _objectives(r: Reading, trainer: dict[str, Any], path: str,
                keys: list[str]) -> list[dict[str, Any]]:
    goals = r.mapping(trainer.get("objectives"), join(path, "objectives"))
    objectives = []
    for i, key in enumerate(keys):
        goal = goals.get(key, "MAX")
        where = join(path, f"objectives.{key}")
        if str(goal).upper() not in GOALS:
            r.problem(where, f"must be MAX or MIN (got {describe(goal)})")
            goal = "MAX"
        objectives.append({"metric": key, "goal": GOALS[str(goal).upper()]})
        r.origin("objective" if len(keys) == 1 else f"objectives.{i}", where)
    for key in goals:
        if key not in keys:
            r.note(join(path, f"objectives.{key}"), f"not among search_algorithm.objective_keys"
                   f" ({', '.join(keys)}): Vega does not optimise it either")
    return objectives


def _other_args(r: Reading, given: Any, path: str) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for name, value in r.mapping(given, path).items():
        if isinstance(value, list | dict):
            r.problem(join(path, name), f"a fixed argument is one value or ~ (got"
                      f" {describe(value)})")
            continue
        args[str(name)] = value
        r.origin(f"trial.args.{name}", join(path, name))
    return args


def _config_arg(r: Reading, trainer: dict[str, Any], path: str, args: dict[str, Any]) -> None:
    enabled = trainer.get("has_config_arg", False)
    if not enabled:
        for key in ("config_arg_name", "config_file_path"):
            if key in trainer:
                r.note(join(path, key), "not passed: has_config_arg is false")
        return
    name, file = trainer.get("config_arg_name"), trainer.get("config_file_path")
    for key, value in (("config_arg_name", name), ("config_file_path", file)):
        if not isinstance(value, str) or not value:
            r.problem(join(path, key), "needed when has_config_arg is true")
    if isinstance(name, str) and name and isinstance(file, str) and file:
        args[name] = file if Path(file).is_absolute() else str((r.base_dir / file).resolve())
        r.origin(f"trial.args.{name}", join(path, "config_file_path"))
