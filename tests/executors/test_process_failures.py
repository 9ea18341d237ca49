"""Every way a trial can end, with real processes: status, reason, and nothing left behind."""

from __future__ import annotations

import json
import math
import os
import signal
import time

from executor_helpers import drive, finished, metrics, process_executor, wait_gone, write_spec

from hpo_bridge.core.events import MetricReported, TrialFinished, TrialStarted
from hpo_bridge.core.trial import Trial, TrialStatus

REPORTS_THEN_HANGS = """
    import os, signal, sys, time
    import hpo_bridge
    if "--ignore-term" in " ".join(sys.argv):
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
    hpo_bridge.report(accuracy=0.5)
    time.sleep(600)
"""


def _one(tmp_path, study, script, params=None, **trial):
    executor = process_executor(write_spec(tmp_path, script, **trial), study)
    executor.start(Trial(1, params or {"lr": 0.01}))
    return executor


def test_completed_trial_reports_in_order(tmp_path, study):
    script = """
        import hpo_bridge
        for v in (0.5, 0.6, 0.7):
            hpo_bridge.report(accuracy=v, loss=1 - v)
    """
    executor = _one(tmp_path, study, script)
    events = drive(executor)
    assert isinstance(events[0], TrialStarted)
    assert metrics(events) == [("accuracy", 0.5), ("loss", 0.5), ("accuracy", 0.6),
                               ("loss", 0.4), ("accuracy", 0.7), ("loss", 0.30000000000000004)]
    end = events[-1]
    assert end == TrialFinished(1, end.time, TrialStatus.COMPLETED, 0, None)
    assert executor.running() == 0
    assert not (study / "trials" / "1" / "pid").exists()


def test_crash_is_failed_with_its_exit_code(tmp_path, study):
    script = """
        import sys, hpo_bridge
        hpo_bridge.report(accuracy=0.1)
        print("Traceback: boom", file=sys.stderr)
        sys.exit(3)
    """
    events = drive(_one(tmp_path, study, script))
    end = finished(events)
    assert (end.status, end.exit_code, end.reason) == (
        TrialStatus.FAILED, 3, "exit code 3: Traceback: boom"
    )
    assert metrics(events) == [("accuracy", 0.1)]
    assert (study / "trials/1/stderr.log").read_text() == "Traceback: boom\n"


def test_failed_reason_ends_with_the_last_stderr_line_cut_short(tmp_path, study):
    # 1 MB of stderr before it (only the tail is read), blank lines after it (skipped).
    script = """
        import sys
        sys.stderr.write("noise\\n" * 200000)
        sys.stderr.write("ValueError: " + "x" * 300 + "\\n\\n   \\n")
        sys.exit(4)
    """
    end = finished(drive(_one(tmp_path, study, script)))
    assert (end.status, end.exit_code) == (TrialStatus.FAILED, 4)
    assert end.reason == "exit code 4: ValueError: " + "x" * 145 + "..."


def test_failed_reason_without_stderr_is_the_exit_code(tmp_path, study):
    end = finished(drive(_one(tmp_path, study, "import sys; sys.exit(5)")))
    assert (end.status, end.reason) == (TrialStatus.FAILED, "exit code 5")


def test_hang_past_its_timeout_is_stopped_with_status_timeout(tmp_path, study):
    executor = _one(tmp_path, study, REPORTS_THEN_HANGS)
    pids = []

    def on_event(event):
        if isinstance(event, MetricReported):
            pids.append(json.loads((study / "trials/1/pid").read_text())["pid"])
            executor.stop(1, "trial_timeout 1s exceeded", TrialStatus.TIMEOUT)

    end = finished(drive(executor, on_event=on_event))
    assert (end.status, end.reason) == (TrialStatus.TIMEOUT, "trial_timeout 1s exceeded")
    assert end.exit_code == -signal.SIGTERM
    assert wait_gone(pids[0])


def test_a_trial_ignoring_sigterm_is_killed_after_the_grace_period(tmp_path, study):
    executor = _one(tmp_path, study, REPORTS_THEN_HANGS, params={"lr": 0.01},
                    args={"ignore-term": None}, kill_grace=0.3)
    def on_event(event):
        if isinstance(event, MetricReported):
            executor.stop(1, "stopped by median rule at interval 1")

    end = finished(drive(executor, on_event=on_event))
    assert (end.status, end.reason) == (TrialStatus.STOPPED, "stopped by median rule at interval 1")
    assert end.exit_code == -signal.SIGKILL


def test_sigkill_from_outside_is_failed_naming_the_signal(tmp_path, study):
    executor = _one(tmp_path, study, REPORTS_THEN_HANGS)

    def on_event(event):
        if isinstance(event, MetricReported):
            pid = json.loads((study / "trials/1/pid").read_text())["pid"]
            os.kill(pid, signal.SIGKILL)

    end = finished(drive(executor, on_event=on_event))
    assert (end.status, end.exit_code) == (TrialStatus.FAILED, -9)
    assert end.reason == "killed by signal SIGKILL"


def test_no_metric_completes_without_metric_events(tmp_path, study):
    events = drive(_one(tmp_path, study, "print('trained, reported nothing')\n"))
    assert metrics(events) == []
    assert finished(events).status is TrialStatus.COMPLETED


def test_nan_metric_arrives_as_an_invalid_report_naming_it(tmp_path, study):
    script = """
        import hpo_bridge
        hpo_bridge.report(accuracy=0.4)
        hpo_bridge.report(accuracy=float("nan"))
        print("val_acc=inf")
        print("val_acc=")
    """
    events = drive(_one(tmp_path, study, script,
                        top={"metrics": [{"name": "val_acc", "regex": "val_acc=(.*)"}]}))
    reported = [e for e in events if isinstance(e, MetricReported)]
    assert [(e.name, e.raw) for e in reported] == [
        ("accuracy", "0.4"), ("accuracy", "nan"), ("val_acc", "inf"), ("val_acc", "")]
    assert reported[0].value == 0.4
    assert all(math.isnan(e.value) for e in reported[1:])


def test_an_8_mb_output_line_neither_breaks_parsing_nor_hides_later_metrics(tmp_path, study):
    script = """
        import sys, hpo_bridge
        hpo_bridge.report(accuracy=0.1)
        sys.stdout.write("x" * (8 << 20))
        sys.stdout.write("\\n")
        hpo_bridge.report(accuracy=0.2)
        sys.stderr.write("y" * (8 << 20))  # and one never ended by a newline
    """
    events = drive(_one(tmp_path, study, script))
    assert metrics(events) == [("accuracy", 0.1), ("accuracy", 0.2)]
    assert finished(events).status is TrialStatus.COMPLETED
    assert (study / "trials/1/stdout.log").stat().st_size > 8 << 20


FORKS_A_CHILD = """
    import os, subprocess, sys, time
    child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
    with open("child.pid", "w") as fh:
        fh.write(str(child.pid))
    import hpo_bridge
    hpo_bridge.report(accuracy=0.3)
    if "--hang" in " ".join(sys.argv):
        time.sleep(600)
"""


def _child_pid(study) -> int:
    return int((study / "trials/1/child.pid").read_text())


def test_a_child_that_would_outlive_its_trial_is_killed(tmp_path, study):
    events = drive(_one(tmp_path, study, FORKS_A_CHILD))
    assert finished(events).status is TrialStatus.COMPLETED
    assert wait_gone(_child_pid(study))


def test_stopping_a_trial_kills_its_grandchildren(tmp_path, study):
    executor = _one(tmp_path, study, FORKS_A_CHILD, args={"hang": None})

    def on_event(event):
        if isinstance(event, MetricReported):
            executor.stop(1, "stopped by bandit rule", TrialStatus.STOPPED)

    end = finished(drive(executor, on_event=on_event))
    assert end.status is TrialStatus.STOPPED
    assert wait_gone(_child_pid(study))


def test_close_kills_every_running_trial_and_its_children(tmp_path, study):
    executor = _one(tmp_path, study, FORKS_A_CHILD, args={"hang": None})
    executor.start(Trial(2, {"lr": 0.02}))
    deadline = time.monotonic() + 20
    while not (study / "trials/2/child.pid").exists() or not (
        study / "trials/1/child.pid").exists():
        assert time.monotonic() < deadline
        executor.poll(0.1)
    pids = [json.loads((study / f"trials/{i}/pid").read_text())["pid"] for i in (1, 2)]
    children = [int((study / f"trials/{i}/child.pid").read_text()) for i in (1, 2)]
    executor.close()
    assert executor.running() == 0
    assert all(wait_gone(pid) for pid in pids + children)


def test_a_command_that_cannot_start_fails_the_trial(tmp_path, study):
    executor = process_executor(
        write_spec(tmp_path, "", command=["./no-such-program"]), study)
    executor.start(Trial(1, {"lr": 0.01}))
    events = executor.poll(1.0)
    assert isinstance(events[0], TrialStarted)
    end = events[1]
    assert end.status is TrialStatus.FAILED and end.reason.startswith("cannot start: ")
    assert "no-such-program" in end.reason
    assert executor.running() == 0
