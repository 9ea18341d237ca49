"""`hpo-bridge logs DIR TRIAL` prints what a trial wrote."""

from __future__ import annotations

import subprocess
import sys

from executor_helpers import drive, process_executor, write_spec

from hpo_bridge.core.trial import Trial


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", "from hpo_bridge.cli import main; main()",
                           *args], capture_output=True, text=True)


def test_logs_prints_stdout_and_stderr_of_a_trial(tmp_path, study):
    script = """
        import sys
        for i in range(1, 6):
            print(f"line {i}")
        print("warning: careful", file=sys.stderr, end="")
    """
    executor = process_executor(write_spec(tmp_path, script), study)
    executor.start(Trial(2, {"lr": 0.01}))
    drive(executor)

    both = _cli("logs", str(study), "2")
    assert both.returncode == 0
    assert both.stdout == ("==> stdout.log <==\nline 1\nline 2\nline 3\nline 4\nline 5\n"
                           "==> stderr.log <==\nwarning: careful\n")
    tail = _cli("logs", str(study), "2", "--stream", "stdout", "--tail", "2")
    assert tail.stdout == "line 4\nline 5\n"

    missing = _cli("logs", str(study), "9")
    assert (missing.returncode, missing.stderr) == (2, f"TRIAL: no trial 9 in {study}"
                                                       " (trials: 2)\n")
