"""Environment, devices, trial folders, event order, and cleanup when the orchestrator dies."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from executor_helpers import drive, finished, metrics, process_executor, wait_gone, write_spec

from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.executors.devices import DevicePool
from hpo_bridge.executors.procgroup import kill_leftovers

DUMPS_ENV = """
    import json, os, sys
    keys = ["CUDA_VISIBLE_DEVICES", "DEVICE_ID", "PIPESTEP", "EPOCHS", "PYTHONUNBUFFERED",
            "HPO_BRIDGE_TRIAL_ID", "MY_SETTING"]
    with open("env.json", "w") as fh:
        json.dump({"env": {k: os.environ.get(k) for k in keys}, "cwd": os.getcwd(),
                   "python": sys.executable}, fh)
"""


def _env(study, trial_id):
    return json.loads((study / f"trials/{trial_id}/env.json").read_text())


def test_trial_environment_and_working_folder(tmp_path, study):
    spec = write_spec(tmp_path, DUMPS_ENV, env={"MY_SETTING": "x y"})
    executor = process_executor(spec, study)
    executor.start(Trial(4, {"lr": 0.01}))
    drive(executor)
    got = _env(study, 4)
    assert got["cwd"] == str(study.resolve() / "trials" / "4")
    assert got["python"] == sys.executable
    assert got["env"]["MY_SETTING"] == "x y"
    assert got["env"]["PYTHONUNBUFFERED"] == "1" and got["env"]["HPO_BRIDGE_TRIAL_ID"] == "4"
    assert got["env"]["CUDA_VISIBLE_DEVICES"] is None


def test_each_running_trial_gets_its_own_device_round_robin(tmp_path, study):
    script = textwrap.dedent(DUMPS_ENV) + "import time; time.sleep(0.3)\n"
    spec = write_spec(tmp_path, script, contract="vega",
                      devices=[0, 1], top={"limits": {"max_parallel": 2}})
    executor = process_executor(spec, study)
    executor.start(Trial(1, {"lr": 0.01}, resource=3))
    executor.start(Trial(2, {"lr": 0.02}, resource=1))
    drive(executor)
    executor.start(Trial(3, {"lr": 0.03}))
    drive(executor)
    envs = {i: _env(study, i)["env"] for i in (1, 2, 3)}
    assert [envs[i]["CUDA_VISIBLE_DEVICES"] for i in (1, 2, 3)] == ["0", "1", "0"]
    assert [envs[i]["DEVICE_ID"] for i in (1, 2, 3)] == ["0", "1", "0"]
    assert [envs[i]["EPOCHS"] for i in (1, 2, 3)] == ["3", "1", None]
    assert {envs[i]["PIPESTEP"] for i in (1, 2, 3)} == {"hpo"}


def test_device_pool_rules():
    pool = DevicePool([0, 1])
    assert [pool.acquire(), pool.acquire()] == ["0", "1"]
    with pytest.raises(RuntimeError, match="share_devices"):
        pool.acquire()
    pool.release("0")
    assert pool.acquire() == "0"
    shared = DevicePool(["a", "b"], share=True)
    assert [shared.acquire() for _ in range(5)] == ["a", "b", "a", "b", "a"]
    shared.release("b")
    assert shared.acquire() == "b"  # the least loaded first


def test_a_rerun_trial_starts_in_a_clean_folder(tmp_path, study):
    writes = "import json\njson.dump({'accuracy': 0.8}, open('accuracy.json', 'w'))\n"
    spec = write_spec(tmp_path, writes, contract="vega")
    executor = process_executor(spec, study)
    executor.start(Trial(1, {"lr": 0.01}))
    assert metrics(drive(executor)) == [("accuracy", 0.8)]
    (tmp_path / "train.py").write_text("print('interrupted before writing')\n")
    executor.start(Trial(1, {"lr": 0.01}))
    events = drive(executor)
    assert metrics(events) == []  # the earlier attempt's accuracy.json is not read again
    assert finished(events).status is TrialStatus.COMPLETED
    assert (study / "trials/1.attempt-1/accuracy.json").exists()
    assert not (study / "trials/1/accuracy.json").exists()


def test_events_are_ordered_by_time_then_trial(tmp_path, study):
    script = """
        import hpo_bridge, time
        for i in range(3):
            hpo_bridge.report(accuracy=i)
            time.sleep(0.1)
    """
    executor = process_executor(write_spec(tmp_path, script), study)
    for i in (3, 1, 2):
        executor.start(Trial(i, {"lr": 0.01}))
    events = drive(executor)
    keys = [(e.time, e.trial_id) for e in events]
    assert keys == sorted(keys)
    for i in (1, 2, 3):
        assert metrics(events, i) == [("accuracy", 0.0), ("accuracy", 1.0), ("accuracy", 2.0)]
        assert finished(events, i).status is TrialStatus.COMPLETED


ORCHESTRATOR = """
    import sys, time
    from pathlib import Path
    from hpo_bridge.core.trial import Trial
    from hpo_bridge.executors.process import ProcessExecutor
    from hpo_bridge.plugins import registry
    from hpo_bridge.spec import load_spec

    study = Path(sys.argv[2])
    spec = load_spec(sys.argv[1])
    contract = registry().require("contracts", spec.trial.contract).create()
    executor = ProcessExecutor(spec, study, contract=contract)
    executor.start(Trial(1, {"lr": 0.01}))
    while not (study / "trials/1/child.pid").exists():
        executor.poll(0.05)
    print("ready", flush=True)
    while True:
        executor.poll(1.0)
"""

TRIAL_WITH_CHILD = """
import subprocess, sys, time
child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(600)"])
open("child.pid.tmp", "w").write(str(child.pid))
import os; os.rename("child.pid.tmp", "child.pid")
time.sleep(600)
"""


def _orchestrate(tmp_path, study):
    (tmp_path / "train.py").write_text(TRIAL_WITH_CHILD)
    (tmp_path / "spec.yaml").write_text(
        "name: t\nobjective: {metric: a, goal: maximize}\n"
        "search_space: {lr: {type: float, low: 0.001, high: 0.1}}\n"
        "trial: {command: [python, train.py]}\n")
    (tmp_path / "orchestrator.py").write_text(textwrap.dedent(ORCHESTRATOR))
    proc = subprocess.Popen(
        [sys.executable, str(tmp_path / "orchestrator.py"), str(tmp_path / "spec.yaml"),
         str(study)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline() == "ready\n"
    leader = json.loads((study / "trials/1/pid").read_text())["pid"]
    child = int((study / "trials/1/child.pid").read_text())
    return proc, [leader, child]


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_trials_die_with_a_terminated_orchestrator(tmp_path, study, sig):
    proc, pids = _orchestrate(tmp_path, study)
    proc.send_signal(sig)
    proc.wait(timeout=20)
    assert all(wait_gone(pid) for pid in pids)


def test_leftovers_of_a_sigkilled_orchestrator_are_killed_on_resume(tmp_path, study):
    proc, pids = _orchestrate(tmp_path, study)
    proc.kill()
    proc.wait(timeout=20)
    assert not any(wait_gone(pid, 0.2) for pid in pids)  # orphans: still running
    assert sorted(kill_leftovers(study)) == sorted(pids)
    assert all(wait_gone(pid) for pid in pids)
    assert not (study / "trials/1/pid").exists()
    assert kill_leftovers(study) == []


def test_the_executor_runs_trials_under_the_contract_it_is_given(tmp_path, study):
    from hpo_bridge.contracts.local import LocalContract
    from hpo_bridge.executors.process import ProcessExecutor

    class Tagged(LocalContract):
        def environment(self, ctx):
            return {**super().environment(ctx), "MY_SETTING": "from the contract"}

    spec = write_spec(tmp_path, DUMPS_ENV)  # names the local contract: the object given wins
    executor = ProcessExecutor(spec, study, contract=Tagged())
    executor.start(Trial(1, {"lr": 0.01}))
    assert finished(drive(executor)).status is TrialStatus.COMPLETED
    assert _env(study, 1)["env"]["MY_SETTING"] == "from the contract"
    executor.close()


SUBREAPER_PROBE = """
import ctypes, ctypes.util, json, sys
from pathlib import Path
sys.path.insert(0, sys.argv[2])
from executor_helpers import drive, process_executor, write_spec
from hpo_bridge.core.trial import Trial

libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)

def subreaper():
    flag = ctypes.c_int(0)
    libc.prctl(37, ctypes.byref(flag), 0, 0, 0)  # PR_GET_CHILD_SUBREAPER
    return flag.value

folder = Path(sys.argv[1])
seen = [subreaper()]
spec = write_spec(folder, "print('accuracy=0.5')")
first, second = process_executor(spec, folder / "a"), process_executor(spec, folder / "b")
seen.append(subreaper())
first.start(Trial(1, {"lr": 0.01}))
drive(first)
first.close()
seen.append(subreaper())  # the second executor still holds it
second.close()
seen.append(subreaper())
print(json.dumps(seen))
"""


def test_a_process_is_a_subreaper_only_while_an_executor_runs_trials(tmp_path):
    # A process hosting studies (an emulator, a notebook, a test session) must not keep
    # adopting unrelated orphans it never reaps once its executors are closed.
    helpers = str(Path(__file__).parent)
    out = subprocess.run([sys.executable, "-c", SUBREAPER_PROBE, str(tmp_path), helpers],
                         capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [0, 1, 1, 0]
