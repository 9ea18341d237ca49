"""A TuningSpec -> SageMaker's CreateHyperParameterTuningJob request (compile)."""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path, PurePosixPath
from typing import Any

from hpo_bridge.backend import Compiled
from hpo_bridge.spec import TuningSpec, grid_size
from hpo_bridge_sagemaker import code_package
from hpo_bridge_sagemaker.capabilities import InvalidRequest, Issues
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
NEAR_STRATEGY = {"sobol": "Random", "bohb": "Hyperband"}
DEFAULT_MAX_RUNTIME = 86400  # SageMaker Python SDK's default for a training job: one day
CONTAINER_LOG_LEVEL = 20  # logging.INFO, as the SDK passes it
_JOB = "{tuning-job-name}"  # placeholder for the job name while its hash is computed
PYTHONS = ("python", "python3")


def settings_of(spec: TuningSpec) -> SageMakerSettings:
    raw = spec.backends.get("sagemaker")
    if isinstance(raw, SageMakerSettings):
        return raw
    return SageMakerSettings.model_validate(raw or {})


class Translator:
    def __init__(self, spec: TuningSpec, approximate: bool):
        self.spec = spec
        self.settings = settings_of(spec)
        self.issues = Issues(approximate=approximate)
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
        self.issues.raise_if_any()
        if self.problems:
            raise InvalidRequest(self.problems)
        request: dict[str, Any] = {
            "HyperParameterTuningJobName": _JOB,
            "HyperParameterTuningJobConfig": config,
            "TrainingJobDefinition": definition,
        }
        if self.settings.warm_start is not None:
            ws = self.settings.warm_start
            request["WarmStartConfig"] = {
                "ParentHyperParameterTuningJobs": [
                    {"HyperParameterTuningJobName": p} for p in ws.parents
                ],
                "WarmStartType": ws.type,
            }
        if self.settings.tags:
            request["Tags"] = [{"Key": k, "Value": v} for k, v in self.settings.tags.items()]
        request = self._named(request)
        problems = validate(OPERATION, request) + self._range_total(config["ParameterRanges"])
        if problems:
            raise InvalidRequest(problems)
        artifacts = {
            uri.replace(_JOB, request["HyperParameterTuningJobName"]): path
            for uri, path in self.artifacts.items()
        }
        return Compiled(request=request, warnings=self.issues.warnings, artifacts=artifacts)

    def _named(self, request: dict[str, Any]) -> dict[str, Any]:
        """Put the job name in: the settings' job_name, else the spec's name plus a hash of
        the request and code, so an identical spec maps to the same job (creation is
        idempotent) and any change to it to a new one."""
        explicit = self.settings.job_name
        if explicit is not None:
            if not is_valid_job_name(explicit):
                raise InvalidRequest([
                    f"backends.sagemaker.job_name: {explicit!r} is not a valid tuning job name"
                    " (at most 32 letters, digits and hyphens, starting and ending with a"
                    " letter or digit)"
                ])
            name = explicit
        else:
            canonical = json.dumps(request, sort_keys=True) + self.code_digest
            digest = hashlib.sha256(canonical.encode()).hexdigest()[:8]
            name = derive_job_name(self.spec.name, digest)
        return json.loads(json.dumps(request).replace(_JOB, name))

    # -- sections ---------------------------------------------------------------------
    def _strategy(self) -> str:
        strategy = self.spec.strategy
        algorithm = strategy.algorithm
        native = STRATEGIES.get(algorithm)
        if native is None:
            near = NEAR_STRATEGY.get(algorithm)
            self.issues.add(
                "strategy.algorithm",
                f"algorithm {algorithm}",
                f"strategy {near or 'Bayesian, Random, Grid or Hyperband'}",
                f"strategy {near}" if near else None,
            )
            native = near or "Bayesian"
        for option in ("sampler", "n_startup_trials", "reduction_factor", "brackets"):
            if getattr(strategy, option) is not None:
                self.issues.add(
                    f"strategy.{option}",
                    f"option {option}",
                    f"SageMaker's {native} strategy has no such setting",
                    "ignored",
                )
        if strategy.options:
            self.issues.add(
                "strategy.options",
                f"searcher options ({', '.join(sorted(strategy.options))})",
                f"SageMaker's {native} strategy takes no options",
                "ignored",
            )
        return native

    def _objective(self) -> dict[str, Any]:
        spec = self.spec
        if spec.multi_objective:
            self.issues.add(
                "objectives",
                f"multi-objective optimisation ({len(spec.all_objectives)} objectives)",
                "a single objective",
                f"only the first objective, {spec.primary.metric!r}, is optimised",
            )
        primary = spec.primary
        path = "objective" if spec.objective is not None else "objectives.0"
        if primary.measurement == "best":
            self.issues.add(
                f"{path}.measurement",
                "measurement best",
                "the final value the training job reports (measurement last)",
                "the final value is used",
            )
        if primary.metric not in {m.name for m in spec.metrics}:
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
        if lim.max_failed is not None:
            self.issues.add(
                "limits.max_failed",
                "a limit on failed trials",
                "none: SageMaker ends a tuning job by its own failure rules",
                "dropped",
            )
        return limits

    def _ranges(self, grid: bool) -> dict[str, Any]:
        lists: dict[str, list[dict[str, Any]]] = {INTEGER: [], CONTINUOUS: [], CATEGORICAL: []}
        translator = RangeTranslator(self.issues, grid)
        for name, domain in self.spec.search_space.items():
            if domain.condition is not None:
                self.issues.add(
                    f"search_space.{name}.condition",
                    f"a conditional parameter (active when {domain.condition.parent}"
                    f" is one of {domain.condition.values})",
                    "an unconditional range",
                    "the condition is dropped: the parameter is always sampled",
                )
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
                self.issues.warnings.append(
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
        self._trial_features()
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

    def _trial_features(self) -> None:
        trial = self.spec.trial
        if trial.contract not in ("local", "sagemaker"):
            self.issues.add(
                "trial.contract",
                f"contract {trial.contract}",
                "contract sagemaker (script mode: --name value arguments, metrics from the log)",
            )
        if trial.devices is not None:
            self.issues.add("trial.devices", "device assignment",
                            "backends.sagemaker.instance_type (a GPU instance)", "dropped")
        if trial.python is not None:
            self.issues.add("trial.python", "a chosen Python interpreter",
                            "the image's Python (backends.sagemaker.image_uri)", "dropped")
        if trial.fullytrain is not None:
            self.issues.add("trial.fullytrain", "a fully-train stage",
                            "a separate training job with the best hyperparameters", "dropped")
        for key, value in trial.args.items():
            if value is None:
                self.issues.add(f"trial.args.{key}", "a bare flag (no value)",
                                "a string or number value")

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
        if len(words) >= 2 and PurePosixPath(words[0]).name in PYTHONS:
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
        path, digest = code_package.pack_to_file(code_dir)
        self.code_digest = digest
        self.code_uri = self._code_location()
        self.artifacts[self.code_uri] = path
        return script.relative_to(code_dir).as_posix()

    def _code_location(self) -> str:
        return self._location("source", code_package.ARCHIVE_NAME)

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


def compile_spec(spec: TuningSpec, approximate: bool = False) -> Compiled:
    return Translator(spec, approximate).compile()
