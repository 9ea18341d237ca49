"""`warm_start`: earlier trials a new study learns from.

    warm_start: {from: [studies/nightly-41, my-tuning-job-3f2a9c1d], type: identical}

`from` lists study directories (relative to the spec's folder) or a cloud's job ids.
The local backend reads the trials of each study directory; a cloud backend maps the
list to its own form (SageMaker's WarmStartConfig parents; a study directory of a cloud
study stands for its job). The earlier trials are not trials of the new study: they do
not count against `max_trials` and are not among its results.

- Bayesian and BOHB searchers learn from the earlier trials' results; random, grid and
  sobol propose as they would without them.
- `early_stopping` (default true): the stopping rule also compares running trials with
  the earlier trials' curves (Azure: random and grid use earlier runs for early
  termination).
- `type`: `identical` (same data and training code: SageMaker's
  IdenticalDataAndAlgorithm) or `transfer` (SageMaker's TransferLearning: the data or
  the code changed). Locally both read the trials the same way: only the configurations
  that lie in this spec's search space are used.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field, field_validator

from hpo_bridge.spec.section import Section, lower


class WarmStart(Section):
    """Earlier studies or cloud jobs whose trials this study learns from."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_by_name=False,
                              validate_by_alias=True, serialize_by_alias=True)

    sources: list[str] = Field(alias="from", min_length=1, max_length=100)
    type: Literal["identical", "transfer"] = "identical"
    early_stopping: bool = True

    @field_validator("sources")
    @classmethod
    def _distinct(cls, v: list[str]) -> list[str]:
        if any(not s.strip() for s in v):
            raise ValueError("a source is a study directory or a job id, not empty")
        repeated = sorted({s for s in v if v.count(s) > 1})
        if repeated:
            raise ValueError(f"{', '.join(repeated)} given twice")
        return v

    @field_validator("type", mode="before")
    @classmethod
    def _case(cls, v: Any) -> Any:
        return lower(v)
