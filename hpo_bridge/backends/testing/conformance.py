"""`BackendConformance`: the tests every native backend passes against its emulator.

    class TestMyCloudConformance(BackendConformance):
        @pytest.fixture
        def harness(self, my_emulator, tmp_path) -> Harness:
            return MyCloudHarness(my_emulator, tmp_path)

Set HPO_BRIDGE_UPDATE_GOLDEN=1 to (re)write a harness's golden file instead of comparing.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import pytest

from hpo_bridge.backends.base import Outcome, QuietView, RunOptions
from hpo_bridge.backends.errors import BackendError
from hpo_bridge.backends.native import META_HANDLE, CloudCallError, ErrorKind, NativeBackend
from hpo_bridge.store import Store

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

# The operations a harness can fault and count, whatever its cloud calls them.
OPERATIONS = ("create", "status", "list", "upload", "stop")
UPDATE_GOLDEN = "HPO_BRIDGE_UPDATE_GOLDEN"
WAIT = 120.0  # seconds a job may take to reach a state in these tests


class Harness(Protocol):
    """A backend and the emulator it talks to, as the conformance tests use them."""

    backend: NativeBackend  # pointed at the emulator, with retries that do not sleep
    golden: Path  # the compiled request of `spec()`, as JSON

    def spec(self, *, trials: int = 3, slow: bool = False) -> TuningSpec:
        """A small spec the emulator runs; `slow`: its trials run until cancelled."""

    def inject(self, operation: str, kind: str, count: int = 1) -> None:
        """The next `count` calls of `operation` (one of OPERATIONS) fail as `kind`:
        throttle, error (5xx), deny (access denied) or drop (connection closed)."""

    def calls(self, operation: str) -> int:
        """Calls of `operation` the emulator received since the last `reset`."""

    def jobs(self) -> int:
        """How many jobs the emulator holds."""

    def reset(self) -> None:
        """Zero the call counts and clear pending faults."""


class Notes(QuietView):
    def __init__(self) -> None:
        self.lines: list[str] = []

    def note(self, line: str) -> None:
        self.lines += line.splitlines()


def _handle(study: Path) -> str:
    with Store.open(study) as store:
        return str(store.get_meta(META_HANDLE))


def _wait_for(what: str, check: Any, timeout: float = WAIT) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


class BackendConformance:
    """Inherit, and override the `harness` fixture."""

    @pytest.fixture
    def harness(self) -> Harness:
        raise NotImplementedError("give the conformance tests a `harness` fixture")

    @pytest.fixture
    def h(self, harness: Harness) -> Any:
        harness.reset()
        yield harness
        harness.reset()

    # -- compile -------------------------------------------------------------------------
    def test_compile_matches_the_golden_request(self, h: Harness) -> None:
        request = h.backend.compile(h.spec()).request
        text = json.dumps(request, indent=2, sort_keys=True) + "\n"
        if os.environ.get(UPDATE_GOLDEN):
            h.golden.write_text(text)
        assert h.golden.exists(), f"no golden file {h.golden}: run with {UPDATE_GOLDEN}=1"
        assert json.loads(h.golden.read_text()) == json.loads(text)

    # -- the lifecycle -------------------------------------------------------------------
    def test_submit_follow_and_collect_every_trial(self, h: Harness, tmp_path: Path) -> None:
        spec = h.spec(trials=3)
        study = tmp_path / "study"
        outcome = h.backend.run(spec, study, RunOptions(poll_interval=0.05), Notes())
        assert outcome == Outcome("finished", outcome.reason)
        with Store.open(study) as store:
            trials = store.trials()
            assert store.study_status().status == "finished"
        assert [t.id for t in trials] == [1, 2, 3]
        assert all(t.status.terminal for t in trials)
        assert any(t.values for t in trials), "no trial brought its objective back"
        for trial in trials:
            assert set(trial.params) == set(spec.search_space)

    def test_cancel_stops_a_running_job_and_again_is_not_an_error(
            self, h: Harness, tmp_path: Path) -> None:
        study = tmp_path / "study"
        h.backend.run(h.spec(trials=2, slow=True), study,
                      RunOptions(detach=True, poll_interval=0.05), Notes())
        handle = _handle(study)
        _wait_for("a running trial", lambda: h.backend.job_status(handle).trials_running > 0)
        assert h.backend.cancel(study) == handle
        _wait_for("the job to stop", lambda: h.backend.job_status(handle).done)
        assert h.backend.job_status(handle).state.value == "stopped"
        h.backend.cancel(study)  # a job that has ended: not an error

    def test_resubmitting_the_same_request_attaches(self, h: Harness) -> None:
        spec = h.spec(trials=2, slow=True)
        compiled = h.backend.compile(spec)
        first = h.backend.submit(spec, compiled)
        jobs = h.jobs()
        again = h.backend.submit(spec, h.backend.compile(spec))
        try:
            assert again.handle == first.handle and again.attached
            assert again.notes and "already exists from this same request" in again.notes[0]
            assert h.jobs() == jobs, "a second job was created"
        finally:
            h.backend.cancel_job(first.handle)

    # -- faults --------------------------------------------------------------------------
    def test_throttling_is_retried(self, h: Harness, tmp_path: Path) -> None:
        retried: list[BaseException] = []
        h.backend.on_retry = retried.append
        h.inject("create", "throttle", 2)
        h.inject("status", "throttle", 1)
        try:
            outcome = h.backend.run(h.spec(trials=1), tmp_path / "study",
                                    RunOptions(poll_interval=0.05), Notes())
        finally:
            h.backend.on_retry = None
        assert outcome.status == "finished"
        assert h.calls("create") == 3
        assert len(retried) == 3

    def test_access_denied_is_not_retried(self, h: Harness) -> None:
        retried: list[BaseException] = []
        h.backend.on_retry = retried.append
        h.inject("status", "deny", 5)
        try:
            with pytest.raises(CloudCallError) as info:
                h.backend.job_status("no-such-job")
        finally:
            h.backend.on_retry = None
        assert info.value.kind is ErrorKind.ACCESS
        assert str(info.value).startswith(f"{h.backend.name}: access denied")
        assert len(str(info.value).splitlines()) == 1
        assert h.calls("status") == 1 and retried == []

    def test_a_failed_upload_rolls_back_and_leaves_no_study(
            self, h: Harness, tmp_path: Path) -> None:
        jobs = h.jobs()
        h.inject("upload", "error", 1000)
        study = tmp_path / "study"
        with pytest.raises(BackendError):
            h.backend.run(h.spec(trials=1), study, RunOptions(poll_interval=0.05), Notes())
        assert not study.exists(), sorted(p.name for p in study.iterdir())
        assert h.jobs() == jobs
