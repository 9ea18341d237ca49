"""Every gap of both capability tables: the one-line error without --approximate (feature,
"not supported", nearest native option), and with it the warning and what the request
then holds."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hpo_bridge_vertex.capabilities import AIPLATFORM, VERTEX
from hpo_bridge_vertex.ml_backend import AiPlatformBackend
from hpo_bridge_vertex.vertex_backend import VertexBackend
from vertex_helpers import base_spec, make

from hpo_bridge.backends import (
    META_BACKEND,
    META_HANDLE,
    InvalidRequest,
    Store,
    UnsupportedFeatures,
)

PBT_VALUES: dict[str, Any] = {
    "population_size": 4, "perturbation_interval": 3, "quantile_fraction": 0.25,
    "resample_probability": 0.5, "perturbation_factors": [0.5, 2.0], "synch": True,
    "mutations": {"lr": {"factors": [0.5, 2.0]}},
}
# One spec change per feature key of the tables (merged into base_spec's sections).
FEATURES: dict[str, dict[str, Any]] = {
    "objectives.multi": {"objective": None, "objectives": [
        {"metric": "accuracy", "goal": "maximize"}, {"metric": "latency", "goal": "minimize"}]},
    "objective.measurement=best": {"objective": {"metric": "accuracy", "goal": "maximize",
                                                 "measurement": "best"}},
    "search_space.condition": {"search_space": {
        "opt": {"type": "categorical", "values": ["sgd", "adam"]},
        "momentum": {"type": "float", "low": 0.1, "high": 0.9,
                     "condition": {"parent": "opt", "values": ["sgd"]}}}},
    "strategy.algorithm=sobol": {"strategy": {"algorithm": "sobol"}},
    "strategy.algorithm=hyperband": {"strategy": {"algorithm": "hyperband"},
                                     "trial": {"resource": {"max": 9}}},
    "strategy.algorithm=bohb": {"strategy": {"algorithm": "bohb"},
                                "trial": {"resource": {"max": 9}}},
    "strategy.sampler": {"strategy": {"algorithm": "bayesian", "sampler": "tpe"}},
    "strategy.n_startup_trials": {"strategy": {"algorithm": "bayesian", "n_startup_trials": 3}},
    "strategy.reduction_factor": {"strategy": {"algorithm": "hyperband", "reduction_factor": 3},
                                  "trial": {"resource": {"max": 9}}},
    "strategy.brackets": {"strategy": {"algorithm": "hyperband", "brackets": 2},
                          "trial": {"resource": {"max": 9}}},
    "strategy.options": {"strategy": {"algorithm": "random", "options": {"x": 1}}},
    "early_stopping.policy=bandit": {"early_stopping": {"policy": "bandit",
                                                        "slack_factor": 0.2}},
    "early_stopping.policy=truncation": {"early_stopping": {"policy": "truncation",
                                                            "truncation_percentage": 20}},
    "early_stopping.policy=median": {"early_stopping": {"policy": "median"}},
    "early_stopping.policy=auto": {"early_stopping": {"policy": "auto"}},
    "early_stopping.policy=hyperband": {"early_stopping": {"policy": "hyperband"},
                                        "trial": {"resource": {"max": 9}}},
    "early_stopping.policy=decay_curve": {"early_stopping": {"policy": "decay_curve"}},
    "limits.target_value": {"limits": {"target_value": 0.9}},
    "limits.max_trials_without_improvement": {"limits": {"max_trials_without_improvement": 3}},
    "limits.max_duration": {"limits": {"max_duration": "2h"}},
    **{f"search_space.distribution={d}": {"search_space": {
        "w": {"distribution": d, "mu": 1.0, "sigma": 0.1, **({"q": 0.1} if d[0] == "q" else {})}}}
       for d in ("normal", "lognormal", "qnormal", "qlognormal")},
    "search_space.distribution=qloguniform": {"search_space": {
        "w": {"distribution": "qloguniform", "low": 1, "high": 10, "q": 1}}},
    **{f"trial.contract={c}": {"trial": {"contract": c}} for c in ("local", "sagemaker",
                                                                   "azure", "vega")},
    "trial.devices": {"trial": {"devices": [0, 1]}},
    "trial.python": {"trial": {"python": "python3.11"}},
    "trial.fullytrain": {"trial": {"fullytrain": {"top_k": 1}}},
    "trial.resource": {"trial": {"resource": {"max": 9}}},
    "trial.args.bare_flag": {"trial": {"args": {"verbose": None}}},
    "strategy.algorithm=pbt": {"strategy": {"algorithm": "pbt"},
                               "trial": {"resource": {"max": 9}}},
    **{f"strategy.{option}": {"strategy": {"algorithm": "pbt", option: value},
                              "trial": {"resource": {"max": 9}}}
       for option, value in PBT_VALUES.items()},
    "warm_start": {"warm_start": {"from": ["earlier_job_1"]}},
    "warm_start.type=transfer": {"warm_start": {"from": ["earlier_job_1"],
                                                "type": "transfer"}},
}
TABLES = {"vertex": (VertexBackend, VERTEX), "aiplatform": (AiPlatformBackend, AIPLATFORM)}
CASES = [(backend, key) for backend, (_, table) in TABLES.items() for key in table]


def spec_with(key: str, folder: Path) -> Any:
    data = base_spec()
    for section, change in FEATURES[key].items():
        if change is None:
            data.pop(section, None)
        elif isinstance(change, dict) and section in ("trial", "strategy", "limits"):
            data[section] = {**data.get(section, {}), **change}
        elif section == "search_space":
            data[section] = {**data[section], **change}
        else:
            data[section] = change
    if key.startswith("trial.contract=") and key != "trial.contract=azure":
        data["objective"] = {"metric": "accuracy", "goal": "maximize"}
    if key == "trial.contract=sagemaker":
        data["metrics"] = [{"name": "accuracy", "regex": "acc=([0-9.]+)"}]
    if key == "trial.contract=azure":
        data["trial"]["command"] = ["python", "train.py", "--lr", "${{search_space.lr}}",
                                    "--layers", "${{search_space.layers}}"]
    return make(data, folder)


def test_every_feature_has_a_spec() -> None:
    assert {key for _, key in CASES} <= set(FEATURES)


@pytest.mark.parametrize(("backend", "key"), CASES)
def test_each_gap_is_one_line_and_approximate_maps_it(backend: str, key: str,
                                                      tmp_path: Path) -> None:
    backend_class, table = TABLES[backend]
    spec = spec_with(key, tmp_path)
    gap = table[key]
    with pytest.raises(UnsupportedFeatures) as info:
        backend_class().compile(spec)
    lines = str(info.value).splitlines()
    mine = [line for line in lines if "(not supported; nearest: " in line
            and line.split(": ", 2)[2].startswith(gap.feature.split("{")[0])]
    assert len(mine) >= 1, lines
    assert all(line.startswith(f"{backend}: ") for line in lines)
    if gap.approximation is None:
        with pytest.raises(UnsupportedFeatures):
            backend_class().compile(spec, approximate=True)
        return
    try:
        compiled = backend_class().compile(spec, approximate=True)
    except (UnsupportedFeatures, InvalidRequest) as exc:  # another gap of the same spec
        assert key.split("=")[0] not in str(exc), str(exc)
        return
    assert any("is approximated: " in w for w in compiled.warnings), compiled.warnings


def test_median_policies_approximate_to_median_automated_stopping(tmp_path: Path) -> None:
    spec = spec_with("early_stopping.policy=median", tmp_path)
    compiled = VertexBackend().compile(spec, approximate=True)
    assert "medianAutomatedStoppingSpec" in compiled.request["studySpec"]
    assert compiled.warnings == [
        "early_stopping.policy: policy median (Azure's: compares with every trial at the"
        " interval) is approximated: median automated stopping"]
    ml = AiPlatformBackend().compile(spec, approximate=True).request
    assert ml["trainingInput"]["hyperparameters"]["enableTrialEarlyStopping"] is True


def test_normal_is_mu_plus_minus_three_sigma(tmp_path: Path) -> None:
    spec = spec_with("search_space.distribution=normal", tmp_path)
    params = VertexBackend().compile(spec, approximate=True).request["studySpec"]["parameters"]
    assert params[-1] == {"parameterId": "w", "doubleValueSpec": {"minValue": 0.7,
                                                                  "maxValue": 1.3},
                          "scaleType": "UNIT_LINEAR_SCALE"}


def test_vertex_native_policies_and_exact_mappings(tmp_path: Path) -> None:
    data = base_spec(early_stopping={"policy": "decay_curve"}, search_space={
        "lr": {"type": "float", "low": 0.1, "high": 0.5, "q": 0.1},
        "bs": {"type": "categorical", "values": [64, 32]},
        "flag": {"type": "bool"},
        "u": {"distribution": "quniform", "low": 1, "high": 3, "q": 1},
        "r": {"distribution": "randint", "upper": 4}})
    request = VertexBackend().compile(make(data, tmp_path)).request["studySpec"]
    assert "decayCurveStoppingSpec" in request
    assert request["parameters"] == [
        {"parameterId": "lr", "discreteValueSpec": {"values": [0.1, 0.2, 0.3, 0.4, 0.5]}},
        {"parameterId": "bs", "discreteValueSpec": {"values": [32.0, 64.0]}},
        {"parameterId": "flag", "categoricalValueSpec": {"values": ["false", "true"]}},
        {"parameterId": "u", "discreteValueSpec": {"values": [1.0, 2.0, 3.0]}},
        {"parameterId": "r", "integerValueSpec": {"minValue": "0", "maxValue": "3"},
         "scaleType": "UNIT_LINEAR_SCALE"}]


def test_settings_problems_are_one_line_each(tmp_path: Path) -> None:
    data = base_spec(backends={"vertex": {}, "aiplatform": {"scale_tier": "CUSTOM"}})
    spec = make(data, tmp_path)
    with pytest.raises(InvalidRequest) as info:
        VertexBackend().compile(spec)
    assert str(info.value) == ("vertex: backends.vertex.staging_bucket: required to upload"
                               " the code package (gs://bucket[/prefix])")
    with pytest.raises(InvalidRequest) as info:
        AiPlatformBackend().compile(spec)
    assert str(info.value).splitlines() == [
        "aiplatform: backends.aiplatform.master_type: required with scale_tier CUSTOM",
        "aiplatform: backends.aiplatform.staging_bucket: required to upload the code package"
        " (gs://bucket[/prefix])"]


def test_a_command_that_is_not_python_is_refused(tmp_path: Path) -> None:
    spec = make(base_spec(trial={"command": ["bash", "run.sh"], "contract": "vertex"}),
                tmp_path)
    with pytest.raises(InvalidRequest, match=r"trial.command: Vertex AI runs Python packages"):
        VertexBackend().compile(spec)


def _study(folder: Path, backend: str, handle: str) -> None:
    """A study directory as `run` leaves it on a cloud backend: its backend and job."""
    with Store.create(folder, make(base_spec(), folder.parent)) as store:
        store.set_meta(META_BACKEND, backend)
        store.set_meta(META_HANDLE, handle)
        store.commit()


def test_ai_platform_warm_starts_from_one_earlier_job_as_resume_previous_job_id(
        tmp_path: Path) -> None:
    def previous(warm_start: dict[str, Any]) -> Any:
        spec = make(base_spec(warm_start=warm_start), tmp_path)
        hyper = AiPlatformBackend().compile(spec).request["trainingInput"]["hyperparameters"]
        return hyper["resumePreviousJobId"]

    assert previous({"from": ["census_job_7"]}) == "census_job_7"
    # An earlier study's directory stands for its job.
    _study(tmp_path / "nightly", "aiplatform", "projects/p/jobs/nightly_job_41")
    assert previous({"from": ["nightly"]}) == "nightly_job_41"


def test_warm_start_sources_ai_platform_cannot_continue_are_one_line_each(
        tmp_path: Path) -> None:
    _study(tmp_path / "vertex-study", "vertex", "projects/p/locations/l/hyperparameterTuningJobs/1")
    cases = {
        "two jobs": ({"from": ["a_job", "b_job"]},
                     "warm_start.from: AI Platform continues one earlier job"
                     " (resumePreviousJobId); 2 given"),
        "another backend's study": ({"from": ["vertex-study"]},
                                    "warm_start.from.0: vertex-study is a vertex study;"
                                    " aiplatform warm-starts only from its own jobs"),
        "not a job id": ({"from": ["not a job!"]},
                         "warm_start.from.0: 'not a job!' is neither a study directory nor"
                         " an AI Platform job id"),
    }
    for what, (warm_start, line) in cases.items():
        spec = make(base_spec(warm_start=warm_start), tmp_path)
        with pytest.raises(InvalidRequest) as info:
            AiPlatformBackend().compile(spec)
        assert str(info.value).splitlines() == [f"aiplatform: {line}"], what
    both = base_spec(warm_start={"from": ["a_job"]})
    both["backends"]["aiplatform"]["resume_previous_job_id"] = "b_job"
    with pytest.raises(InvalidRequest) as info:
        AiPlatformBackend().compile(make(both, tmp_path))
    assert "both name an earlier job" in str(info.value)


def test_a_plugin_algorithm_neither_cloud_has_is_refused_even_with_approximate(
        tmp_path: Path) -> None:
    """Leaving `algorithm` unset would silently search the Bayesian way instead."""
    import types

    from hpo_bridge.hookspecs import hookimpl
    from hpo_bridge.plugins import reset_registry

    @hookimpl
    def register_searchers(register: Any) -> None:
        register("evolution", "builtins:dict", description="an evolutionary search")

    reset_registry([("evolution-plugin",
                     types.SimpleNamespace(register_searchers=register_searchers))])
    try:
        spec = make(base_spec(strategy={"algorithm": "evolution"}), tmp_path)
        for backend_class in (VertexBackend, AiPlatformBackend):
            for approximate in (False, True):
                with pytest.raises(UnsupportedFeatures) as info:
                    backend_class().compile(spec, approximate=approximate)
                (item,) = info.value.items
                assert item.path == "strategy.algorithm" and item.approximation is None
                assert item.nearest.startswith("Bayesian search (the default)")
    finally:
        reset_registry()
