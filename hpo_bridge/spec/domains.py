"""Parameter domains of the search space.

Each domain is one pydantic model; `Domain` is their tagged union. The tag is
`type` for the plain domains and `distribution` for Azure's expressions, so
`{type: float, low: 0, high: 1}` and `{distribution: normal, mu: 0, sigma: 1}`
both parse. `low`/`high` are always bounds of the value itself (Azure's
log-space bounds are converted by the Azure translator and importer only).
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    StrictBool,
    Tag,
    field_validator,
    model_validator,
)

Scale = Literal["linear", "log", "reverse_log"]
Scalar = StrictBool | int | float | str
Number = int | float


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Condition(_Strict):
    """The parameter is active only when `parent` takes one of `values`."""

    parent: str = Field(min_length=1)
    values: list[Scalar] = Field(min_length=1)


class _Base(_Strict):
    condition: Condition | None = None

    @property
    def finite(self) -> bool:
        return False


def _check_bounds(low: float, high: float, scale: str) -> None:
    if not low < high:
        raise ValueError(f"low ({low}) must be less than high ({high})")
    if scale == "log" and low <= 0:
        raise ValueError(f"scale log needs low > 0 (got {low})")
    # reverse_log spaces values densely near `high`; the transform maps the
    # distance to the upper end through a log, so only the width must be > 0.


class FloatDomain(_Base):
    """A real number in [low, high]; `q` rounds it to multiples of q."""

    type: Literal["float"]
    low: float
    high: float
    scale: Scale = "linear"
    q: float | None = Field(default=None, gt=0)

    @field_validator("low", "high")
    @classmethod
    def _finite(cls, v: float) -> float:
        if not math.isfinite(v):
            raise ValueError("must be a finite number")
        return v

    @model_validator(mode="after")
    def _bounds(self) -> FloatDomain:
        _check_bounds(self.low, self.high, self.scale)
        return self

    @property
    def finite(self) -> bool:
        return self.q is not None

    def grid_values(self) -> list[float]:
        assert self.q is not None
        start = math.ceil(self.low / self.q - 1e-9)
        stop = math.floor(self.high / self.q + 1e-9)
        return [round(i * self.q, 12) for i in range(start, stop + 1)]


class IntDomain(_Base):
    """An integer in [low, high] (both included)."""

    type: Literal["int"]
    low: int
    high: int
    scale: Scale = "linear"

    @model_validator(mode="after")
    def _bounds(self) -> IntDomain:
        _check_bounds(self.low, self.high, self.scale)
        return self

    @property
    def finite(self) -> bool:
        return True

    def grid_values(self) -> list[int]:
        return list(range(self.low, self.high + 1))


def _no_duplicates(values: list[Any]) -> list[Any]:
    seen: list[tuple[type, Any]] = []
    for v in values:
        # True == 1 in Python; a categorical [1, true] holds two distinct choices.
        key = (type(v), v)
        if key in seen:
            raise ValueError(f"duplicate value {v!r}")
        seen.append(key)
    return values


class CategoricalDomain(_Base):
    """One of a list of strings, numbers or booleans."""

    type: Literal["categorical"]
    values: list[Scalar] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _unique(cls, v: list[Any]) -> list[Any]:
        return _no_duplicates(v)

    @property
    def finite(self) -> bool:
        return True

    def grid_values(self) -> list[Any]:
        return list(self.values)


class DiscreteDomain(_Base):
    """One of a strictly increasing list of numbers (AI Platform's DISCRETE)."""

    type: Literal["discrete"]
    values: list[Number] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _increasing(cls, v: list[Number]) -> list[Number]:
        for a, b in zip(v, v[1:], strict=False):
            if not a < b:
                raise ValueError(f"must be strictly increasing ({a} is followed by {b})")
        if any(isinstance(x, float) and not math.isfinite(x) for x in v):
            raise ValueError("values must be finite numbers")
        return v

    @property
    def finite(self) -> bool:
        return True

    def grid_values(self) -> list[Number]:
        return list(self.values)


class BoolDomain(_Base):
    """true or false (Vega's BOOL)."""

    type: Literal["bool"]

    @property
    def finite(self) -> bool:
        return True

    def grid_values(self) -> list[bool]:
        return [False, True]


DistributionName = Literal[
    "uniform",
    "loguniform",
    "normal",
    "lognormal",
    "quniform",
    "qloguniform",
    "qnormal",
    "qlognormal",
    "randint",
]

# The parameters each of Azure's expressions takes (SEEDS.md, 000).
DISTRIBUTION_PARAMS: dict[str, tuple[str, ...]] = {
    "uniform": ("low", "high"),
    "loguniform": ("low", "high"),
    "normal": ("mu", "sigma"),
    "lognormal": ("mu", "sigma"),
    "quniform": ("low", "high", "q"),
    "qloguniform": ("low", "high", "q"),
    "qnormal": ("mu", "sigma", "q"),
    "qlognormal": ("mu", "sigma", "q"),
    "randint": ("upper",),
}


class DistributionDomain(_Base):
    """Azure's sampling expressions.

    uniform(low, high); loguniform = exp(uniform(ln low, ln high));
    normal(mu, sigma); lognormal = exp(normal(mu, sigma));
    q-variants round the sample: round(x / q) * q; randint(upper) is an
    integer in [0, upper).
    """

    distribution: DistributionName
    type: Literal["float", "int"] | None = None
    low: float | None = None
    high: float | None = None
    mu: float | None = None
    sigma: float | None = Field(default=None, gt=0)
    q: float | None = Field(default=None, gt=0)
    upper: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def _params(self) -> DistributionDomain:
        wanted = DISTRIBUTION_PARAMS[self.distribution]
        problems = []
        for name in ("low", "high", "mu", "sigma", "q", "upper"):
            given = getattr(self, name) is not None
            if name in wanted and not given:
                problems.append(f"{name} is required for distribution {self.distribution}")
            elif given and name not in wanted:
                problems.append(
                    f"{name} does not apply to distribution {self.distribution}"
                    f" (it takes {', '.join(wanted)})"
                )
        if problems:
            raise ValueError("; ".join(problems))
        for name in ("low", "high", "mu"):
            v = getattr(self, name)
            if v is not None and not math.isfinite(v):
                raise ValueError(f"{name} must be a finite number")
        if self.low is not None and self.high is not None:
            log = self.distribution in ("loguniform", "qloguniform")
            _check_bounds(self.low, self.high, "log" if log else "linear")
        return self

    @property
    def is_int(self) -> bool:
        return self.distribution == "randint" or self.type == "int"

    @property
    def finite(self) -> bool:
        return self.distribution in ("randint", "quniform", "qloguniform")

    def grid_values(self) -> list[Number]:
        if self.distribution == "randint":
            assert self.upper is not None
            return list(range(self.upper))
        assert self.q is not None and self.low is not None and self.high is not None
        start = round(self.low / self.q)
        stop = round(self.high / self.q)
        values = [round(i * self.q, 12) for i in range(start, stop + 1)]
        return [int(v) for v in values] if self.is_int else values


def _domain_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "distribution" in value:
            return "distribution"
        t = value.get("type")
        return t if isinstance(t, str) else None
    if isinstance(value, BaseModel):
        return "distribution" if isinstance(value, DistributionDomain) else value.type  # type: ignore[attr-defined]
    return None


Domain = Annotated[
    Annotated[FloatDomain, Tag("float")]
    | Annotated[IntDomain, Tag("int")]
    | Annotated[CategoricalDomain, Tag("categorical")]
    | Annotated[DiscreteDomain, Tag("discrete")]
    | Annotated[BoolDomain, Tag("bool")]
    | Annotated[DistributionDomain, Tag("distribution")],
    Discriminator(
        _domain_tag,
        custom_error_type="domain_type",
        custom_error_message=(
            "needs `type` (float, int, categorical, discrete, bool) or `distribution`"
            " (uniform, loguniform, normal, lognormal, quniform, qloguniform, qnormal,"
            " qlognormal, randint)"
        ),
    ),
]

DOMAIN_TAGS = ("float", "int", "categorical", "discrete", "bool", "distribution")
