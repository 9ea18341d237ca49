"""hpo-bridge's own components, registered through the same hooks as any plugin.

Factories are "module:attribute" strings so that listing plugins or
validating a spec imports none of them.
"""

from __future__ import annotations

from typing import Any

from hpo_bridge.hookspecs import hookimpl

SEARCHERS = {
    "random": ("hpo_bridge.core.searchers.random_search:RandomSearcher",
               "independent samples from every domain"),
    "grid": ("hpo_bridge.core.searchers.grid:GridSearcher",
             "the exhaustive product of finite domains, in spec order"),
    "sobol": ("hpo_bridge.core.searchers.sobol:SobolSearcher",
              "scrambled Sobol points (scipy.stats.qmc)"),
    "bayesian": ("hpo_bridge.core.searchers.bayesian:BayesianSearcher",
                 "optuna's TPE (default) or GP sampler behind ask/tell"),
    "hyperband": ("hpo_bridge.core.searchers.hyperband:HyperbandSearcher",
                  "asynchronous successive halving (ASHA) over brackets"),
    "bohb": ("hpo_bridge.core.searchers.bohb:BOHBSearcher",
             "hyperband rungs with TPE proposals"),
    "pbt": ("hpo_bridge.core.searchers.pbt:PBTSearcher",
            "population-based training: exploit and explore from checkpoints"),
}

STOPPING_RULES = {
    "bandit": ("hpo_bridge.core.stopping.bandit:BanditRule",
               "stop outside slack of the best trial at the same interval"),
    "median": ("hpo_bridge.core.stopping.median:MedianRule",
               "stop below the median of running averages"),
    "truncation": ("hpo_bridge.core.stopping.truncation:TruncationRule",
                   "stop the lowest X% at each evaluation interval"),
    "hyperband": ("hpo_bridge.core.stopping.hyperband:HyperbandRule",
                  "ASHA rung decisions"),
    "auto": ("hpo_bridge.core.stopping.median:auto_rule",
             "median with evaluation_interval 1 and delay_evaluation 5"),
    "vertex_median": ("hpo_bridge.core.stopping.vertex_median:VertexMedianRule",
                      "Vertex AI's median: below the median running average of completed"
                      " trials"),
    "decay_curve": ("hpo_bridge.core.stopping.decay_curve:DecayCurveRule",
                    "Vertex AI's decay curve: a Gaussian process predicts the final value"
                    " (scikit-learn)"),
    "previous_median": ("hpo_bridge.core.stopping.previous_median:PreviousMedianRule",
                        "SageMaker's Auto: stop below the median of earlier trials'"
                        " running averages at the same interval"),
}

EXECUTORS = {
    "process": ("hpo_bridge.executors.process:ProcessExecutor",
                "each trial a subprocess under its contract"),
    "simulator": ("hpo_bridge.executors.simulator:SimulatorExecutor",
                  "simulated time over benchmark functions or a table"),
    "ray": ("hpo_bridge.executors.raycluster.executor:RayExecutor",
            "each trial on a Ray cluster node under its contract (backends.ray)"),
}
# Settings models of components, validated under `backends.<name>` in a spec.
SETTINGS = {
    ("executors", "ray"): "hpo_bridge.executors.raycluster.settings:RaySettings",
}

CONTRACTS = {
    "local": ("hpo_bridge.contracts.local:LocalContract",
              "--name=value args; regexes and hpo_bridge.report() lines"),
    "sagemaker": ("hpo_bridge.contracts.sagemaker:SageMakerContract",
                  "script mode: --name value, SM_* variables, MetricDefinitions regexes"),
    "vertex": ("hpo_bridge.contracts.vertex:VertexContract",
               "--name=value args; cloudml-hypertune metric file"),
    "azure": ("hpo_bridge.contracts.azure:AzureContract",
              "${{search_space.X}} substitution; MLflow metrics"),
    "vega": ("hpo_bridge.contracts.vega:VegaContract",
             "--name=value, PIPESTEP/EPOCHS/DEVICE_ID; <objective>.json"),
}

FORMATS = {
    "vega": ("hpo_bridge.formats.vega:VegaFormat",
             "Huawei Vega's hpo.yml (read) and task layout (export)"),
}

BACKENDS = {
    "local": ("hpo_bridge.backends.local:LocalBackend",
              "the local emulator: hpo-bridge's core drives trial processes"),
}


def _register_all(register: Any, table: dict[str, tuple[str, str]], kind: str = "") -> None:
    for name, (factory, description) in table.items():
        settings = SETTINGS.get((kind, name))
        if settings is None:
            register(name, factory, description=description)
        else:
            register(name, factory, description=description, settings=settings)


@hookimpl
def register_searchers(register: Any) -> None:
    _register_all(register, SEARCHERS)


@hookimpl
def register_stopping_rules(register: Any) -> None:
    _register_all(register, STOPPING_RULES)


@hookimpl
def register_executors(register: Any) -> None:
    _register_all(register, EXECUTORS, "executors")


@hookimpl
def register_contracts(register: Any) -> None:
    _register_all(register, CONTRACTS)


@hookimpl
def register_backends(register: Any) -> None:
    _register_all(register, BACKENDS)


@hookimpl
def register_formats(register: Any) -> None:
    _register_all(register, FORMATS)
