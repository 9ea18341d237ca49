"""The normalised view of a domain: every spec domain is a NumericRange, a Choice or a
Gaussian, and the core works from that view alone."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from pydantic import TypeAdapter

from hpo_bridge.core import space
from hpo_bridge.core.ranges import Choice, Gaussian, NumericRange, as_range
from hpo_bridge.spec.domains import Domain

_DOMAIN: TypeAdapter[Any] = TypeAdapter(Domain)


def _norm(fields: dict[str, Any]) -> Any:
    return _DOMAIN.validate_python(fields).normalized()


@pytest.mark.parametrize(("fields", "expected"), [
    ({"type": "float", "low": 0.1, "high": 2, "scale": "log", "q": 0.1},
     NumericRange(0.1, 2.0, integer=False, scale="log", step=0.1, scale_given=True)),
    ({"type": "float", "low": 0, "high": 1},
     NumericRange(0.0, 1.0, scale="linear", scale_given=False)),
    ({"type": "int", "low": 1, "high": 6, "scale": "reverse_log"},
     NumericRange(1, 6, integer=True, scale="reverse_log", scale_given=True)),
    ({"type": "categorical", "values": ["a", 1, True]},
     Choice(("a", 1, True), "categorical")),
    ({"type": "discrete", "values": [1, 2.5, 4]}, Choice((1, 2.5, 4), "discrete")),
    ({"type": "bool"}, Choice((False, True), "bool")),
    ({"distribution": "uniform", "low": 1, "high": 3},
     NumericRange(1.0, 3.0, rounding="draw")),
    ({"distribution": "loguniform", "low": 1, "high": 3, "type": "int"},
     NumericRange(1.0, 3.0, integer=True, scale="log", rounding="draw")),
    ({"distribution": "quniform", "low": 0.05, "high": 1, "q": 0.1},
     NumericRange(0.05, 1.0, step=0.1, rounding="draw")),
    ({"distribution": "qloguniform", "low": 1, "high": 100, "q": 5, "type": "int"},
     NumericRange(1.0, 100.0, integer=True, scale="log", step=5.0, rounding="draw")),
    ({"distribution": "randint", "upper": 5},
     NumericRange(0, 4, integer=True, rounding="floor")),
    ({"distribution": "normal", "mu": 0.8, "sigma": 0.05}, Gaussian(0.8, 0.05)),
    ({"distribution": "qlognormal", "mu": 1, "sigma": 2, "q": 1, "type": "int"},
     Gaussian(1.0, 2.0, log=True, step=1.0, integer=True)),
])
def test_each_domain_normalises_to_one_of_three_kinds(fields, expected):
    assert _norm(fields) == expected


def test_step_indexes_follow_the_rounding():
    # The spec's float: multiples within the bounds; Azure's quniform: the ends round too.
    assert _norm({"type": "float", "low": 0.05, "high": 1, "q": 0.1}).step_indexes() == (1, 10)
    assert _norm({"distribution": "quniform", "low": 0.05, "high": 1, "q": 0.1}) \
        .step_indexes() == (0, 10)
    with pytest.raises(ValueError):
        NumericRange(0, 1).step_indexes()


def test_gaussian_bounds_are_mu_plus_minus_k_sigma():
    assert Gaussian(0.5, 0.1).bounds() == NumericRange(0.2, 0.8, rounding="draw")
    wide = Gaussian(0.0, 1.0, log=True).bounds(k=2)
    assert (wide.low, wide.high, wide.scale) == (0.135335283237, 7.38905609893, "log")
    assert Gaussian(10, 1.5, integer=True, step=1.0).bounds() == NumericRange(
        6, 14, integer=True, step=1.0, rounding="draw")


def test_normalised_once_and_not_carried_into_an_updated_copy():
    domain = _DOMAIN.validate_python({"type": "float", "low": 0, "high": 1})
    assert domain.normalized() is domain.normalized()
    wider = domain.model_copy(update={"high": 2.0})
    assert wider.normalized().high == 2.0
    assert domain == _DOMAIN.validate_python({"type": "float", "low": 0, "high": 1})
    assert "_normalized_range" not in domain.model_dump()


def test_the_core_samples_a_range_as_it_samples_its_domain():
    for fields in ({"type": "int", "low": 1, "high": 9, "scale": "log"},
                   {"distribution": "randint", "upper": 7},
                   {"distribution": "qnormal", "mu": 3, "sigma": 1, "q": 0.5},
                   {"type": "categorical", "values": ["x", "y", "z"]}):
        domain = _DOMAIN.validate_python(fields)
        for u in (0.0, 0.125, 0.5, 0.7, 0.999):
            assert space.from_unit(as_range(domain), u) == space.from_unit(domain, u)
    assert as_range(Choice((1,))) == Choice((1,))
    with pytest.raises(TypeError, match="unknown domain"):
        as_range(object())


def test_the_core_imports_nothing_of_the_spec_at_run_time():
    code = ("import sys\n"
            "import hpo_bridge.core.tuner, hpo_bridge.core.space\n"
            "import hpo_bridge.core.searchers.bayesian, hpo_bridge.core.searchers.bohb\n"
            "import hpo_bridge.core.searchers.grid, hpo_bridge.core.searchers.sobol\n"
            "import hpo_bridge.core.stopping.median, hpo_bridge.core.stopping.bandit\n"
            "import hpo_bridge.core.stopping.truncation, hpo_bridge.core.stopping.hyperband\n"
            "print(sorted(m for m in sys.modules if m.startswith('hpo_bridge.')"
            " and not m.startswith('hpo_bridge.core')))\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout
    assert out.strip() == "['hpo_bridge._report', 'hpo_bridge._version']"
