"""The node-side shepherd: the trial exits as it would without it, and dies with its runner.

The runner (here: a throw-away `python` parent) starts the shepherd in a new session, as
the Ray runner does through executors/trialproc.py."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from hpo_bridge.executors import procgroup, shepherd


def _run(argv: list[str], tmp_path: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(shepherd.command(os.getpid(), argv), cwd=tmp_path, timeout=30,
                          capture_output=True, start_new_session=True)


@pytest.mark.parametrize("code", [0, 3, 255])
def test_exit_code_is_the_trials(tmp_path, code):
    done = _run([sys.executable, "-c", f"print('out'); raise SystemExit({code})"], tmp_path)
    assert (done.returncode, done.stdout) == (code, b"out\n")


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGKILL, signal.SIGSEGV])
def test_death_by_signal_is_the_trials(tmp_path, sig):
    done = _run([sys.executable, "-c", f"import os; os.kill(os.getpid(), {int(sig)})"], tmp_path)
    assert done.returncode == -sig


def test_sigterm_to_the_group_reaches_the_trial_which_decides(tmp_path):
    # The trial catches SIGTERM, says so and exits 7: the shepherd reports exit 7.
    script = textwrap.dedent("""
        import signal, sys, time
        def bye(*_):
            print("got SIGTERM", flush=True)
            sys.exit(7)
        signal.signal(signal.SIGTERM, bye)
        print("ready", flush=True)
        time.sleep(60)
    """)
    proc = subprocess.Popen(shepherd.command(os.getpid(), [sys.executable, "-c", script]),
                            cwd=tmp_path, stdout=subprocess.PIPE, start_new_session=True)
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    os.killpg(proc.pid, signal.SIGTERM)
    assert proc.wait(timeout=30) == 7
    assert proc.stdout.read() == b"got SIGTERM\n"


def test_a_missing_program_exits_127(tmp_path):
    done = _run([str(tmp_path / "nope")], tmp_path)
    assert done.returncode == 127
    assert b"cannot run" in done.stderr


def test_the_trial_dies_with_its_runner_strays_included(tmp_path):
    """The runner is SIGKILLed: the shepherd ends the trial's group and the child that
    left it with setsid() (found by the trial folder in its environment)."""
    trial_dir = tmp_path / "trial"
    trial_dir.mkdir()
    trial = textwrap.dedent("""
        import os, time
        if os.fork() == 0:
            os.setsid()  # out of the group's reach
            open("stray.pid", "w").write(str(os.getpid()))
        else:
            open("trial.pid", "w").write(str(os.getpid()))
        time.sleep(120)
    """)
    runner = textwrap.dedent(f"""
        import os, subprocess, sys, time
        from hpo_bridge.executors import shepherd
        p = subprocess.Popen(shepherd.command(os.getpid(), [sys.executable, "-c", {trial!r}]),
                             start_new_session=True)
        print(p.pid, flush=True)
        time.sleep(120)
    """)
    env = {**os.environ, procgroup.TRIAL_DIR_VAR: str(trial_dir)}
    proc = subprocess.Popen([sys.executable, "-c", runner], cwd=trial_dir, env=env,
                            stdout=subprocess.PIPE)
    assert proc.stdout is not None
    leader = int(proc.stdout.readline())
    pids = _wait_for_files(trial_dir, ["trial.pid", "stray.pid"])
    assert all(_alive(p) for p in [leader, *pids])
    proc.kill()
    proc.wait()
    end = time.monotonic() + 20
    while time.monotonic() < end and any(_alive(p) for p in [leader, *pids]):
        time.sleep(0.05)
    assert [p for p in [leader, *pids] if _alive(p)] == []


def _wait_for_files(folder: Path, names: list[str]) -> list[int]:
    end = time.monotonic() + 20
    while time.monotonic() < end:
        try:
            return [int((folder / n).read_text()) for n in names]
        except (FileNotFoundError, ValueError):
            time.sleep(0.02)
    raise AssertionError(f"{names} not written in {folder}")


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state not in ("Z", "X")
