"""The conformance kit against the in-memory fake cloud, and proof that it catches broken
backends: one that creates a second job on re-submission, one that retries access errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from hpo_bridge.backends.testing import BackendConformance, FakeHarness

GOLDEN = Path(__file__).parent / "data" / "fake-golden.json"


class TestFakeBackendConformance(BackendConformance):
    @pytest.fixture
    def harness(self, tmp_path: Path) -> FakeHarness:
        return FakeHarness(tmp_path, golden=GOLDEN)


BROKEN = '''
import pytest
from pathlib import Path
from hpo_bridge.backends import CloudError, ErrorKind
from hpo_bridge.backends.testing import BackendConformance, FakeBackend, FakeHarness

{backend}

class TestBroken(BackendConformance):
    @pytest.fixture
    def harness(self, tmp_path):
        return FakeHarness(tmp_path, Broken(), golden=Path({golden!r}))
'''

CREATES_TWICE = '''
class Broken(FakeBackend):
    """Ignores that the job exists: every submission creates one more."""

    def create_job(self, spec, compiled):
        name = f"{compiled.request['name']}-{len(self.cloud.jobs)}"
        self.call("create", self.cloud.create, name, compiled.request)
        return name
'''

RETRIES_ACCESS = '''
class Broken(FakeBackend):
    """Treats "access denied" as worth another try."""

    def classify(self, exc):
        error = super().classify(exc)
        if error is not None and error.kind is ErrorKind.ACCESS:
            return CloudError(ErrorKind.RETRYABLE, error.code, error.message)
        return error
'''


@pytest.mark.parametrize(("backend", "caught"), [
    (CREATES_TWICE, "test_resubmitting_the_same_request_attaches"),
    (RETRIES_ACCESS, "test_access_denied_is_not_retried"),
])
def test_the_kit_fails_a_broken_backend(pytester: pytest.Pytester, backend: str,
                                         caught: str) -> None:
    pytester.makepyfile(test_broken=BROKEN.format(backend=backend, golden=str(GOLDEN)))
    result = pytester.runpytest("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=6, failed=1)
    assert any(caught in line and "FAILED" in line for line in result.outlines), \
        result.outlines
