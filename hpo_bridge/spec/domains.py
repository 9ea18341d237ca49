"""Parameter domains of the search space.

Each domain is one pydantic model; `Domain` is their tagged union. The tag is
`type` for the plain domains and `distribution` for Azure's expressions, so
`{type: float, low: 0, high: 1}` and `{distribution: normal, mu: 0, sigma: 1}`
both parse. `low`/`high` are always bounds of the value itself (Azure's
log-space bounds are converted by the Azure translator and importer only).

Finite domains answer `size` and `contains()` without listing their values,
so a huge integer range costs nothing to validate; `grid_values()` lists them.
`normalized()` gives the domain's one normalised view (hpo_bridge.core.ranges):
a NumericRange, a Choice or a Gaussian, which is what the sampler, the optuna
bridge, the result axes and the cloud translators work from.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from hpo_bridge.core.ranges import (
    Choice,
    Gaussian,
    NumericRange,
    ParamRange,
    grid_steps,
    is_integral,
    on_grid,
    same_value,
)
from hpo_bridge.spec.errors import raise_at, shown

Scale = Literal["linear", "log", "reverse_log"]


def _scalar(value: Any) -> Any:
    if isinstance(value, bool | str):
        return value
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError("must be a finite number")
        return value
    raise ValueError("must be a string, a number or a boolean")


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("must be a number")
    return _scalar(value)


# One error per bad value, instead of one per member of a union.
Scalar = Annotated[
    bool | int | float | str,
    BeforeValidator(_scalar),
    WithJsonSchema({"type": ["string", "number", "boolean"]}),
]
Number = Annotated[int | float, BeforeValidator(_number), WithJsonSchema({"type": "number"})]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


ConditionOp = Literal["in", "not_in", "==", "!=", "range"]


class Condition(_Strict):
    """The parameter is active only when `parent` is active and its value passes `op`:
    `in` (the default) one of `values`, `not_in` none of them, `==` / `!=` the one value
    given, `range` within [low, high] (`values: [low, high]`, a numeric parent)."""

    parent: str = Field(min_length=1)
    op: ConditionOp = "in"
    values: list[Scalar] = Field(min_length=1)

    @model_validator(mode="after")
    def _arity(self) -> Condition:
        issues: list[tuple[tuple[str, ...], str]] = []
        n = len(self.values)
        if self.op in ("==", "!=") and n != 1:
            issues.append((("values",), f"op {self.op} takes exactly one value (got {n})"))
        elif self.op == "range":
            numbers = [v for v in self.values if not isinstance(v, bool | str)]
            if n != 2 or len(numbers) != 2:
                issues.append((("values",), "op range takes two numbers, [low, high]"))
            elif not numbers[0] <= numbers[1]:
                issues.append((("values",), f"low ({numbers[0]}) exceeds high ({numbers[1]})"))
        raise_at("Condition", issues)
        return self

    def __str__(self) -> str:
        """How the condition reads in a message: `opt != 'adam'`, `2 <= layers <= 6`."""
        if self.op == "range":
            return f"{self.values[0]!r} <= {self.parent} <= {self.values[1]!r}"
        if self.op in ("==", "!="):
            return f"{self.parent} {self.op} {self.values[0]!r}"
        return f"{self.parent} {self.op.replace('_', ' ')} {self.values!r}"


# The instance-dict key under which `normalized()` keeps its answer (not a field).
_NORMALIZED = "_normalized_range"


class _Base(_Strict):
    condition: Condition | None = None

    def normalized(self) -> ParamRange:
        """The domain as a NumericRange, a Choice or a Gaussian (hpo_bridge.core.ranges).

        Computed once per domain: samplers ask for it on every draw.
        """
        cached = self.__dict__.get(_NORMALIZED)
        if cached is None:
            cached = self._normalize()
            self.__dict__[_NORMALIZED] = cached  # frozen fields stay untouched
        return cached

    def _normalize(self) -> ParamRange:
        raise NotImplementedError

    def model_copy(self, *, update: Any = None, deep: bool = False) -> Any:
        copied = super().model_copy(update=update, deep=deep)
        copied.__dict__.pop(_NORMALIZED, None)  # an updated copy is another domain
        return copied

    @property
    def finite(self) -> bool:
        return self.size is not None

    @property
    def size(self) -> int | None:
        """How many values a finite domain has; None when it is continuous."""
        return None

    def contains(self, value: Any) -> bool:
        """Whether a finite domain takes `value` (False for a continuous one)."""
        return False

    def grid_values(self) -> list[Any]:
        raise ValueError("a continuous domain has no grid")


def _bound_issues(low: float, high: float, log: bool) -> list[tuple[tuple[str, ...], str]]:
    if not low < high:
        return [((), f"low ({low}) must be less than high ({high})")]
    if log and low <= 0:
        return [(("low",), f"scale log needs low > 0 (got {low})")]
    # reverse_log spaces values densely near `high`; the transform maps the
    # distance to the upper end through a log, so only the width must be > 0.
    return []


def _no_multiple(q: Any, low: Any, high: Any) -> str:
    return f"no multiple of q ({q}) lies in [{low}, {high}]"


def _q_issues(q: float | None, low: float, high: float) -> list[tuple[tuple[str, ...], str]]:
    # Indexes of multiples of q must be countable: 1e300 / 1e-300 is not.
    if q is not None and not (math.isfinite(low / q) and math.isfinite(high / q)):
        return [(("q",), f"q ({q}) is too small for the range [{low}, {high}]")]
    return []


def _q_range(low: float, high: float, q: float) -> tuple[int, int]:
    """Indexes i with low <= i*q <= high (with a little slack for float error)."""
    return grid_steps(low, high, q)


class FloatDomain(_Base):
    """A real number in [low, high]; `q` rounds it to multiples of q."""

    type: Literal["float"]
    low: float
    high: float
    scale: Scale = "linear"
    q: float | None = Field(default=None, gt=0)

    @model_validator(mode="after")
    def _bounds(self) -> FloatDomain:
        issues = _bound_issues(self.low, self.high, self.scale == "log")
        issues = issues or _q_issues(self.q, self.low, self.high)
        if not issues and self.q is not None and self.size == 0:
            issues = [(("q",), _no_multiple(self.q, self.low, self.high))]
        raise_at(type(self).__name__, issues)
        return self

    @property
    def size(self) -> int | None:
        if self.q is None:
            return None
        start, stop = _q_range(self.low, self.high, self.q)
        return max(0, stop - start + 1)

    def contains(self, value: Any) -> bool:
        if self.q is None:
            return False
        return on_grid(value, self.q, *_q_range(self.low, self.high, self.q))

    def grid_values(self) -> list[float]:
        assert self.q is not None
        start, stop = _q_range(self.low, self.high, self.q)
        return [round(i * self.q, 12) for i in range(start, stop + 1)]

    def _normalize(self) -> NumericRange:
        return NumericRange(self.low, self.high, integer=False, scale=self.scale, step=self.q,
                            scale_given="scale" in self.model_fields_set)


class IntDomain(_Base):
    """An integer in [low, high] (both included)."""

    type: Literal["int"]
    low: int
    high: int
    scale: Scale = "linear"

    @model_validator(mode="after")
    def _bounds(self) -> IntDomain:
        raise_at(type(self).__name__, _bound_issues(self.low, self.high, self.scale == "log"))
        return self

    @property
    def size(self) -> int:
        return self.high - self.low + 1

    def contains(self, value: Any) -> bool:
        return is_integral(value) and self.low <= value <= self.high

    def grid_values(self) -> list[int]:
        return list(range(self.low, self.high + 1))

    def _normalize(self) -> NumericRange:
        return NumericRange(self.low, self.high, integer=True, scale=self.scale,
                            scale_given="scale" in self.model_fields_set)


def _no_duplicates(values: list[Any]) -> list[Any]:
    """`values` when no value repeats; linear (a set of (type, value) keys), so 10,000
    categories validate in milliseconds.

    The type is part of the key: True == 1 == 1.0 in Python, but a categorical
    [1, true, 1.0] holds three distinct choices (`same_value` and the type agree).
    """
    seen: set[tuple[type, Any]] = set()
    for v in values:
        key = (type(v), v)
        if key in seen:
            raise ValueError(f"duplicate value {shown(v)}")
        seen.add(key)
    return values


class _ListedValues(_Base):
    """A domain that is its `values` list."""

    type: str  # narrowed by each subclass; declared first so dumps read `type` then `values`
    values: list[Any]

    @property
    def size(self) -> int:
        return len(self.values)

    def contains(self, value: Any) -> bool:
        return any(same_value(value, v) for v in self.values)

    def grid_values(self) -> list[Any]:
        return list(self.values)


class CategoricalDomain(_ListedValues):
    """One of a list of strings, numbers or booleans."""

    type: Literal["categorical"]
    values: list[Scalar] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _unique(cls, v: list[Any]) -> list[Any]:
        return _no_duplicates(v)

    def _normalize(self) -> Choice:
        return Choice(tuple(self.values), "categorical")


class DiscreteDomain(_ListedValues):
    """One of a strictly increasing list of numbers (AI Platform's DISCRETE)."""

    type: Literal["discrete"]
    values: list[Number] = Field(min_length=1)

    @field_validator("values")
    @classmethod
    def _increasing(cls, v: list[Any]) -> list[Any]:
        for a, b in zip(v, v[1:], strict=False):
            if not a < b:
                raise ValueError(f"must be strictly increasing ({a} is followed by {b})")
        return v

    def _normalize(self) -> Choice:
        return Choice(tuple(self.values), "discrete")


class BoolDomain(_Base):
    """true or false (Vega's BOOL)."""

    type: Literal["bool"]

    @property
    def size(self) -> int:
        return 2

    def contains(self, value: Any) -> bool:
        return isinstance(value, bool)

    def grid_values(self) -> list[bool]:
        return [False, True]

    def _normalize(self) -> Choice:
        return Choice((False, True), "bool")


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
FINITE_DISTRIBUTIONS = ("randint", "quniform", "qloguniform")


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
        issues: list[tuple[tuple[str, ...], str]] = []
        for name in ("low", "high", "mu", "sigma", "q", "upper"):
            given = getattr(self, name) is not None
            if name in wanted and not given:
                issues.append(((name,), f"required for distribution {self.distribution}"))
            elif given and name not in wanted:
                issues.append(
                    (
                        (name,),
                        f"does not apply to distribution {self.distribution}"
                        f" (it takes {', '.join(wanted)})",
                    )
                )
        if not issues and self.low is not None and self.high is not None:
            log = self.distribution in ("loguniform", "qloguniform")
            issues = _bound_issues(self.low, self.high, log) or _q_issues(
                self.q, self.low, self.high
            )
        if not issues and self.type == "int" and self.q is not None and self.q != int(self.q):
            # round(x / q) * q with a fractional q yields fractions: not an int domain.
            issues.append((("q",), f"type int needs a whole-number q (got {self.q})"))
        raise_at(type(self).__name__, issues)
        return self

    @property
    def is_int(self) -> bool:
        return self.distribution == "randint" or self.type == "int"

    def _q_indexes(self) -> tuple[int, int]:
        # Azure rounds the draw, round(x / q) * q, so the ends round too (and the
        # set is never empty, unlike FloatDomain's multiples *within* [low, high]).
        assert self.q is not None and self.low is not None and self.high is not None
        return round(self.low / self.q), round(self.high / self.q)

    @property
    def size(self) -> int | None:
        if self.distribution == "randint":
            assert self.upper is not None
            return self.upper
        if self.distribution in FINITE_DISTRIBUTIONS:
            start, stop = self._q_indexes()
            return stop - start + 1
        return None

    def contains(self, value: Any) -> bool:
        if self.distribution == "randint":
            assert self.upper is not None
            return is_integral(value) and 0 <= value < self.upper
        if self.distribution in FINITE_DISTRIBUTIONS:
            assert self.q is not None
            return on_grid(value, self.q, *self._q_indexes())
        return False

    def grid_values(self) -> list[Any]:
        if self.distribution == "randint":
            assert self.upper is not None
            return list(range(self.upper))
        if self.distribution not in FINITE_DISTRIBUTIONS:
            raise ValueError(f"distribution {self.distribution} has no grid")
        assert self.q is not None
        start, stop = self._q_indexes()
        values = [round(i * self.q, 12) for i in range(start, stop + 1)]
        return [int(v) for v in values] if self.is_int else values

    def _normalize(self) -> NumericRange | Gaussian:
        name = self.distribution
        if name == "randint":
            assert self.upper is not None
            return NumericRange(0, self.upper - 1, integer=True, rounding="floor")
        log = name in ("loguniform", "qloguniform", "lognormal", "qlognormal")
        if name in ("normal", "lognormal", "qnormal", "qlognormal"):
            assert self.mu is not None and self.sigma is not None
            return Gaussian(self.mu, self.sigma, log=log, step=self.q, integer=self.is_int)
        assert self.low is not None and self.high is not None
        return NumericRange(self.low, self.high, integer=self.is_int,
                            scale="log" if log else "linear", step=self.q, rounding="draw")


def _domain_tag(value: Any) -> str | None:
    if isinstance(value, dict):
        if "distribution" in value:
            return "distribution"
        t = value.get("type")
        return t if isinstance(t, str) and t in DOMAIN_TAGS else None
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
