"""Which `--options` a training script accepts, read from its `--help` (Vega's enable_arg_check).

With `trial.check_args` a trial is given only the hyperparameters and static arguments
its script accepts: a search space written for several scripts, or Vega's other_args
with an option the script lacks, then runs instead of failing on "unrecognized
arguments". The script is never imported: its command runs once, before any trial, with
`--help` appended (as a user would), and every `--name` in what it prints counts as
accepted (argparse, click, typer and absl all list their options that way). An option
written `--name_with_underscores` also accepts `--name-with-underscores` only if the help
says so: names are matched exactly, as argparse matches them.
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

OPTION = re.compile(r"(?<![\w-])--([A-Za-z0-9_][A-Za-z0-9_.\-]*)")
HELP_TIMEOUT = 60.0  # seconds the script may take to print its help
TAIL = 160  # characters of its last line shown when --help fails


class ArgCheckError(Exception):
    """The script's --help could not be read (one line)."""


def options_in(help_text: str) -> frozenset[str]:
    """The option names (without `--`) a help text lists; `help` itself excluded."""
    return frozenset(m.group(1).rstrip(".-") for m in OPTION.finditer(help_text)) - {"help"}


def accepted_options(argv: list[str], cwd: Path, env: dict[str, str]) -> frozenset[str]:
    """Run `argv --help` in `cwd` with `env` (added to this environment); the options its
    output lists. Raises ArgCheckError when it fails or lists none."""
    # Paths by their names: the line stays short, and says which script it was.
    shown = " ".join([*(Path(w).name if os.sep in w else w for w in argv), "--help"])
    try:
        done = subprocess.run([*argv, "--help"], cwd=cwd, env={**os.environ, **env},
                              capture_output=True, text=True, timeout=HELP_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:
        raise ArgCheckError(f"`{shown}` printed no help within {HELP_TIMEOUT:g}s") from None
    except OSError as exc:
        raise ArgCheckError(f"`{shown}` cannot run: {exc.strerror}") from None
    if done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        last = lines[-1][:TAIL] if lines else "no output"
        raise ArgCheckError(f"`{shown}` exited {done.returncode}: {last}")
    found = options_in(done.stdout + "\n" + done.stderr)
    if not found:
        raise ArgCheckError(f"`{shown}` lists no --option: cannot tell which arguments the"
                            " script accepts")
    return found
