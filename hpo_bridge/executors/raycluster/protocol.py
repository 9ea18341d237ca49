"""What the Ray executor, its link process and the trial runners say to each other.

    orchestrator (RayExecutor)  --Connection-->  link process (the Ray driver)  --Ray-->  runners
    Setup, Start, Stop, Close                     Ready/Failed, Started, Batch,           (one actor
                                                  Finished, Lost, Closed                  per trial)

Plain picklable dataclasses; neither side of the Connection imports Ray for them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hpo_bridge.contracts.base import TrialContract
    from hpo_bridge.spec import TuningSpec

ACTOR_PREFIX = "runner-"  # runner actors' names: runner-<session>-<n>, in the study's namespace


# -- what a runner needs --------------------------------------------------------------------
@dataclass(frozen=True)
class RunnerJob:
    """Everything a node needs to run one trial (pickled to its runner actor)."""

    spec: TuningSpec
    contract: type[TrialContract]  # created afresh on the node, set up for its folder
    trial_id: int
    params: dict[str, Any]
    resource: int | None
    stage: str
    study_key: str  # the study's folder on a node: <node_dir>/<study_key>/
    node_dir: str | None
    gpus: float
    kill_grace: float


# -- orchestrator -> link --------------------------------------------------------------------
@dataclass(frozen=True)
class Setup:
    address: str | None
    namespace: str
    runtime_env: dict[str, Any]
    actor_options: dict[str, Any]  # num_cpus, num_gpus, memory, resources
    spread: bool  # Ray's SPREAD strategy, a new runner per trial
    reuse: bool  # an idle runner takes the study's next trial (not with spread)
    lease: float  # a runner nobody calls for that long ends its trial and exits
    unreachable_after: float


@dataclass(frozen=True)
class Start:
    job: RunnerJob


@dataclass(frozen=True)
class Stop:
    trial_id: int
    status: str
    reason: str
    grace: float


@dataclass(frozen=True)
class Close:
    grace: float


# -- link -> orchestrator --------------------------------------------------------------------
@dataclass(frozen=True)
class Ready:
    nodes: list[dict[str, Any]]  # alive nodes: {"id", "ip", "resources"}
    leftovers: list[str]  # runner actors of an earlier run of the study, now ended


@dataclass(frozen=True)
class Failed:
    """The link cannot go on (could not connect, a bug): one line for the user."""

    message: str


@dataclass(frozen=True)
class Started:
    trial_id: int
    node: dict[str, Any]  # node id, ip, hostname, folder, pid, CUDA_VISIBLE_DEVICES
    launch: str | None  # launch.json as the node wrote it (argv and env), if it ran


@dataclass(frozen=True)
class Batch:
    trial_id: int
    readings: list[tuple[str, float, str | None]] = field(default_factory=list)
    stdout: bytes = b""
    stderr: bytes = b""


@dataclass(frozen=True)
class Finished:
    trial_id: int
    status: str
    exit_code: int | None
    reason: str | None


@dataclass(frozen=True)
class Closed:
    pass


@dataclass(frozen=True)
class Note:
    """Something worth a line in the link's log (not shown to the user)."""

    text: str
