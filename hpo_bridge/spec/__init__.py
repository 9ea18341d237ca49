"""The unified tuning spec."""

from hpo_bridge.spec.domains import (
    BoolDomain,
    CategoricalDomain,
    Condition,
    DiscreteDomain,
    DistributionDomain,
    Domain,
    FloatDomain,
    IntDomain,
)
from hpo_bridge.spec.durations import Duration, format_duration, parse_duration
from hpo_bridge.spec.errors import Problem, SpecError
from hpo_bridge.spec.io import dump_spec, dump_spec_json, load_spec, parse_yaml, validate_spec
from hpo_bridge.spec.model import (
    EarlyStopping,
    Limits,
    MetricDefinition,
    Objective,
    Resource,
    Strategy,
    TrialSpec,
    TuningSpec,
    grid_size,
)
from hpo_bridge.spec.names import PYTHON_WORDS

__all__ = [
    "PYTHON_WORDS",
    "Duration",
    "BoolDomain",
    "CategoricalDomain",
    "Condition",
    "DiscreteDomain",
    "DistributionDomain",
    "Domain",
    "EarlyStopping",
    "FloatDomain",
    "IntDomain",
    "Limits",
    "MetricDefinition",
    "Objective",
    "Problem",
    "Resource",
    "SpecError",
    "Strategy",
    "TrialSpec",
    "TuningSpec",
    "dump_spec",
    "dump_spec_json",
    "format_duration",
    "grid_size",
    "load_spec",
    "parse_duration",
    "parse_yaml",
    "validate_spec",
]
