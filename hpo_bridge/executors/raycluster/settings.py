"""`backends.ray` in a spec: where the Ray cluster is and what each trial asks of it.

```yaml
backends:
  ray:
    address: "10.0.0.5:6379"        # or ray://HOST:10001, or auto; --ray-address wins
    num_cpus: 2                     # per trial, as in Ray's own options
    num_gpus: 0.5                   # fractional: trials share a GPU; > 1: whole numbers
    memory: 4GiB
    resources: {slot: 1}            # custom resources of `ray start --resources`
    runtime_env: {pip: [torch], env_vars: {TOKENIZERS_PARALLELISM: "false"}}
    scheduling: spread              # or default (Ray's hybrid policy)
```

The settings live under `backends.ray` like every plugin's own settings (validated by
this model when the spec loads), although Ray is an executor of the local backend
rather than a backend: no new top-level section, one place for a plugin's settings.
Importing this module does not import Ray.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hpo_bridge.spec import Duration

# Ray's own resource names: set them through num_cpus, num_gpus and memory.
RESERVED = {"CPU": "num_cpus", "GPU": "num_gpus", "memory": "memory",
            "object_store_memory": "(not per trial)"}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(?:([kmgtp])(i?)b?|b)?\s*$", re.IGNORECASE)
_POWER = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_bytes(value: Any) -> int:
    """Bytes in `value`: a number, or `512MB`, `4GiB`, `2G` (powers of 1000 without `i`,
    of 1024 with it). Raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError("must be a size such as 4GiB, 512MB or a number of bytes")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise ValueError("must be a whole, positive number of bytes")
        size = Fraction(value)
    elif isinstance(value, str) and (m := _SIZE.match(value)):
        unit = (m.group(2) or "").lower()
        size = Fraction(m.group(1)) * (1024 if m.group(3) else 1000) ** _POWER[unit]
    else:
        raise ValueError(f"{value!r} is not a size (use 4GiB, 512MB, 2G or bytes)")
    if size < 1 or size.denominator != 1:
        raise ValueError("must be a whole, positive number of bytes")
    return int(size)


def _quantity(name: str, value: float) -> float:
    """Ray's rule for resource amounts: fractions only below 1 (a share of one unit)."""
    if value < 0 or not math.isfinite(value):
        raise ValueError(f"{name}: must be a number >= 0")
    if value > 1 and value != int(value):
        raise ValueError(f"{name}: above 1 a resource is taken whole (got {value:g})")
    return value


class RaySettings(BaseModel):
    """Settings of the `ray` executor (all optional)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    address: str | None = None
    num_cpus: float = 1.0
    num_gpus: float = 0.0
    memory: int | None = None  # bytes; "4GiB" in YAML
    resources: dict[str, float] = Field(default_factory=dict)
    runtime_env: dict[str, Any] = Field(default_factory=dict)
    scheduling: Literal["default", "spread"] = "default"
    node_dir: str | None = None  # trials' folders on the nodes (default: the temp folder)
    orphan_timeout: Duration = 60.0  # a trial whose orchestrator went away ends after this
    unreachable_after: Duration = 60.0  # a cluster not answering that long stops the study
    autoscaling: bool = False  # the cluster adds nodes on demand: wait for resources
    ship_hpo_bridge: bool = True  # send this hpo_bridge to the nodes (runtime_env py_modules)

    @field_validator("num_cpus")
    @classmethod
    def _cpus(cls, v: float) -> float:
        return _quantity("num_cpus", v)

    @field_validator("num_gpus")
    @classmethod
    def _gpus(cls, v: float) -> float:
        return _quantity("num_gpus", v)

    @field_validator("memory", mode="before")
    @classmethod
    def _memory(cls, v: Any) -> Any:
        return None if v is None else parse_bytes(v)

    @field_validator("resources")
    @classmethod
    def _resources(cls, v: dict[str, float]) -> dict[str, float]:
        for name, amount in v.items():
            if name in RESERVED:
                raise ValueError(f"{name}: use {RESERVED[name]} for Ray's own resource")
            _quantity(name, amount)
        return v

    @field_validator("runtime_env")
    @classmethod
    def _runtime_env(cls, v: dict[str, Any]) -> dict[str, Any]:
        if "working_dir" in v:
            raise ValueError("working_dir: hpo-bridge ships trial.code as the working_dir")
        return v

    @field_validator("address")
    @classmethod
    def _address(cls, v: str | None) -> str | None:
        if v is not None and not v.strip():
            raise ValueError("must not be empty (leave it out to use RAY_ADDRESS)")
        return v.strip() if v else v

    @model_validator(mode="after")
    def _something_to_run_on(self) -> RaySettings:
        if self.num_cpus == 0 and self.num_gpus == 0 and not self.resources:
            # Ray would place any number of such trials on one node at once.
            raise ValueError("a trial must ask for something: num_cpus, num_gpus or resources")
        return self

    def actor_options(self) -> dict[str, Any]:
        """The resource options of a trial's Ray actor."""
        options: dict[str, Any] = {"num_cpus": self.num_cpus, "num_gpus": self.num_gpus}
        if self.memory is not None:
            options["memory"] = self.memory
        if self.resources:
            options["resources"] = dict(self.resources)
        return options

    def request(self) -> dict[str, float]:
        """What one trial takes, by Ray's resource names (for the feasibility check)."""
        wanted = {"CPU": self.num_cpus, "GPU": self.num_gpus, **self.resources}
        if self.memory is not None:
            wanted["memory"] = float(self.memory)
        return {k: v for k, v in wanted.items() if v > 0}
