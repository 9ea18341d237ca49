"""Population-based training as a searcher (Jaderberg et al., 2017): the `pbt` strategy.

A population of `population_size` members trains in segments of
`perturbation_interval` resource units (e.g. epochs): each segment is one trial,
told to train up to the segment's end (`Suggestion.resource`) from the checkpoint
of the trial it continues (`restore_from`, `start`); the first segment of a member
starts from scratch with a random configuration. When a segment ends, its member is
judged (core/pbt/exploit.py) against the latest results of the members still
training: in the bottom quantile it *exploits* - its next segment continues the
checkpoint of a top member, with that member's configuration *explored*
(core/pbt/explore.py); otherwise it continues its own checkpoint with its own
configuration. A member stops at the resource's max. Its score is the last value
its segment reported (PBT compares the models as they are now, whatever the
objective's `measurement`).

Segments make every checkpoint a finished trial's: a donor's checkpoint never
changes while it is copied, and a segment's start is exact (Vega's PBT runs this
way too; Ray Tune and Syne Tune restart only the exploited trials, copying a donor
that is still running). A member whose segment failed (or timed out) is replaced:
it copies a top member like a bottom one, or draws a new configuration when no
member has a result yet.

Asynchronous by default: a member is judged once its segment ended, when the tuner
next asks (so members whose segments end together are told before any is judged,
and are judged in the order they were told, against one ranking); with `synch` the
population moves in rounds: every member is judged at once when the last segment
of the round ends. The searcher is `waiting()` while every member trains (or,
synchronously, until the round ends); `ask` returns None once every member reached
the end. The least trained member's segment goes first, so members keep pace when
fewer than the population run at once.

Deterministic for a seed: member m's first configuration draws from numpy's
generator seeded (seed, 0, m), the k-th decision that draws from (seed, 1, k), so
a resumed searcher (its state, then the journal's backlog replayed) decides
exactly as the uninterrupted one.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from hpo_bridge.core import space
from hpo_bridge.core.pbt.exploit import Ranked, donor, quantiles, ranking
from hpo_bridge.core.pbt.explore import explore
from hpo_bridge.core.pbt.settings import PBTSettings
from hpo_bridge.core.searchers.base import Searcher, Suggestion
from hpo_bridge.core.searchers.random_search import strategy_seed
from hpo_bridge.core.trial import TrialStatus

if TYPE_CHECKING:
    from hpo_bridge.spec import TuningSpec

_INIT, _DECIDE = 0, 1  # the two seed streams: first configurations, decisions


@dataclass
class Member:
    number: int
    params: dict[str, Any]
    trial: int | None = None  # its latest finished trial: the checkpoint it continues
    progress: int = 0  # intervals that trial trained to
    value: float | None = None  # that trial's last reported value
    running: int | None = None  # its trial now training
    failed: str | None = None  # why its last trial gave no result (it is then replaced)
    done: bool = False  # reached the resource's max


@dataclass
class Segment:
    """A trial planned for a member."""

    member: int
    params: dict[str, Any]
    end: int
    origin: str
    source: int | None = None
    start: int = 0


@dataclass
class _State:
    members: list[Member] = field(default_factory=list)
    ready: list[Segment] = field(default_factory=list)
    trial_member: dict[int, int] = field(default_factory=dict)
    trial_end: dict[int, int] = field(default_factory=dict)
    last: dict[int, float] = field(default_factory=dict)
    decisions: int = 0
    pending: list[int] = field(default_factory=list)  # members to judge, in the order told


class PBTSearcher(Searcher):
    def __init__(self, spec: TuningSpec) -> None:
        super().__init__(spec)
        self.settings = PBTSettings.from_spec(spec)
        self.seed = strategy_seed(spec)
        self.sign = 1.0 if spec.primary.goal == "maximize" else -1.0
        resource = spec.trial.resource
        name = resource.name if resource is not None else "epochs"
        self.unit = name[:-1] if name.endswith("s") else name
        self.state = _State()
        space.ordered_names(spec)  # fail now, not at the first ask, on a condition cycle

    # -- Searcher -------------------------------------------------------------------------
    def waiting(self) -> bool:
        self._judge()
        s = self.state
        return (not s.ready and len(s.members) >= self.settings.population_size
                and not all(m.done for m in s.members))

    def ask(self, trial_id: int) -> Suggestion | None:
        self._judge()
        s = self.state
        if len(s.members) < self.settings.population_size:
            segment = self._new_member()
        elif s.ready:  # the least trained first, so the members keep pace with each other
            segment = s.ready.pop(min(range(len(s.ready)), key=lambda i: s.ready[i].start))
        else:
            return None  # every member reached the end
        member = s.members[segment.member]
        member.params, member.running = dict(segment.params), trial_id
        s.trial_member[trial_id] = member.number
        s.trial_end[trial_id] = segment.end
        return Suggestion(dict(segment.params), resource=segment.end,
                          restore_from=segment.source, start=segment.start,
                          origin=segment.origin)

    def report(self, trial_id: int, interval: int, value: float) -> None:
        if trial_id in self.state.trial_member:
            self.state.last[trial_id] = float(value)

    def tell(self, trial_id: int, status: TrialStatus, value: float | list[float] | None) -> None:
        s = self.state
        number = s.trial_member.get(trial_id)
        if number is None:
            return
        member = s.members[number]
        if member.running == trial_id:
            member.running = None
        last = s.last.get(trial_id)
        if status.counts_as_result and last is not None:
            member.trial, member.value, member.failed = trial_id, last, None
            member.progress = s.trial_end[trial_id]
            member.done = member.progress >= self.settings.max_resource
        else:
            member.failed = f"trial {trial_id} {status.value}"
        if not member.done and member.number not in s.pending:
            s.pending.append(member.number)

    def state_dict(self) -> dict[str, Any]:
        s = self.state
        return {
            "seed": self.seed,
            "members": [asdict(m) for m in s.members],
            "ready": [asdict(g) for g in s.ready],
            "trial_member": {str(k): v for k, v in s.trial_member.items()},
            "trial_end": {str(k): v for k, v in s.trial_end.items()},
            "last": {str(k): v for k, v in s.last.items()},
            "decisions": s.decisions,
            "pending": list(s.pending),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.seed = int(state["seed"])
        self.state = _State(
            members=[Member(**m) for m in state["members"]],
            ready=[Segment(**g) for g in state["ready"]],
            trial_member={int(k): int(v) for k, v in state["trial_member"].items()},
            trial_end={int(k): int(v) for k, v in state["trial_end"].items()},
            last={int(k): float(v) for k, v in state["last"].items()},
            decisions=int(state["decisions"]),
            pending=[int(m) for m in state["pending"]],
        )

    # -- decisions ------------------------------------------------------------------------
    def _new_member(self) -> Segment:
        number = len(self.state.members)
        rng = np.random.default_rng([self.seed, _INIT, number])
        params = space.sample(self.spec, rng)
        self.state.members.append(Member(number, params))
        return Segment(number, params, self._end(0), f"member {number}: a random configuration")

    def _end(self, start: int) -> int:
        return min(start + self.settings.perturbation_interval, self.settings.max_resource)

    def _rng(self) -> np.random.Generator:
        rng = np.random.default_rng([self.seed, _DECIDE, self.state.decisions])
        self.state.decisions += 1
        return rng

    def _judge(self) -> None:
        """Decide for the members told since (asynchronous), or for the whole population
        once its round ended (synch)."""
        s = self.state
        if not s.pending:
            return
        if self.settings.synch and (
                s.ready or len(s.members) < self.settings.population_size
                or any(m.running is not None for m in s.members)):
            return  # the round goes on
        judged = sorted(s.pending) if self.settings.synch else list(s.pending)
        s.pending = []
        self._decide([s.members[n] for n in judged])

    def _decide(self, judged: list[Member]) -> None:
        """Plan the next segment of each judged member (in member order), exploiting for
        those in the bottom quantile (or whose trial failed)."""
        members = self.state.members
        ranked = [Ranked(m.number, self.sign * m.value) for m in members
                  if m.value is not None and not m.done and m.failed is None]
        bottom, top = quantiles(ranked, self.settings.quantile_fraction)
        order = ranking(ranked)
        rng: np.random.Generator | None = None
        for member in judged:
            donors = [d for d in top if d != member.number]
            if member.failed is None and member.number not in bottom:
                self.state.ready.append(self._continue(member, order))
                continue
            rng = rng or self._rng()
            if donors:
                self.state.ready.append(
                    self._exploit(member, members[donor(donors, rng)], order, rng))
            else:  # nothing to copy yet: a failed member starts again
                params = space.sample(self.spec, rng)
                self.state.ready.append(Segment(
                    member.number, params, self._end(0),
                    f"member {member.number}: {member.failed}; a new random configuration"))

    def _continue(self, member: Member, order: list[int]) -> Segment:
        assert member.trial is not None
        rank = f", rank {_rank(order, member.number)}" if member.number in order else ""
        return Segment(
            member.number, dict(member.params), self._end(member.progress),
            f"member {member.number} continues trial {member.trial}"
            f" ({_num(member.value)} at {self.unit} {member.progress}{rank})",
            member.trial, member.progress)

    def _exploit(self, member: Member, source: Member, order: list[int],
                 rng: np.random.Generator) -> Segment:
        assert source.trial is not None
        params, changes = explore(source.params, self.spec.search_space, self.settings, rng)
        share = f"{self.settings.quantile_fraction:.0%}"
        if member.failed is not None:
            why = member.failed
        else:
            why = (f"trial {member.trial} ({_num(member.value)} at {self.unit}"
                   f" {member.progress}, rank {_rank(order, member.number)}) is in the"
                   f" bottom {share}")
        explored = "; ".join(c.text() for c in changes) or "no change"
        origin = (f"member {member.number}: {why}; copies trial {source.trial}"
                  f" ({_num(source.value)} at {self.unit} {source.progress}, rank"
                  f" {_rank(order, source.number)}, top {share}); explore: {explored}")
        return Segment(member.number, params, self._end(source.progress), origin,
                       source.trial, source.progress)


def _rank(order: list[int], number: int) -> str:
    """'k of n', best first."""
    return f"{len(order) - order.index(number)} of {len(order)}"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"
