"""What every benchmark shares: summaries, result records, optional pieces, quiet peers.

A benchmark module exposes `NAME`, `TITLE` and `run(quick: bool) -> Benchmark`.
Figures are recorded per system as lists of repetitions; the summary of each
(median, 25-75% range) is computed once here so every table reads the same way.
"""

from __future__ import annotations

import contextlib
import importlib
import io
import logging
import math
import os
import statistics
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HPO = "hpo-bridge"
MAX_KEPT_VALUES = 200
OPTUNA = "optuna"
SYNE = "syne-tune"


def summary(values: list[float]) -> dict[str, Any]:
    """n, median and the 25-75% range (inclusive quartiles, like numpy's default)."""
    clean = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    if not clean:
        return {"n": 0, "median": None, "p25": None, "p75": None}
    if len(clean) == 1:
        v = clean[0]
        return {"n": 1, "median": v, "p25": v, "p75": v}
    q1, _, q3 = statistics.quantiles(clean, n=4, method="inclusive")
    return {"n": len(clean), "median": statistics.median(clean), "p25": q1, "p75": q3}


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (inclusive method) of a non-empty list."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    rank = (len(ordered) - 1) * pct / 100.0
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


@dataclass
class Table:
    """One table of the report: a title, the one line saying what it shows, rows."""

    title: str
    what: str
    columns: list[str]
    rows: list[list[Any]] = field(default_factory=list)
    status: str = "ok"  # ok | pending | partial
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "what": self.what,
            "status": self.status,
            "columns": self.columns,
            "rows": self.rows,
            "notes": self.notes,
        }


@dataclass
class Benchmark:
    """Everything one benchmark measured: per system, per figure, the repetitions."""

    name: str
    title: str
    systems: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    tables: list[Table] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    settings: dict[str, Any] = field(default_factory=dict)

    def record(self, system: str, figure: str, values: list[float], unit: str = "") -> dict:
        """Keep the repetitions of one figure and return their summary.

        Per-call timings (thousands of calls) keep their summary only: the file stays small.
        """
        entry = {**summary(values), "unit": unit}
        if len(values) <= MAX_KEPT_VALUES:
            entry["values"] = [_round(v) for v in values]
        self.systems.setdefault(system, {})[figure] = entry
        return entry

    def get(self, system: str, figure: str) -> dict[str, Any] | None:
        return self.systems.get(system, {}).get(figure)

    def to_dict(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "settings": self.settings,
            "notes": self.notes,
            "systems": self.systems,
            "tables": [t.to_dict() for t in self.tables],
        }


def _round(v: Any) -> Any:
    if isinstance(v, float) and math.isfinite(v):
        return float(f"{v:.6g}")
    return v


# -- formatting -------------------------------------------------------------------------
def fmt(v: float | None, digits: int = 3) -> str:
    """`digits` significant digits; large numbers in full, never in e-notation."""
    if v is None:
        return "-"
    v = v + 0.0  # no "-0"
    if abs(v) >= 10**digits or float(v).is_integer():
        return f"{v:.0f}"
    return f"{v:.{digits}g}"


def cell(entry: dict[str, Any] | None, digits: int = 3, scale: float = 1.0) -> str:
    """'median [p25-p75]' of a recorded figure."""
    if not entry or entry.get("median") is None:
        return "-"
    med = fmt(entry["median"] * scale, digits)
    if entry["n"] <= 1 or entry["p25"] == entry["p75"]:
        return med
    return f"{med} [{fmt(entry['p25'] * scale, digits)}-{fmt(entry['p75'] * scale, digits)}]"


def ratio(a: dict | None, b: dict | None) -> str:
    """a's median over b's median, as 'x.xx'."""
    if not a or not b or not a.get("median") or not b.get("median"):
        return "-"
    return f"{a['median'] / b['median']:.2f}x"


# -- hpo-bridge pieces written concurrently: use each once it exists --------------------
class Pending(Exception):
    """A piece of hpo-bridge this benchmark measures is not there (yet)."""


def unavailable(exc: BaseException) -> tuple[str, str]:
    """('pending', why) for a piece not there yet, ('error', what broke) otherwise."""
    if isinstance(exc, Pending):
        return "pending", str(exc)
    return "error", f"{type(exc).__name__}: {exc}"


def require(target: str) -> Any:
    """Import "module:attr" (or a module), or raise Pending naming what is missing."""
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise Pending(f"{module_name} is not available ({exc})") from None
    if not attr:
        return module
    try:
        return getattr(module, attr)
    except AttributeError:
        raise Pending(f"{module_name} has no {attr}") from None


def searcher_factory(name: str) -> Any:
    """The registered hpo-bridge searcher `name`, or Pending."""
    from hpo_bridge.plugins import registry

    try:
        component = registry().require("searchers", name)
        component.load()  # the registry imports the module lazily: fail here, not mid-run
    except Exception as exc:
        raise Pending(f"searcher {name!r}: {type(exc).__name__}: {exc}") from None
    return component


def stopping_factory(name: str) -> Any:
    from hpo_bridge.plugins import registry

    try:
        component = registry().require("stopping_rules", name)
        component.load()
    except Exception as exc:
        raise Pending(f"stopping rule {name!r}: {type(exc).__name__}: {exc}") from None
    return component


# -- peers ---------------------------------------------------------------------------------
def have(module: str) -> bool:
    try:
        importlib.import_module(module)
    except ImportError:
        return False
    return True


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Silence a peer's banners and per-trial prints (they would flood the run's output)."""
    logging.disable(logging.CRITICAL)
    try:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            yield
    finally:
        logging.disable(logging.NOTSET)


def quiet_optuna() -> None:
    import optuna

    optuna.logging.set_verbosity(optuna.logging.ERROR)
    import warnings

    warnings.filterwarnings("ignore", category=optuna.exceptions.ExperimentalWarning)


@contextlib.contextmanager
def scratch(prefix: str = "hpo-bench-") -> Iterator[Path]:
    """A temporary folder removed afterwards; Syne Tune's results go there too."""
    with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
        old = os.environ.get("SYNETUNE_FOLDER")
        os.environ["SYNETUNE_FOLDER"] = str(Path(tmp) / "syne-tune")
        try:
            yield Path(tmp)
        finally:
            if old is None:
                os.environ.pop("SYNETUNE_FOLDER", None)
            else:
                os.environ["SYNETUNE_FOLDER"] = old


def job_handle(study: Path) -> str:
    """The native job a cloud study directory follows (its store's handle)."""
    from hpo_bridge.backends import META_HANDLE
    from hpo_bridge.store import Store

    with Store.open(study) as store:
        return str(store.get_meta(META_HANDLE))
