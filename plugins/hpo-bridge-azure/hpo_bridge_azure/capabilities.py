"""What an Azure ML v2 sweep job cannot express, as data (checked by the kit's one function)."""

from __future__ import annotations

from hpo_bridge.backends import Gap
from hpo_bridge.spec.pbt import PBT_OPTIONS

BACKEND = "azure"
# Gap texts go through str.format: "{{" is a literal brace.
AZURE_CONTRACT = ("contract azure (${{{{search_space.X}}}} in trial.command, metrics logged"
                  " with mlflow)")

CAPABILITIES: dict[str, Gap] = {
    "objectives.multi": Gap(
        "multi-objective optimisation ({value} objectives)", "a single objective.primary_metric",
        "only the first objective, {spec.primary.metric!r}, is optimised"),
    "objective.measurement=best": Gap(
        "measurement best", "the value the sweep reads for each trial (measurement last)",
        "the last value is used"),
    "search_space.condition": Gap(
        "a conditional parameter (active when {value})",
        "an unconditional parameter (a v2 sweep job's search space has no conditions)",
        "the condition is dropped: the parameter is always sampled"),
    "forbidden": Gap(
        "forbidden combinations ({value} of them)",
        "none: a sweep samples every combination of its search space",
        "dropped: the sweep may try a forbidden combination"),
    "strategy.algorithm=hyperband": Gap(
        "algorithm hyperband", "random sampling with an early_termination policy",
        "random sampling (hyperband's rungs are dropped)"),
    "strategy.algorithm=bohb": Gap(
        "algorithm bohb", "bayesian sampling", "bayesian sampling (no rungs)"),
    "strategy.algorithm=pbt": Gap(
        "algorithm pbt (population-based training)",
        "random sampling with a bandit early_termination policy (no trial continues"
        " another's checkpoint)", "random sampling (no exploit or explore)"),
    # {sampling}: the sampling algorithm the spec maps to (AzureBackend.capability_context)
    **{f"strategy.{option}": Gap(f"option {option}",
                                 "Azure ML's {sampling} sampling has no such setting", "ignored")
       for option in ("sampler", "n_startup_trials", "reduction_factor", "brackets",
                      *PBT_OPTIONS)},
    "strategy.options": Gap("searcher options ({value})",
                            "Azure ML's {sampling} sampling takes no options", "ignored"),
    "early_stopping.policy=hyperband": Gap(
        "policy hyperband", "early_termination bandit, median_stopping or truncation_selection",
        "median_stopping with the same evaluation_interval and delay_evaluation"),
    "limits.max_failed": Gap("a limit on failed trials",
                             "none: a sweep goes on after failed trials", "dropped"),
    "limits.target_value": Gap("a target value",
                               "none: a sweep ends at max_total_trials or its timeout",
                               "dropped"),
    "limits.max_trials_without_improvement": Gap(
        "a limit on trials without improvement",
        "none: a sweep ends at max_total_trials or its timeout", "dropped"),
    "limits.max_total_resource": Gap(
        "a total budget of {value} in the resource's units",
        "limits.max_trials (a sweep bounds its trials: max_total_trials)",
        "dropped: max_trials alone bounds the sweep"),
    "trial.check_args": Gap(
        "passing only the arguments the script accepts",
        "name in trial.command only what the script takes (${{{{search_space.X}}}})",
        "dropped: the command passes what it names"),
    "trial.contract=local": Gap(
        "contract local", AZURE_CONTRACT,
        "each parameter is passed as --name=${{{{search_space.name}}}}; the script must log"
        " its metrics with mlflow"),
    **{f"trial.contract={name}": Gap(f"contract {name}", AZURE_CONTRACT)
       for name in ("sagemaker", "vertex", "vega")},
    "trial.devices": Gap("device assignment",
                         "backends.azure.instance_type (a GPU VM size) and distribution",
                         "dropped"),
    "trial.python": Gap("a chosen Python interpreter",
                        "the environment's Python (backends.azure.environment)", "dropped"),
    "trial.fullytrain": Gap("a fully-train stage",
                            "a command job with the best trial's parameters", "dropped"),
    "trial.resource": Gap("a multi-fidelity resource", "a fixed budget in trial.args",
                          "dropped: every trial runs its full budget"),
    "trial.args.bare_flag": Gap("a bare flag (no value)", "a literal input with a value"),
    # v1 HyperDrive had resume_from / resume_child_runs; a v2 sweep job has no form of it.
    "warm_start": Gap("warm start from {value}",
                      "a new sweep without earlier trials (v2 sweep jobs have no warm start),"
                      " or the study on the local backend",
                      "the earlier trials are not used"),
}
