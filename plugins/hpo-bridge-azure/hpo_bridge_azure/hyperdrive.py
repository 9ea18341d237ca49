"""An Azure ML v1 `HyperDriveConfig` written in Python -> a unified spec (import).

The file is parsed with `ast` and never executed. Module-level assignments are followed
(`param_sampling = RandomParameterSampling({...})`, then
`HyperDriveConfig(hyperparameter_sampling=param_sampling, ...)`); every argument must be a
literal (numbers, strings, lists, `range(...)`, `PrimaryMetricGoal.MAXIMIZE`): anything
else is reported with its line, never guessed. v1's semantics (seed 000): parameters reach
the script as `--name value` arguments, `loguniform(low, high)` bounds are natural-log
exponents, policies default to evaluation_interval 1, median stopping to delay 5.
"""

from __future__ import annotations

import ast
import math
import re
from pathlib import Path
from typing import Any

from hpo_bridge.backends import BackendError
from hpo_bridge_azure.space import from_exponent

SAMPLINGS = {"RandomParameterSampling": "random", "GridParameterSampling": "grid",
             "BayesianParameterSampling": "bayesian"}
DISTRIBUTIONS = {"choice", "randint", "uniform", "loguniform", "normal", "lognormal",
                 "quniform", "qloguniform", "qnormal", "qlognormal"}
ARGUMENTS = {"uniform": ("low", "high"), "loguniform": ("low", "high"),
             "quniform": ("low", "high", "q"), "qloguniform": ("low", "high", "q"),
             "normal": ("mu", "sigma"), "lognormal": ("mu", "sigma"),
             "qnormal": ("mu", "sigma", "q"), "qlognormal": ("mu", "sigma", "q"),
             "randint": ("upper",)}
POLICY_DEFAULTS = {"BanditPolicy": ("bandit", 0), "MedianStoppingPolicy": ("median", 5),
                   "TruncationSelectionPolicy": ("truncation", 0)}
GRID_ONLY = {"choice"}
BAYESIAN_ONLY = {"choice", "uniform", "quniform"}
DEFAULT_DURATION_MINUTES = 10080  # v1's max_duration_minutes default (7 days)
MAX_TOTAL_RUNS, MAX_CONCURRENT_RUNS = 1000, 100


class NotLiteral(Exception):
    def __init__(self, node: ast.AST, what: str) -> None:
        super().__init__(what)
        self.node = node


class Reader:
    """Reads literal values of one module, following its simple assignments."""

    def __init__(self, path: Path, tree: ast.Module) -> None:
        self.path = path
        self.names: dict[str, ast.expr] = {}
        for statement in tree.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1 and \
                    isinstance(statement.targets[0], ast.Name):
                self.names[statement.targets[0].id] = statement.value
        self.problems: list[str] = []

    def say(self, node: ast.AST, text: str) -> None:
        self.problems.append(f"{self.path}:{getattr(node, 'lineno', '?')}: {text}")

    def resolve(self, node: ast.expr, seen: frozenset[str] = frozenset()) -> ast.expr:
        while isinstance(node, ast.Name) and node.id in self.names and node.id not in seen:
            seen = seen | {node.id}
            node = self.names[node.id]
        return node

    def literal(self, node: ast.expr) -> Any:
        node = self.resolve(node)
        if isinstance(node, ast.Call) and _name(node.func) == "range":
            values = [self.literal(a) for a in node.args]
            if not all(isinstance(v, int) for v in values) or not 1 <= len(values) <= 3:
                raise NotLiteral(node, "range() of whole numbers")
            return list(range(*values))
        if isinstance(node, ast.Attribute) and _name(node.value) == "PrimaryMetricGoal":
            return node.attr
        if isinstance(node, ast.List | ast.Tuple):
            return [self.literal(e) for e in node.elts]
        if isinstance(node, ast.Dict):
            keys = [self.literal(k) if k is not None else None for k in node.keys]
            return dict(zip(keys, (self.literal(v) for v in node.values), strict=True))
        try:
            return ast.literal_eval(node)
        except ValueError:
            raise NotLiteral(node, ast.unparse(node)) from None

    def call(self, node: ast.expr | None) -> ast.Call | None:
        node = self.resolve(node) if node is not None else None
        return node if isinstance(node, ast.Call) else None

    def keywords(self, call: ast.Call, positional: tuple[str, ...] = ()) -> dict[str, Any]:
        """A call's arguments by name (literals only; others are reported)."""
        out: dict[str, Any] = {}
        pairs = list(zip(positional, call.args, strict=False)) + [
            (k.arg, k.value) for k in call.keywords if k.arg is not None]
        for name, value in pairs:
            try:
                out[name] = self.literal(value)
            except NotLiteral as exc:
                out[name] = exc
        return out


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return ""


def import_hyperdrive_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise BackendError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        tree = ast.parse(text, filename=str(path))
    except SyntaxError as exc:
        raise BackendError(f"{path}:{exc.lineno}:{exc.offset}: Python syntax error:"
                           f" {exc.msg}") from None
    reader = Reader(path, tree)
    config = next((n for n in ast.walk(tree) if isinstance(n, ast.Call)
                   and _name(n.func) == "HyperDriveConfig"), None)
    if config is None:
        raise BackendError(f"{path}: no HyperDriveConfig(...) call")
    spec = HyperDrive(reader, config).spec(path.stem)
    if reader.problems:
        raise BackendError("\n".join(reader.problems))
    return spec


class HyperDrive:
    def __init__(self, reader: Reader, config: ast.Call) -> None:
        self.r = reader
        self.config = config
        self.args = reader.keywords(config)
        for name, value in self.args.items():
            if isinstance(value, NotLiteral) and name not in (
                    "hyperparameter_sampling", "policy", "run_config", "estimator",
                    "resume_from", "resume_child_runs"):
                reader.say(value.node, f"HyperDriveConfig {name}: not a literal"
                                       f" ({value}); give the value itself")

    def _kw(self, name: str) -> ast.expr | None:
        return next((k.value for k in self.config.keywords if k.arg == name), None)

    def spec(self, fallback_name: str) -> dict[str, Any]:
        sampling_call = self.r.call(self._kw("hyperparameter_sampling"))
        algorithm, space = self.sampling(sampling_call)
        goal = self.args.get("primary_metric_goal", "MAXIMIZE")
        metric = self.args.get("primary_metric_name")
        if not isinstance(metric, str):
            self.r.say(self.config, "HyperDriveConfig primary_metric_name: required (the"
                                    " metric the script logs)")
        spec: dict[str, Any] = {
            "name": re.sub(r"[^A-Za-z0-9._-]+", "-", fallback_name).strip("-.") or "hyperdrive",
            "objective": {"metric": metric if isinstance(metric, str) else "metric",
                          "goal": str(goal).lower() if isinstance(goal, str) else "maximize"},
            "search_space": space,
            "strategy": {"algorithm": algorithm},
        }
        policy = self.policy(algorithm)
        if policy is not None:
            spec["early_stopping"] = policy
        spec["limits"] = self.limits()
        spec["trial"] = self.trial(space)
        if self._kw("resume_child_runs") is not None:
            # Its script accepts --resume-from (what resume_child_runs requires): an
            # interrupted trial resumes from its checkpoint with it.
            spec["trial"]["resume_from_checkpoint"] = True
        return spec

    def sampling(self, call: ast.Call | None) -> tuple[str, dict[str, Any]]:
        if call is None or _name(call.func) not in SAMPLINGS:
            self.r.say(call or self.config, "hyperparameter_sampling: give a"
                       " RandomParameterSampling, GridParameterSampling or"
                       " BayesianParameterSampling")
            return "random", {}
        algorithm = SAMPLINGS[_name(call.func)]
        node = self.r.resolve(call.args[0]) if call.args else None
        if not isinstance(node, ast.Dict):
            self.r.say(call, f"{_name(call.func)}: the parameter space must be a literal dict")
            return algorithm, {}
        space: dict[str, Any] = {}
        for key_node, value_node in zip(node.keys, node.values, strict=True):
            try:
                key = self.r.literal(key_node) if key_node is not None else None
            except NotLiteral as exc:
                self.r.say(exc.node, f"parameter name {exc}: not a literal")
                continue
            if not isinstance(key, str):
                self.r.say(value_node, f"parameter name {key!r}: must be a string")
                continue
            name = key.lstrip("-")
            domain = self.expression(key, self.r.resolve(value_node), algorithm)
            if domain is not None:
                space[name] = domain
        if not space and not self.r.problems:
            self.r.say(call, "the parameter space is empty")
        return algorithm, space

    def expression(self, key: str, node: ast.expr, algorithm: str) -> dict[str, Any] | None:
        kind = _name(node.func) if isinstance(node, ast.Call) else ""
        if kind not in DISTRIBUTIONS:
            self.r.say(node, f"{key}: not a sampling expression ({ast.unparse(node)}); use"
                             f" choice, uniform, loguniform, ...")
            return None
        assert isinstance(node, ast.Call)
        allowed = {"grid": GRID_ONLY, "bayesian": BAYESIAN_ONLY}.get(algorithm)
        if allowed is not None and kind not in allowed:
            self.r.say(node, f"{key}: {kind} is not allowed with {algorithm} sampling (it takes"
                             f" {', '.join(sorted(allowed))} only)")
            return None
        try:
            if kind == "choice":
                values = [self.r.literal(a) for a in node.args]
                if len(values) == 1 and isinstance(values[0], list):
                    values = values[0]
                if not values:
                    self.r.say(node, f"{key}: choice needs at least one value")
                    return None
                return {"type": "categorical", "values": values}
            args = self.r.keywords(node, ARGUMENTS[kind])
        except NotLiteral as exc:
            self.r.say(exc.node, f"{key}: {exc} is not a literal; give the value itself")
            return None
        bad = [v for v in args.values() if isinstance(v, NotLiteral)]
        for value in bad:
            self.r.say(value.node, f"{key}: {value} is not a literal; give the value itself")
        missing = [a for a in ARGUMENTS[kind] if a not in args]
        if missing:
            self.r.say(node, f"{key}: {kind} needs {', '.join(missing)}")
        if bad or missing:
            return None
        return self.domain(key, kind, args, node)

    def domain(self, key: str, kind: str, args: dict[str, Any],
               node: ast.Call) -> dict[str, Any] | None:
        if kind == "randint":
            return {"distribution": "randint", "upper": args["upper"]}
        out: dict[str, Any] = {"distribution": kind}
        if "low" in args:
            low, high = args["low"], args["high"]
            if not low < high:
                self.r.say(node, f"{key}: {kind} low ({low}) is not below high ({high})")
                return None
            if kind in ("loguniform", "qloguniform"):  # exponents -> value bounds
                low, high = from_exponent(low), from_exponent(high)
            out["low"], out["high"] = low, high
        else:
            if args["sigma"] <= 0:
                self.r.say(node, f"{key}: {kind} sigma ({args['sigma']}) must be positive")
                return None
            out["mu"], out["sigma"] = args["mu"], args["sigma"]
        if "q" in args:
            out["q"] = args["q"]
            if kind in ("quniform", "qloguniform") and float(args["q"]).is_integer():
                out["type"] = "int"
        return out

    def policy(self, algorithm: str) -> dict[str, Any] | None:
        call = self.r.call(self._kw("policy"))
        if call is None or _name(call.func) in ("NoTerminationPolicy", ""):
            return None
        kind = _name(call.func)
        if kind not in POLICY_DEFAULTS:
            self.r.say(call, f"policy: {kind} is not a HyperDrive policy")
            return None
        if algorithm == "bayesian":
            self.r.say(call, "policy: bayesian sampling takes no early termination policy")
            return None
        args = self.r.keywords(call)
        for name, value in args.items():
            if isinstance(value, NotLiteral):
                self.r.say(value.node, f"{kind} {name}: not a literal ({value})")
        policy, delay = POLICY_DEFAULTS[kind]
        out: dict[str, Any] = {"policy": policy,
                               "evaluation_interval": args.get("evaluation_interval", 1),
                               "delay_evaluation": args.get("delay_evaluation", delay)}
        if kind == "BanditPolicy":
            given = [k for k in ("slack_factor", "slack_amount") if args.get(k)]
            if len(given) != 1:
                self.r.say(call, "BanditPolicy: give exactly one of slack_factor and"
                                 " slack_amount")
            for k in given:
                out[k] = args[k]
        if kind == "TruncationSelectionPolicy":
            percentage = args.get("truncation_percentage")
            if not isinstance(percentage, int) or not 1 <= percentage <= 99:
                self.r.say(call, f"TruncationSelectionPolicy truncation_percentage: a whole"
                                 f" number in 1..99 (got {percentage!r})")
            out["truncation_percentage"] = percentage
            if args.get("exclude_finished_jobs"):
                out["exclude_finished"] = True
        return out

    def limits(self) -> dict[str, Any]:
        total = self.args.get("max_total_runs")
        concurrent = self.args.get("max_concurrent_runs")
        minutes = self.args.get("max_duration_minutes", DEFAULT_DURATION_MINUTES)
        limits: dict[str, Any] = {}
        if isinstance(total, int):
            if not 1 <= total <= MAX_TOTAL_RUNS:
                self.r.say(self.config, f"max_total_runs: must be in 1..{MAX_TOTAL_RUNS}"
                                        f" (got {total})")
            limits["max_trials"] = total
        else:
            self.r.say(self.config, "HyperDriveConfig max_total_runs: required")
        if isinstance(concurrent, int):
            if not 1 <= concurrent <= MAX_CONCURRENT_RUNS:
                self.r.say(self.config, f"max_concurrent_runs: must be in"
                                        f" 1..{MAX_CONCURRENT_RUNS} (got {concurrent})")
            limits["max_parallel"] = min(concurrent, total) if isinstance(total, int) \
                else concurrent
        elif isinstance(total, int):
            limits["max_parallel"] = min(total, MAX_CONCURRENT_RUNS)  # default: all at once
        if isinstance(minutes, int | float) and not isinstance(minutes, bool):
            limits["max_duration"] = f"{math.ceil(minutes)}m"
        return limits

    def trial(self, space: dict[str, Any]) -> dict[str, Any]:
        """The v1 run config's script and arguments, with the sampled values appended as
        `--name ${{search_space.name}}` (how v1 passes them)."""
        run = self.r.call(self._kw("run_config") or self._kw("estimator"))
        script, folder, arguments = "train.py", None, []
        if run is not None:
            found = self.r.keywords(run)
            given_script = found.get("script")
            if isinstance(given_script, str):
                script = given_script
            source = found.get("source_directory")
            folder = source if isinstance(source, str) else None
            given = found.get("arguments")
            if isinstance(given, list):
                arguments = [str(a) for a in given]
        command = ["python", script, *arguments]
        keys = {name: name for name in space}
        for name in keys:
            command += [f"--{name}", f"${{{{search_space.{name}}}}}"]
        trial: dict[str, Any] = {"command": command, "contract": "azure"}
        if folder is not None:
            trial["code"] = folder
        return trial
