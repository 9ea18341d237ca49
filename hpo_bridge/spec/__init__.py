"""The unified tuning spec.

Validation checks component names against the catalogue it is given
(`Catalogue`, see spec/catalogue.py); `hpo_bridge.loading` passes the installed one.
"""

from hpo_bridge.spec.catalogue import Catalogue
from hpo_bridge.spec.documents import (
    is_json_path,
    parse_document,
    parse_json,
    parse_yaml,
    read_document,
)
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
from hpo_bridge.spec.early_stopping import EarlyStopping
from hpo_bridge.spec.errors import Problem, SpecError
from hpo_bridge.spec.io import dump_spec, dump_spec_json, load_spec, validate_spec
from hpo_bridge.spec.limits import Limits
from hpo_bridge.spec.model import TuningSpec, grid_size
from hpo_bridge.spec.names import PYTHON_WORDS
from hpo_bridge.spec.objective import MetricDefinition, Objective
from hpo_bridge.spec.strategy import Strategy
from hpo_bridge.spec.trial import Resource, TrialSpec
from hpo_bridge.spec.warm_start import WarmStart

__all__ = [
    "PYTHON_WORDS",
    "Duration",
    "BoolDomain",
    "Catalogue",
    "CategoricalDomain",
    "Condition",
    "DiscreteDomain",
    "DistributionDomain",
    "Domain",
    "Duration",
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
    "WarmStart",
    "dump_spec",
    "dump_spec_json",
    "format_duration",
    "grid_size",
    "load_spec",
    "parse_duration",
    "parse_document",
    "parse_json",
    "parse_yaml",
    "read_document",
    "is_json_path",
    "validate_spec",
]
