"""The public kit for backends: what every place a study runs stands on.

A cloud plugin subclasses `NativeBackend` and keeps only its settings model, its
translation, its importer and its SDK calls; everything else is here, written once:

- `Backend`, `RunOptions`, `Outcome`, `StudyView`, `TrialLogs`: the interface every kind
  of backend implements (the study facade `hpo_bridge.study` calls it);
- `NativeBackend`: template methods for a cloud's own tuner — idempotent create by
  content-hash names, follow/poll, collect, cancel ("a finished job is not an error"),
  rollback of a failed submission, SDK errors as one-line `BackendError`s;
- `Gap`, `CapabilityTable`, `Issues`, `check_capabilities`: what a cloud cannot express,
  as data, with the nearest native option and what `--approximate` does;
- `RetryPolicy`: jittered exponential backoff (tenacity) with the cloud's own predicate;
- `packaging`: the deterministic code package and its digest; `naming`: job names from
  request hashes; `paginate`: paged listings;
- `normalized_range` and the range types: every domain of the spec as one of three
  shapes a translator maps to its cloud's parameter types;
- `LocalBackend`: the driven backend (hpo-bridge's core over a local executor);
- `hpo_bridge.backends.testing`: the conformance kit any backend plugin runs against its
  emulator, and an in-memory fake cloud.

The core's trial types and the study's journal (`Store`, for a kind of backend that runs
studies itself) are re-exported, so a plugin imports nothing else of hpo_bridge besides
the spec types (`hpo_bridge.spec`).
"""

from hpo_bridge.backends.base import (
    META_BACKEND,
    Backend,
    Outcome,
    QuietView,
    RunOptions,
    StudyView,
    TrialLogs,
)
from hpo_bridge.backends.capabilities import (
    CapabilityTable,
    Gap,
    Issues,
    UsedFeature,
    check_capabilities,
    spec_features,
)
from hpo_bridge.backends.errors import (
    BackendError,
    InvalidRequest,
    JobExists,
    UnknownTrial,
    Unsupported,
    UnsupportedFeatures,
)
from hpo_bridge.backends.jobs import Compiled, JobState, JobStatus, Submission
from hpo_bridge.backends.naming import derive_name, fill_name, is_subset, request_digest
from hpo_bridge.backends.native import (
    META_HANDLE,
    CloudCallError,
    CloudError,
    ErrorKind,
    NativeBackend,
)
from hpo_bridge.backends.paging import paginate
from hpo_bridge.backends.ranges import Choice, Gaussian, NumericRange, ParamRange, normalized
from hpo_bridge.backends.retry import RetryPolicy
from hpo_bridge.backends.warm_start import NotThisBackend, earlier_job
from hpo_bridge.core.trial import Trial, TrialStatus
from hpo_bridge.store import Store, StoreError

__all__ = [
    "META_BACKEND",
    "META_HANDLE",
    "Backend",
    "BackendError",
    "CapabilityTable",
    "Choice",
    "CloudCallError",
    "CloudError",
    "Compiled",
    "ErrorKind",
    "Gap",
    "Gaussian",
    "InvalidRequest",
    "Issues",
    "JobExists",
    "JobState",
    "JobStatus",
    "NativeBackend",
    "NotThisBackend",
    "NumericRange",
    "Outcome",
    "ParamRange",
    "QuietView",
    "RetryPolicy",
    "RunOptions",
    "Store",
    "StoreError",
    "StudyView",
    "Submission",
    "Trial",
    "TrialLogs",
    "TrialStatus",
    "Unsupported",
    "UnknownTrial",
    "UnsupportedFeatures",
    "UsedFeature",
    "check_capabilities",
    "derive_name",
    "earlier_job",
    "fill_name",
    "is_subset",
    "normalized",
    "paginate",
    "request_digest",
    "spec_features",
]
