"""What SageMaker's tuner cannot express, as data (checked by the kit's one function)."""

from __future__ import annotations

from hpo_bridge.backends import Gap
from hpo_bridge.spec.pbt import PBT_OPTIONS

BACKEND = "sagemaker"
NOT_SAGEMAKER_CONTRACT = (
    "contract sagemaker (script mode: --name value arguments, metrics from the log)")

CAPABILITIES: dict[str, Gap] = {
    "objectives.multi": Gap(
        "multi-objective optimisation ({value} objectives)", "a single objective",
        "only the first objective, {spec.primary.metric!r}, is optimised"),
    "objective.measurement=best": Gap(
        "measurement best", "the final value the training job reports (measurement last)",
        "the final value is used"),
    "search_space.condition": Gap(
        "a conditional parameter (active when {value})",
        "an unconditional range", "the condition is dropped: the parameter is always sampled"),
    "forbidden": Gap(
        "forbidden combinations ({value} of them)",
        "none: SageMaker's tuner may propose any combination of the ranges",
        "dropped: the tuner may try a forbidden combination"),
    "strategy.algorithm=sobol": Gap("algorithm sobol", "strategy Random", "strategy Random"),
    "strategy.algorithm=bohb": Gap("algorithm bohb", "strategy Hyperband",
                                   "strategy Hyperband"),
    "strategy.algorithm=pbt": Gap(
        "algorithm pbt (population-based training)",
        "strategy Hyperband (stops poor training jobs; none continues another's checkpoint)",
        "strategy Hyperband: poor training jobs are stopped, none is exploited or explored"),
    # {strategy}: the SageMaker strategy the spec maps to (SageMakerBackend.capability_context)
    **{f"strategy.{option}": Gap(f"option {option}",
                                 "SageMaker's {strategy} strategy has no such setting",
                                 "ignored")
       for option in ("sampler", "n_startup_trials", "reduction_factor", "brackets",
                      *PBT_OPTIONS)},
    "strategy.options": Gap("searcher options ({value})",
                            "SageMaker's {strategy} strategy takes no options", "ignored"),
    "limits.max_failed": Gap("a limit on failed trials",
                             "none: SageMaker ends a tuning job by its own failure rules",
                             "dropped"),
    "limits.max_total_resource": Gap(
        "a total budget of {value} in the resource's units",
        "limits.max_trials (SageMaker bounds the number of training jobs)",
        "dropped: max_trials alone bounds the study"),
    **{f"trial.contract={name}": Gap(f"contract {name}", NOT_SAGEMAKER_CONTRACT)
       for name in ("vertex", "azure", "vega")},
    "trial.devices": Gap("device assignment", "backends.sagemaker.instance_type (a GPU instance)",
                         "dropped"),
    "trial.python": Gap("a chosen Python interpreter",
                        "the image's Python (backends.sagemaker.image_uri)", "dropped"),
    "trial.fullytrain": Gap("a fully-train stage",
                            "a separate training job with the best hyperparameters", "dropped"),
    "trial.check_args": Gap("passing only the arguments the script accepts",
                            "leave out of search_space and trial.args what it does not take",
                            "dropped: every argument is passed"),
    "trial.args.bare_flag": Gap("a bare flag (no value)", "a string or number value"),
}
