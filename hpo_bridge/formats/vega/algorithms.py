"""Vega's `search_algorithm`: its type and policy as the unified strategy and limits.

    RandomSearch      random      policy.num_sample (10) trials
    GridSearch        grid        every combination
    RandomParetoHpo   random      total_epochs // max_epochs trials of max_epochs each
                                  (several objective_keys: a Pareto front)
    AshaHpo           hyperband   reduction_factor eta
    BohbHpo           bohb        reduction_factor eta
    BossHpo           bohb        (BOSS's sub-sampling comparisons have no equivalent:
                                  its nearest, model-based successive halving)
    BayesSearch       bayesian    num_samples trials, warmup_count startup trials, tuner
                                  TPE or GP (RF: TPE, its nearest)
    PBTHpo            pbt         population_size config_count, perturbation_interval
                                  each_epochs, synch (rounds), each_epochs * total_rungs
                                  epochs per member

The budget of the multi-fidelity algorithms is given in epochs (`total_epochs`; -1
means "use num_samples and max_epochs"): it becomes `limits.max_total_resource`, which
the tuner honours, and the number of configurations and the most epochs one trial is
given come from the same formulas Vega uses to size its brackets (`asha_design`,
`bohb_design`, `boss_design`), so a study tries as many configurations as Vega would.
Defaults are Vega's own (its *_conf.py policy classes).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from hpo_bridge.formats.vega.reading import Reading, describe, is_number, join

POLICY_DEFAULTS: dict[str, dict[str, int]] = {
    "RandomSearch": {"num_sample": 10},
    "GridSearch": {},
    "RandomParetoHpo": {"total_epochs": 10, "max_epochs": 1},
    "AshaHpo": {"total_epochs": 50, "max_epochs": 81, "num_samples": 9, "eta": 3,
                "config_count": 1},
    "BohbHpo": {"total_epochs": 81, "min_epochs": 1, "max_epochs": 81, "num_samples": 40,
                "config_count": 1, "repeat_times": 1, "eta": 3},
    "BossHpo": {"total_epochs": 81, "max_epochs": 81, "num_samples": 40, "config_count": 1,
                "repeat_times": 2},
    "BayesSearch": {"num_samples": 32, "warmup_count": 16},
    "PBTHpo": {"config_count": 16, "each_epochs": 3, "total_rungs": 200},
}
# Older Vega releases' names.
ALIASES = {"RandomPareto": "RandomParetoHpo", "BoHpo": "BayesSearch", "ASHA": "AshaHpo",
           "BOHB": "BohbHpo", "BOSS": "BossHpo", "PBT": "PBTHpo"}
NOT_POLICY = {"tuner", "prob_mutatation", "prob_crossover", "random_samples", "alg_name"}


@dataclass
class Mapped:
    """What the search algorithm becomes."""

    strategy: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    resource: dict[str, Any] | None = None
    objective_keys: list[str] = field(default_factory=lambda: ["accuracy"])


# -- Vega's sizing formulas (vega/algorithms/hpo/*_hpo.py), re-derived ------------------------
def _halving_cost(count: int, epochs: int, eta: int, floor: int = 0) -> int:
    """Epochs successive halving spends from `count` configurations at `epochs` each,
    keeping count // eta at eta times the epochs per rung (at least `floor` epochs)."""
    cost = 0
    while count > 0:
        cost += count * max(floor, epochs)
        count, epochs = int(count / eta), epochs * eta
    return cost


def asha_design(total_epochs: int, eta: int) -> tuple[int, int]:
    """(configurations, most epochs per trial) that fit `total_epochs`, as AshaHpo sizes
    them: the largest power of eta whose brackets fit, then the most configurations whose
    halving costs no more than the budget."""
    samples, epochs = 1, 1
    while samples * (1 + math.log(samples, eta)) <= total_epochs:
        samples, epochs = samples * eta, epochs * eta
    max_epochs = epochs // eta
    for count in range(samples // eta, samples + 1):
        cost = _halving_cost(count, 1, eta)
        if cost == total_epochs:
            return count, max_epochs
        if cost > total_epochs:
            return count - 1, max_epochs
    return samples, max_epochs


def _bracket_sizes(samples: int, repeat_times: int, eta: int,
                   min_epochs: int) -> tuple[list[int], list[int]]:
    """Hyperband's brackets over `samples` configurations, repeated `repeat_times`: the
    configurations each bracket starts and their first epochs (BohbHpo/BossHpo's split,
    including its way of handing out the remainder)."""
    each = (samples + repeat_times - 1) // repeat_times
    rest, counts = samples, []
    for _ in range(repeat_times):
        if rest >= each:
            counts.append(each)
            rest -= each
        else:
            counts.append(rest)
    starts: list[int] = []
    epochs: list[int] = []
    for count in counts:
        brackets: list[int] = []
        level = -1
        while True:
            level += 1
            left = count - (eta ** (level + 1) - 1) / (eta - 1)
            if left > 0:
                brackets.append(int(eta ** level))
                continue
            brackets.append(int(count) if not brackets
                            else int(count - (eta ** level - 1) / (eta - 1)))
            break
        brackets.sort(reverse=True)
        starts += brackets
        epochs += [int(min_epochs * eta ** j) for j in range(len(brackets))]
    return starts, epochs


def _bracket_design(total_epochs: int, repeat_times: int, eta: int, min_epochs: int,
                    boss: bool) -> tuple[int, int] | None:
    samples = 0
    epochs: list[int] = []
    for samples in range(4, total_epochs):
        starts, epochs = _bracket_sizes(samples, repeat_times, eta, min_epochs)
        cost = 0
        for count, first in zip(starts, epochs, strict=True):
            if count <= 0:
                continue
            floor = 0
            if boss:  # BOSS keeps a few rungs' worth of epochs for its sub-sampling tests
                rungs = int(math.sqrt(math.log(count * 3 / 2)))
                floor = first * 3 ** max(rungs - 1, 0)
            cost += _halving_cost(count, first, 3, floor)  # thirds, whatever eta (as Vega)
        if cost == total_epochs:
            break
        if cost > total_epochs:
            samples -= 1
            break
    if not epochs:
        return None
    return samples, max(epochs)


def bohb_design(total_epochs: int, repeat_times: int, eta: int,
                min_epochs: int) -> tuple[int, int] | None:
    """(configurations, most epochs per trial) as BohbHpo sizes them (its halving counts
    thirds whatever eta is, as Vega's does); None when the budget is too small (<= 4)."""
    return _bracket_design(total_epochs, repeat_times, eta, min_epochs, boss=False)


def boss_design(total_epochs: int, repeat_times: int) -> tuple[int, int] | None:
    """(configurations, most epochs per trial) as BossHpo sizes them (eta 3, from 1 epoch)."""
    return _bracket_design(total_epochs, repeat_times, 3, 1, boss=True)


# -- the mapping ------------------------------------------------------------------------------
def read_algorithm(r: Reading, section: dict[str, Any], path: str) -> Mapped:
    written = section.get("type", "RandomSearch")
    kind = ALIASES.get(str(written), str(written))
    mapped = Mapped(objective_keys=_objective_keys(r, section, path))
    if kind not in POLICY_DEFAULTS:
        r.problem(join(path, "type"), f"{written!r} cannot be mapped (hpo-bridge maps"
                  f" {', '.join(POLICY_DEFAULTS)})")
        return mapped
    r.leftovers(section, path, {"type", "policy", "objective_keys", *NOT_POLICY,
                                *POLICY_DEFAULTS[kind]}, "not mapped")
    policy = _policy(r, section, path, kind)
    where = join(path, "policy")
    r.origin("strategy.algorithm", join(path, "type"))
    multi = len(mapped.objective_keys) > 1
    if kind == "RandomSearch":
        mapped.strategy = {"algorithm": "random"}
        mapped.limits["max_trials"] = policy["num_sample"]
        r.origin("limits.max_trials", join(where, "num_sample"))
    elif kind == "GridSearch":
        mapped.strategy = {"algorithm": "grid"}
    elif kind == "RandomParetoHpo":
        mapped.strategy = {"algorithm": "random"}
        per_trial, total = policy["max_epochs"], policy["total_epochs"]
        mapped.limits.update(max_trials=max(total // per_trial, 1), max_total_resource=total)
        mapped.resource = {"name": "epochs", "min": per_trial, "max": per_trial}
        r.origin("limits", where)
        if not multi:
            r.note(join(path, "objective_keys"), "one objective key: the Pareto front is the"
                   " best trial")
    elif kind == "BayesSearch":
        _bayes(r, section, policy, mapped, path)
    elif kind == "PBTHpo":
        _pbt(r, policy, mapped, path)
    else:
        _successive_halving(r, kind, policy, mapped, where)
        if multi:
            r.problem(join(path, "objective_keys"), f"{kind} optimises one objective here"
                      " (hpo-bridge's multi-fidelity search takes a single objective)")
    return mapped


def _pbt(r: Reading, policy: dict[str, int], mapped: Mapped, path: str) -> None:
    """Vega's PBT runs in rounds (rungs) of each_epochs, every member a new worker from
    its checkpoint; after a round the 4 worst copy the 4 best and perturb each value by
    0.9 or 1.1 (or keep it, with probability 0.2). The trials are the members' segments:
    config_count x total_rungs of them (the spec's default for pbt)."""
    count = policy["config_count"]
    mapped.strategy = {
        "algorithm": "pbt", "population_size": count,
        "perturbation_interval": policy["each_epochs"], "synch": True,
        "quantile_fraction": min(4 / count, 0.5) if count else 0.25,
        "perturbation_factors": [0.9, 1.1], "resample_probability": 0.0}
    mapped.resource = {"name": "epochs", "min": 1,
                       "max": policy["each_epochs"] * policy["total_rungs"]}
    r.origin("strategy", path)
    r.note(join(path, "type"), "PBTHpo: each of the 4 worst copies a top member drawn at"
           " random (Vega pairs the worst with the best), and perturbs every value (Vega"
           " keeps one unchanged with probability 0.2)")


def _objective_keys(r: Reading, section: dict[str, Any], path: str) -> list[str]:
    keys = section.get("objective_keys", "accuracy")
    if isinstance(keys, str):
        keys = [keys]
    if not isinstance(keys, list) or not keys or not all(isinstance(k, str) and k for k in keys):
        r.problem(join(path, "objective_keys"), f"must be a key or a list of keys (got"
                  f" {describe(keys)})")
        return ["accuracy"]
    return list(dict.fromkeys(keys))


def _policy(r: Reading, section: dict[str, Any], path: str, kind: str) -> dict[str, int]:
    """The policy with Vega's defaults; BayesSearch also reads its options at the top."""
    given = r.mapping(section.get("policy"), join(path, "policy"))
    values = dict(POLICY_DEFAULTS[kind])
    for key, value in given.items():
        where = join(path, f"policy.{key}")
        if key not in values and key not in NOT_POLICY:
            r.note(where, f"not mapped ({kind} takes {', '.join(values) or 'no policy'})")
        elif key in values:
            if not (isinstance(value, int) and not isinstance(value, bool)):
                r.problem(where, f"must be a whole number (got {describe(value)})")
            elif value < (-1 if key == "total_epochs" else 1) or value == 0:
                r.problem(where, f"must be at least 1 (got {value})")
            else:
                values[key] = value
    if kind == "BayesSearch":  # Vega's BayesConfig takes these beside the policy too
        for key in ("num_samples", "warmup_count"):
            if is_number(section.get(key)):
                values[key] = int(section[key])
    return values


def _bayes(r: Reading, section: dict[str, Any], policy: dict[str, int], mapped: Mapped,
           path: str) -> None:
    mapped.strategy = {"algorithm": "bayesian", "n_startup_trials": policy["warmup_count"]}
    mapped.limits["max_trials"] = policy["num_samples"]
    tuner = str(section.get("tuner") or section.get("policy", {}).get("tuner") or "RF").upper()
    if tuner == "GP":
        mapped.strategy["sampler"] = "gp"
    elif tuner != "TPE":
        r.note(join(path, "tuner"), f"{tuner}: hpo-bridge's bayesian search models with TPE"
               " (its nearest) or GP")
    for key in ("prob_mutatation", "prob_crossover"):
        if key in section:
            r.note(join(path, key), "not mapped: a genetic algorithm's setting")


def _successive_halving(r: Reading, kind: str, policy: dict[str, int], mapped: Mapped,
                        where: str) -> None:
    eta = policy.get("eta", 3)
    min_epochs = policy.get("min_epochs", 1)
    total = policy["total_epochs"]
    if kind == "BossHpo":
        r.note(where, "BossHpo runs as bohb: BOSS's sub-sampling comparisons have no"
                      " equivalent; its nearest is model-based successive halving")
        if policy["max_epochs"] < 3:
            r.problem(join(where, "max_epochs"), "BossHpo needs at least 3 epochs")
            return
    if eta < 2:
        r.problem(join(where, "eta"), f"must be at least 2 (got {eta})")
        return
    if total == -1:
        samples, max_epochs = policy["num_samples"], policy["max_epochs"]
        r.origin("limits.max_trials", join(where, "num_samples"))
    else:
        if kind == "AshaHpo":
            design: tuple[int, int] | None = asha_design(total, eta)
        elif kind == "BohbHpo":
            design = bohb_design(total, policy["repeat_times"], eta, min_epochs)
        else:
            design = boss_design(total, policy["repeat_times"])
        if design is None or design[0] < 1 or design[1] < min_epochs:
            r.problem(join(where, "total_epochs"), f"{total} epochs are too few for {kind}"
                      " to size one bracket")
            return
        samples, max_epochs = design
        mapped.limits["max_total_resource"] = total
        r.origin("limits", join(where, "total_epochs"))
    mapped.strategy = {"algorithm": "hyperband" if kind == "AshaHpo" else "bohb",
                       "reduction_factor": eta}
    mapped.limits["max_trials"] = samples
    mapped.resource = {"name": "epochs", "min": min_epochs, "max": max(max_epochs, min_epochs)}
    r.origin("trial.resource", where)
    if kind != "AshaHpo" and policy["repeat_times"] != POLICY_DEFAULTS[kind]["repeat_times"] \
            and total == -1:
        r.note(join(where, "repeat_times"), "not mapped: it sizes the brackets only through"
               " total_epochs")
    if policy.get("config_count", 1) != 1:
        r.note(join(where, "config_count"), "not mapped: each trial is one configuration")
