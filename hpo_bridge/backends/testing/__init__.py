"""The conformance kit: what every backend plugin proves against its emulator.

A plugin's tests subclass `BackendConformance` and give it a `harness` fixture (a
`Harness`: the backend pointed at the plugin's emulator, a small spec, and fault injection
and call counts on the emulator). The inherited tests then check the behaviour every cloud
backend must have: the compiled request equals the golden file; submit, follow to the end
and collect every trial; cancel; a second submission of the same request attaches instead
of creating; throttling is retried; an access error is not; a failed upload rolls back and
leaves no study directory.

`FakeCloud` and `FakeBackend` are an in-memory cloud and its backend, so the kit's own
machinery (follow, rollback, idempotent create, retries) is tested in the core, without a
cloud or an emulator.
"""

from hpo_bridge.backends.testing.conformance import OPERATIONS, BackendConformance, Harness
from hpo_bridge.backends.testing.fake import FakeBackend, FakeCloud, FakeHarness

__all__ = ["OPERATIONS", "BackendConformance", "FakeBackend", "FakeCloud", "FakeHarness",
           "Harness"]
