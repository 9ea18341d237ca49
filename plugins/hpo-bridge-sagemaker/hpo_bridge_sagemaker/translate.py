"""A TuningSpec -> SageMaker's CreateHyperParameterTuningJob request (compile)."""

from __future__ import annotations

import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

from hpo_bridge.backends import (
    Compiled,
    InvalidRequest,
    Issues,
    NotThisBackend,
    earlier_job,
    fill_name,
    request_digest,
)
from hpo_bridge.backends import packaging as code_package
from hpo_bridge.spec import PYTHON_WORDS, TuningSpec, grid_size
from hpo_bridge_sagemaker.capabilities import BACKEND
from hpo_bridge_sagemaker.naming import derive_job_name, is_valid_job_name
from hpo_bridge_sagemaker.ranges import (
    CATEGORICAL,
    CONTINUOUS,
    INTEGER,
    RangeTranslator,
    value_text,
)
from hpo_bridge_sagemaker.service_model import member_shape, validate
from hpo_bridge_sagemaker.settings import SageMakerSettings

OPERATION = "CreateHyperParameterTuningJob"
STRATEGIES = {"random": "Random", "grid": "Grid", "bayesian": "Bayesian", "hyperband": "Hyperband"}
NEAR_STRATEGY = {"sobol": "Random", "bohb": "Hyperband", "pbt": "Hyperband"}
DEFAULT_MAX_RUNTIME = 86400  # SageMaker Python SDK's default for a training job: one day
CONTAINER_LOG_LEVEL = 20  # logging.INFO, as the SDK passes it
_JOB = "{tuning-job-name}"  # the job name, while its hash is computed
ARCHIVE_NAME = "sourcedir.tar.gz"  # script mode's code package, as the SDK names it
WARM_START_TYPES = {"identical": "IdenticalDataAndAlgorithm", "transfer": "TransferLearning"}


def native_strategy(algorithm: str) -> str:
    """The SageMaker strategy a spec's algorithm maps to (the nearest one if none)."""
    return STRATEGIES.get(algorithm) or NEAR_STRATEGY.get(algorithm) or "Bayesian"


def settings_of(spec: TuningSpec) -> SageMakerSettings:
    raw = spec.backends.get("sagemaker")
    if isinstance(raw, SageMakerSettings):
        return raw
    return SageMakerSettings.model_validate(raw or {})


class Translator:
    def __init__(self, spec: TuningSpec, issues: Issues):
        self.spec = spec
        self.settings = settings_of(spec)
        self.issues = issues
        self.problems: list[str] = []
        self.artifacts: dict[str, Path] = {}
        self.code_digest = ""
        self.code_uri = ""

    # -- the request --------------------------------------------------------------------
    def compile(self) -> Compiled:
        spec = self.spec
        config: dict[str, Any] = {"Strategy": self._strategy()}
        bounds = spec.resource_bounds()
        if config["Strategy"] == "Hyperband" and bounds is not None:
            config["StrategyConfig"] = {
                "HyperbandStrategyConfig": {"MinResource": bounds[0], "MaxResource": bounds[1]}
            }
        config["HyperParameterTuningJobObjective"] = self._objective()
        config["ResourceLimits"] = self._limits(config["Strategy"])
        config["ParameterRanges"] = self._ranges(config["Strategy"] == "Grid")
        config["TrainingJobEarlyStoppingType"] = self._early_stopping(config["Strategy"])
        criteria = self._completion()
        if criteria:
            config["TuningJobCompletionCriteria"] = criteria
        if spec.strategy.seed is not None:
            config["RandomSeed"] = spec.strategy.seed
        definition = self._training_definition()
        warm_start = self._warm_start()
        self.issues.raise_if_any()
        if self.problems:
            raise InvalidRequest(BACKEND, self.problems)
        request: dict[str, Any] = {
            "HyperParameterTuningJobName": _JOB,
            "HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": definition,
        }
        if warm_start:
            request["WarmStartConfig"] = warm_start
        if self.settings.tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in self.settings.tags.items()]
        request = self._named(request)
        problems = validate(OPERATION, request) + self._range_total(config["ParameterRanges"])
        if problems:
            raise InvalidRequest(BACKEND, problems)
        artifacts = {
            uri.replace(_JOB, request["HyperParameterTuningJobName"]): path
            for uri, path in self.artifacts.items()
        }
        return Compiled(request=request, artifacts=artifacts)

    def _named(self, request: dict[str, Any]) -> dict[str, Any]:
        """Put the job name in: the settings' job_name, else the spec's name plus a hash of
        the request and code, so an identical spec maps to the same job (creation is
        idempotent) and any change to it to a new one."""
        explicit = self.settings.job_name
        if explicit is not None:
            if not is_valid_job_name(explicit):
                raise InvalidRequest(BACKEND, [
                    f"backends.sagemaker.job_name: {explicit!r} is not a valid tuning job name"
                    " (at most 32 letters, digits and hyphens, starting and ending with a"
                    " letter or digit)"
                ])
            name = explicit
        else:
            name = derive_job_name(self.spec.name, request_digest(request, self.code_digest))
        return dict(fill_name(request, name, _JOB))

    # -- sections ---------------------------------------------------------------------
    def _strategy(self) -> str:
        algorithm = self.spec.strategy.algorithm
        native = STRATEGIES.get(algorithm)
        if native is not None:
            return native
        near = NEAR_STRATEGY.get(algorithm)
        if near is None:  # a plugin's searcher: the capability table cannot know it
            self.issues.add("strategy.algorithm", f"algorithm {algorithm}",
                            "strategy Bayesian, Random, Grid or Hyperband")
            return "Bayesian"
        return near  # approximated (or reported) by the capability table

    def _objective(self) -> dict[str, Any]:
        primary = self.spec.primary
        if primary.metric not in {m.name for m in self.spec.metrics}:
            self.issues.add(
                "metrics",
                f"no regex for the objective metric {primary.metric!r}",
                f"add {{name: {primary.metric}, regex: ...}} to metrics"
                " (SageMaker reads metrics from the training log)",
            )
        goal = "Maximize" if primary.goal == "maximize" else "Minimize"
        return {"Type": goal, "MetricName": primary.metric}

    def _limits(self, strategy: str) -> dict[str, Any]:
        spec, lim = self.spec, self.spec.limits
        limits: dict[str, Any] = {}
        if strategy == "Grid":
            # SageMaker runs the whole grid; it takes no MaxNumberOfTrainingJobs for it.
            size = grid_size(spec)
            if lim.max_trials is not None and lim.max_trials < size:
                self.issues.add(
                    "limits.max_trials",
                    f"a grid of {size} points cut to {lim.max_trials} trials",
                    "strategy random with MaxNumberOfTrainingJobs, or a smaller grid",
                )
        else:
            limits["MaxNumberOfTrainingJobs"] = spec.max_trials
        limits["MaxParallelTrainingJobs"] = lim.max_parallel
        if lim.max_duration is not None:
            limits["MaxRuntimeInSeconds"] = math.ceil(lim.max_duration)
        return limits

    def _ranges(self, grid: bool) -> dict[str, Any]:
        lists: dict[str, list[dict[str, Any]]] = {INTEGER: [], CONTINUOUS: [], CATEGORICAL: []}
        translator = RangeTranslator(self.issues, grid)
        for name, domain in self.spec.search_space.items():
            result = translator.translate(name, domain)
            if result is not None:
                lists[result[0]].append(result[1])
        return {f"{kind}ParameterRanges": items for kind, items in lists.items() if items}

    def _range_total(self, ranges: dict[str, Any]) -> list[str]:
        # The service counts ranges of all kinds together against one list's maximum.
        limit = int(member_shape("ParameterRanges", "IntegerParameterRanges").metadata["max"])
        total = sum(len(v) for v in ranges.values())
        if total > limit:
            return [f"search_space: {total} tuned parameters, SageMaker takes at most {limit}"]
        return []

    def _early_stopping(self, strategy: str) -> str:
        policy = self.spec.early_stopping.policy
        override = self.settings.early_stopping_type
        if strategy == "Hyperband":
            if override == "Auto":
                self.problems.append(
                    "backends.sagemaker.early_stopping_type: Auto cannot be combined with"
                    " strategy hyperband (Hyperband stops trials itself)"
                )
            return "Off"
        if override is not None:
            if policy != "none":
                self.issues.warn(
                    f"early_stopping.policy: {policy} is replaced by"
                    f" backends.sagemaker.early_stopping_type {override}"
                )
            return override
        if policy == "none":
            return "Off"
        nearest = "strategy hyperband" if policy == "hyperband" else (
            "TrainingJobEarlyStoppingType Auto (SageMaker's own median-based rule)"
        )
        if self.issues.add(
            "early_stopping.policy",
            f"policy {policy}",
            nearest,
            "TrainingJobEarlyStoppingType Auto",
        ):
            return "Auto"
        return "Off"

    def _warm_start(self) -> dict[str, Any] | None:
        """The spec's warm_start as SageMaker's WarmStartConfig: each source a tuning job's
        name, or the study directory of an earlier SageMaker study (its job)."""
        ws = self.spec.warm_start
        if ws is None:
            return None
        parents = []
        for i, source in enumerate(ws.sources):
            name = self._parent_job(i, source)
            if name is not None:
                parents.append({"HyperParameterTuningJobName": name})
        return {"ParentHyperParameterTuningJobs": parents,
                "WarmStartType": WARM_START_TYPES[ws.type]}

    def _parent_job(self, index: int, source: str) -> str | None:
        where = f"warm_start.from.{index}"
        try:
            handle = earlier_job(self.spec, source, BACKEND)
        except NotThisBackend as exc:
            self.problems.append(f"{where}: {exc}")
            return None
        if handle is not None:
            return handle.partition("@")[0]
        if not is_valid_job_name(source):
            self.problems.append(f"{where}: {source!r} is neither a study directory nor"
                                 " a tuning job name")
            return None
        return source

    def _completion(self) -> dict[str, Any]:
        lim = self.spec.limits
        criteria: dict[str, Any] = {}
        if lim.target_value is not None:
            criteria["TargetObjectiveMetricValue"] = float(lim.target_value)
        if lim.max_trials_without_improvement is not None:
            criteria["BestObjectiveNotImproving"] = {
                "MaxNumberOfTrainingJobsNotImproving": lim.max_trials_without_improvement
            }
        return criteria

    # -- the training job definition ----------------------------------------------------
    def _training_definition(self) -> dict[str, Any]:
        s, trial = self.settings, self.spec.trial
        for key, value in (("role_arn", s.role_arn), ("image_uri", s.image_uri),
                           ("output_path", s.output_path)):
            if value is None:
                self.problems.append(f"backends.sagemaker.{key}: required for SageMaker")
        algorithm: dict[str, Any] = {
            "TrainingImage": s.image_uri or "",
            "TrainingInputMode": s.input_mode,
        }
        if self.spec.metrics:
            algorithm["MetricDefinitions"] = [
                {"Name": m.name, "Regex": m.regex} for m in self.spec.metrics
            ]
        definition: dict[str, Any] = {
            "AlgorithmSpecification": algorithm,
            "RoleArn": s.role_arn or "",
        }
        channels = {**self._trial_channels(), **s.channels}
        if channels:
            definition["InputDataConfig"] = [
                {
                    "ChannelName": name,
                    "DataSource": {
                        "S3DataSource": {
                            "S3DataType": "S3Prefix",
                            "S3Uri": uri,
                            "S3DataDistributionType": "FullyReplicated",
                        }
                    },
                }
                for name, uri in channels.items()
            ]
        definition["OutputDataConfig"] = {"S3OutputPath": s.output_path or ""}
        definition["ResourceConfig"] = {
            "InstanceType": s.instance_type,
            "InstanceCount": s.instance_count,
            "VolumeSizeInGB": s.volume_size_gb,
        }
        runtime = s.max_runtime or self._trial_timeout()
        stopping: dict[str, Any] = {"MaxRuntimeInSeconds": math.ceil(runtime)}
        if s.use_spot:
            stopping["MaxWaitTimeInSeconds"] = math.ceil(s.max_wait or runtime)
        definition["StoppingCondition"] = stopping
        static = self._static_hyperparameters()
        if static:
            definition["StaticHyperParameters"] = static
        if s.use_spot:
            definition["EnableManagedSpotTraining"] = True
        if s.checkpoint_s3_uri is not None:
            definition["CheckpointConfig"] = {"S3Uri": s.checkpoint_s3_uri}
        environment = {**trial.env, **s.environment}
        if environment:
            definition["Environment"] = environment
        return definition

    def _trial_timeout(self) -> float:
        timeout = self.spec.limits.trial_timeout
        return timeout if timeout is not None else DEFAULT_MAX_RUNTIME

    def _trial_channels(self) -> dict[str, str]:
        """trial.inputs as channels: s3:// URIs as they are; local files and folders are
        uploaded next to the code (as the SageMaker SDK's upload_data does)."""
        channels = {}
        for name, where in self.spec.trial.inputs.items():
            if where.startswith("s3://"):
                channels[name] = where
                continue
            local = (self.spec.base_dir / where).resolve()
            if not local.exists():
                self.problems.append(f"trial.inputs.{name}: {where} does not exist")
                continue
            uri = self._location("input", name)
            channels[name] = uri
            self.artifacts[uri] = local
            # The data's content is part of the job's identity (its name hash).
            self.code_digest += code_package.content_digest(local)
        return channels

    def _static_hyperparameters(self) -> dict[str, str]:
        args = {k: v for k, v in self.spec.trial.args.items() if v is not None}
        command = self.spec.trial.command
        if command is None:
            return {k: value_text(v) for k, v in args.items()}
        program = self._entry_point(command)
        if program is None:
            return {}
        # Script mode, as the SageMaker Python SDK does it: every value JSON-encoded.
        static = {k: json.dumps(v) for k, v in args.items()}
        static["sagemaker_program"] = json.dumps(program)
        static["sagemaker_submit_directory"] = json.dumps(self.code_uri)
        static["sagemaker_container_log_level"] = json.dumps(CONTAINER_LOG_LEVEL)
        if self.settings.region is not None:
            static["sagemaker_region"] = json.dumps(self.settings.region)
        return static

    def _entry_point(self, command: list[str]) -> str | None:
        words = list(command)
        if len(words) >= 2 and PurePosixPath(words[0]).name in PYTHON_WORDS:
            words = words[1:]
        if len(words) != 1:
            self.issues.add(
                "trial.command",
                "arguments after the script" if len(words) > 1 else "an empty command",
                "[python, script.py] with fixed values in trial.args (static hyperparameters)",
            )
            return None
        code_dir = self.spec.code_dir
        script = (code_dir / words[0]).resolve()
        if not script.is_file():
            self.problems.append(f"trial.command: {words[0]} is not a file in {code_dir}")
            return None
        if not script.is_relative_to(code_dir):
            self.problems.append(
                f"trial.command: {words[0]} is outside the code folder (trial.code)"
            )
            return None
        path, digest = code_package.pack_to_file(code_dir, cache="hpo-bridge-sagemaker")
        self.code_digest = digest
        self.code_uri = self._code_location()
        self.artifacts[self.code_uri] = path
        return script.relative_to(code_dir).as_posix()

    def _code_location(self) -> str:
        return self._location("source", ARCHIVE_NAME)

    def _location(self, *parts: str) -> str:
        """s3://<code bucket>/<code prefix>/<job>/<parts>: where uploads of this job go."""
        s = self.settings
        bucket = s.code_bucket
        if bucket is None and s.output_path is not None:
            bucket = s.output_path[len("s3://"):].split("/", 1)[0]
        if bucket is None:
            self.problems.append("backends.sagemaker.code_bucket: required for uploads"
                                 " (or set output_path)")
            bucket = "missing"
        key = "/".join(p for p in (s.code_prefix, _JOB, *parts) if p)
        return f"s3://{bucket}/{key}"


def translate(spec: TuningSpec, issues: Issues) -> Compiled:
    return Translator(spec, issues).compile()
