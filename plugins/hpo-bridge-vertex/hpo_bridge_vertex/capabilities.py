"""What Vertex AI and AI Platform Training cannot express, as data (checked by the kit's
one function); gaps only a translator sees are recorded through the same `Issues`."""

from __future__ import annotations

from hpo_bridge.backends import Gap, Issues
from hpo_bridge.spec.pbt import PBT_OPTIONS

HYPERTUNE = "contract vertex (--name=value arguments, metrics through cloudml-hypertune)"
_DROPPED = "dropped"


def _common(cloud: str, stopping: str) -> dict[str, Gap]:
    return {
        "objectives.multi": Gap(
            "multi-objective optimisation ({value} objectives)", "a single objective",
            "only the first objective, {spec.primary.metric!r}, is optimised"),
        "strategy.algorithm=sobol": Gap("algorithm sobol", "RANDOM_SEARCH", "RANDOM_SEARCH"),
        "strategy.algorithm=hyperband": Gap(
            "algorithm hyperband", f"Bayesian search with {stopping}",
            f"Bayesian search with {stopping}"),
        "strategy.algorithm=bohb": Gap(
            "algorithm bohb", f"Bayesian search with {stopping}",
            f"Bayesian search with {stopping}"),
        "strategy.algorithm=pbt": Gap(
            "algorithm pbt (population-based training)",
            f"Bayesian search with {stopping} (no trial continues another's checkpoint)",
            "Bayesian search (no exploit or explore)"),
        **{f"strategy.{option}": Gap(f"option {option}",
                                     f"{cloud}'s own search has no such setting", "ignored")
           for option in ("sampler", "n_startup_trials", "reduction_factor", "brackets",
                          *PBT_OPTIONS)},
        "strategy.options": Gap("searcher options ({value})", f"{cloud} takes none", "ignored"),
        "early_stopping.policy=bandit": Gap("policy bandit", stopping, stopping),
        "early_stopping.policy=truncation": Gap("policy truncation", stopping, stopping),
        "early_stopping.policy=median": Gap(
            "policy median (Azure's: compares with every trial at the interval)",
            f"{stopping} (compares with completed trials)", stopping),
        "early_stopping.policy=auto": Gap(
            "policy auto (Azure's median, delay 5)",
            f"{stopping} (compares with completed trials)", stopping),
        "early_stopping.policy=hyperband": Gap("policy hyperband", stopping, stopping),
        "limits.target_value": Gap("a target value", "maxTrials", _DROPPED),
        "limits.max_trials_without_improvement": Gap(
            "a limit on trials without improvement", "maxTrials", _DROPPED),
        "limits.max_duration": Gap("a limit on the job's duration",
                                   "cancel the job (hpo-bridge cancel)", _DROPPED),
        **{f"search_space.distribution={name}": Gap(
            f"distribution {name}", "a DOUBLE range (UNIT_LINEAR_SCALE or UNIT_LOG_SCALE)",
            "a range of mu +- 3 sigma")
           for name in ("normal", "lognormal", "qnormal", "qlognormal")},
        "search_space.distribution=qloguniform": Gap(
            "distribution qloguniform (log-weighted draws)",
            "DISCRETE values (drawn uniformly)", "DISCRETE values of its grid"),
        **{f"trial.contract={name}": Gap(f"contract {name}", HYPERTUNE)
           for name in ("local", "sagemaker", "azure", "vega")},
        "trial.devices": Gap("device assignment", "accelerator_type and accelerator_count",
                             _DROPPED),
        "trial.python": Gap("a chosen Python interpreter", "the image's Python", _DROPPED),
        "trial.fullytrain": Gap("a fully-train stage",
                                "a separate job with the best hyperparameters", _DROPPED),
        "trial.resource": Gap("a multi-fidelity resource", "a fixed budget in trial.args",
                              _DROPPED),
        "trial.args.bare_flag": Gap("a bare flag (no value)", "a string or number value"),
    }


MEDIAN = "median automated stopping"
VERTEX: dict[str, Gap] = {
    **_common("Vertex AI", MEDIAN),
    # A HyperparameterTuningJob starts from nothing (AI Platform's resumePreviousJobId has
    # no Vertex AI counterpart).
    "warm_start": Gap("warm start from {value}",
                      "a new tuning job without earlier trials, or AI Platform's"
                      " resumePreviousJobId (--backend aiplatform)",
                      "the earlier trials are not used"),
}
AIPLATFORM: dict[str, Gap] = {
    **_common("AI Platform", "enableTrialEarlyStopping"),
    "objective.measurement=best": Gap(
        "measurement best", "the final value reported (AI Platform has no selection)",
        "the final value is used"),
    "search_space.condition": Gap(
        "a conditional parameter (active when {value.parent} is one of {value.values})",
        "an unconditional parameter (or Vertex AI's conditional_parameter_specs)",
        "the condition is dropped: the parameter is always sampled"),
    "warm_start.type=transfer": Gap(
        "a transfer warm start (other data or code)",
        "resumePreviousJobId, which continues the same job (identical)",
        "continued as identical"),
    "early_stopping.policy=decay_curve": Gap(
        "policy decay_curve", "enableTrialEarlyStopping (its own rule)",
        "enableTrialEarlyStopping"),
}


# Algorithms with a native form; bayesian leaves `algorithm` unset (the services' default).
NATIVE_ALGORITHMS = {"random": "RANDOM_SEARCH", "grid": "GRID_SEARCH", "bayesian": None}


def unknown_algorithm(issues: Issues, name: str, table: dict[str, Gap]) -> None:
    """A searcher neither cloud has and no table entry names (a plugin's): one line, no
    approximation (silently searching another way would be wrong)."""
    if name not in NATIVE_ALGORITHMS and f"strategy.algorithm={name}" not in table:
        issues.add("strategy.algorithm", f"algorithm {name}",
                   "Bayesian search (the default), RANDOM_SEARCH or GRID_SEARCH")
