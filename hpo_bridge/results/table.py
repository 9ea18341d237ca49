"""The `results` table: one row per trial, fitted to the width it is printed in.

Columns: id, the stage (only when some trial ran in Vega's fullytrain stage), one per
parameter (the spec's order, then conditional ones a trial added), status (as
`shown_status`), intervals, time (the trial's duration), the objective(s), and why the
trial ended. Rows by id.

Fitting a width (a terminal's, or `COLUMNS`), in this order until the table fits:
1. the reason is cut (down to MIN_REASON characters; the whole one is in `--json`);
2. parameter columns get narrower: their headers are abbreviated and text values cut,
   down to MIN_PARAM characters; a number is never cut, so a numeric column keeps the
   width of its longest number;
3. parameter columns are left out, the last first (a note under the table names them);
4. metric headers are abbreviated (their values never), then the reason is left out,
   then the time, then the "intervals" header is abbreviated.
id, status, intervals and the objective(s) always stay, whole: a number is never cut.
The reason column shows only when some trial has a reason.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from hpo_bridge.core.trial import HPO, Trial
from hpo_bridge.results.results import objective_of, shown_status
from hpo_bridge.results.timing import duration

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

MAX_TEXT = 16  # characters of a categorical value shown at most
MAX_REASON = 48
MIN_PARAM = 6  # characters a parameter column keeps in a narrow terminal
MIN_REASON = 16
GAP = 2  # spaces between columns
ELLIPSIS = "…"


def compact(value: Any, digits: int = 4) -> str:
    """A value in few characters: floats to `digits` significant digits, long text cut."""
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.{digits}g}"
    return shorten(str(value), MAX_TEXT)


def shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())  # one line: a reason may quote a multi-line message
    return text if len(text) <= limit else text[: limit - 1] + ELLIPSIS


def seconds_text(seconds: float | None) -> str:
    """A duration in at most 6 characters: 0.4s, 12s, 3m29s, 1h02m, 2d03h."""
    if seconds is None:
        return "-"
    if seconds < 9.95:
        return f"{seconds:.1f}s"
    whole = round(seconds)
    if whole < 60:
        return f"{whole}s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes}m{secs:02d}s"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours}h{minutes:02d}m"
    days, hours = divmod(hours, 24)
    return f"{days}d{hours:02d}h"


def is_number_text(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


@dataclass
class Column:
    header: str
    cells: list[str]
    kind: str  # "key" (always kept), "count", "param", "metric", "reason", "time"
    right: bool = True  # right-aligned (numbers)
    width: int = 0
    floor: int = 0  # the narrowest this column may get

    def __post_init__(self) -> None:
        self.width = max([len(self.header), *(len(c) for c in self.cells)])
        numbers = [len(c) for c in self.cells if is_number_text(c)]
        if self.kind == "param":
            self.floor = max([min(self.width, MIN_PARAM), *numbers])
        elif self.kind == "reason":
            self.floor = min(self.width, MIN_REASON)
        elif self.kind == "metric":  # the header may be abbreviated, never a value
            self.floor = max([min(self.width, MIN_PARAM), *(len(c) for c in self.cells)])
        elif self.kind == "count":  # "intervals", as a last resort "in…"
            self.floor = max([3, *(len(c) for c in self.cells)])
        else:
            self.floor = self.width

    def fit(self, text: str) -> str:
        cut = text if len(text) <= self.width else text[: self.width - 1] + ELLIPSIS
        return cut.rjust(self.width) if self.right else cut.ljust(self.width)


@dataclass
class FittedTable:
    columns: list[Column]
    rows: int
    left_out: list[str] = field(default_factory=list)  # parameter columns not shown

    @property
    def width(self) -> int:
        return sum(c.width for c in self.columns) + GAP * (len(self.columns) - 1)

    def lines(self, width: int | None = None) -> list[str]:
        """The table's lines; the note naming left-out columns wrapped to `width`."""
        sep = " " * GAP
        out = [sep.join(c.fit(c.header) for c in self.columns).rstrip(), "─" * self.width]
        for i in range(self.rows):
            out.append(sep.join(c.fit(c.cells[i]) for c in self.columns).rstrip())
        if self.left_out:
            note = (f"(left out for width: {', '.join(self.left_out)};"
                    " `results --json` or a wider terminal shows them)")
            out += textwrap.wrap(note, width) if width else [note]
        return out


def _param_names(spec: TuningSpec, trials: list[Trial]) -> list[str]:
    names = list(spec.search_space)
    for trial in trials:
        names += [p for p in trial.params if p not in names]
    return names


def _origin(trial: Trial) -> str:
    """The checkpoint it continued: "3@6" (trial 3 after interval 6), "3@0" when it had to
    start from scratch instead (`results --json` says why)."""
    restore = trial.restore
    return "" if restore is None else f"{restore.source}@{restore.start}"


def results_table(spec: TuningSpec, trials: list[Trial], study_runs: bool = True,
                  width: int | None = None) -> FittedTable:
    """The table fitted to `width` characters (None: its natural width). `study_runs`:
    False when no orchestrator runs the study (its running trials are "interrupted")."""
    trials = sorted(trials, key=lambda t: t.id)
    params = _param_names(spec, trials)
    objectives = ([o.metric for o in spec.all_objectives] if spec.multi_objective
                  else ["objective"])
    values = []
    for trial in trials:
        objective = objective_of(spec, trial)
        values.append(list(objective.values()) if isinstance(objective, dict) else [objective])
    columns = [Column("id", [str(t.id) for t in trials], "key")]
    if any(t.stage != HPO for t in trials):
        columns.append(Column("stage", [t.stage for t in trials], "key", right=False))
    for name in params:
        cells = [compact(t.params[name]) if name in t.params else "" for t in trials]
        numeric = all(is_number_text(c) for c in cells if c)
        columns.append(Column(name, cells, "param", right=numeric))
    columns += [
        Column("status", [shown_status(t, study_runs) for t in trials], "key", right=False),
        Column("intervals", [str(t.intervals) for t in trials], "count"),
        Column("time", [seconds_text(duration(t)) for t in trials], "time"),
        *(Column(name, [compact(v[k], 6) for v in values], "metric")
          for k, name in enumerate(objectives)),
    ]
    if any(t.restore is not None for t in trials):  # checkpoints: what each continued
        columns.append(Column("from", [_origin(t) for t in trials], "key"))
    if any(t.reason for t in trials):
        columns.append(Column("reason", [shorten(t.reason or "", MAX_REASON) for t in trials],
                              "reason", right=False))
    table = FittedTable(columns, len(trials))
    if width is not None:
        _fit(table, width)
    return table


def _fit(table: FittedTable, width: int) -> None:
    cols = table.columns
    # 1. the reason narrower
    for reason in (c for c in cols if c.kind == "reason"):
        reason.width = max(reason.floor, reason.width - (table.width - width))
    # 2. parameter columns narrower, the widest first
    _narrow(table, "param", width)
    # 3. parameters left out, the last first
    while table.width > width and (params := [c for c in cols if c.kind == "param"]):
        cols.remove(params[-1])
        table.left_out.insert(0, params[-1].header)
    # 4. metric headers abbreviated (never their values), then the reason and the time out
    _narrow(table, "metric", width)
    for kind in ("reason", "time"):
        if table.width > width:
            cols[:] = [c for c in cols if c.kind != kind]
    _narrow(table, "count", width)


def _narrow(table: FittedTable, kind: str, width: int) -> None:
    while table.width > width:
        shrinkable = [c for c in table.columns if c.kind == kind and c.width > c.floor]
        if not shrinkable:
            return
        max(shrinkable, key=lambda c: c.width).width -= 1
