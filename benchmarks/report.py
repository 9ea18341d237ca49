"""Render results/latest.json as results/latest.md: one section per benchmark, its tables."""

from __future__ import annotations

import re
from typing import Any


def _escape(value: Any) -> str:
    return str(value).replace("|", "\\|").replace("\n", " ")


def render(results: dict[str, Any]) -> str:
    meta = results["meta"]
    lines = [
        "# hpo-bridge benchmarks",
        "",
        f"Mode: **{meta['mode']}**, {meta['finished']}, {meta['seconds']:.0f} s on "
        f"{meta['cpus']} CPUs, Python {meta['python']}; "
        + ", ".join(f"{k} {v}" for k, v in meta["versions"].items())
        + "."
        + (
            f" Partial run: {', '.join(meta['only'])} re-measured then; the other sections"
            " come from the previous run."
            if meta.get("only")
            else ""
        ),
        "",
        "Cells are `median [25%-75%]` over the repetitions named in each section. Times are "
        "only comparable within one run (the machine is shared): read the ratios, which "
        "compare systems measured side by side in the same process. Regenerate with "
        "`make bench` (full) or `make bench-quick`.",
        "",
    ]
    for number, (name, bench) in enumerate(results["benchmarks"].items(), 1):
        # Sections are numbered by their place in the run (a title's own number is dropped).
        title = re.sub(r"^\d+\.\s*", "", bench.get("title", name))
        lines += [f"## {number}. {title}", ""]
        if bench.get("error"):
            lines += [f"Not measured in this run: {bench['error']}", ""]
        settings = bench.get("settings")
        if settings:
            lines += [
                "Settings: " + "; ".join(f"{k}: {_compact(v)}" for k, v in settings.items()), ""
            ]
        for table in bench.get("tables", []):
            status = "" if table["status"] == "ok" else f" ({table['status']})"
            lines += [f"### {table['title']}{status}", "", f"_{table['what']}_", ""]
            if table["rows"]:
                lines.append("| " + " | ".join(_escape(c) for c in table["columns"]) + " |")
                lines.append("|" + "---|" * len(table["columns"]))
                for row in table["rows"]:
                    lines.append("| " + " | ".join(_escape(c) for c in row) + " |")
                lines.append("")
            for note in table.get("notes", []):
                lines.append(f"- {note}")
            if table.get("notes"):
                lines.append("")
        for note in bench.get("notes", []):
            lines.append(f"- {note}")
        if bench.get("notes"):
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"


def _compact(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items())
    return str(value)
