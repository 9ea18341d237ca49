"""Collecting what SageMaker cannot express, and applying approximations under --approximate."""

from __future__ import annotations

from dataclasses import dataclass, field

from hpo_bridge.backend import BackendError, Unsupported, UnsupportedFeatures

BACKEND = "sagemaker"


class InvalidRequest(BackendError):
    """The request would be rejected (missing settings, limits of the service model)."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("\n".join(f"{BACKEND}: {p}" for p in problems))


@dataclass
class Issues:
    """Unsupported features met while translating; with `approximate`, the approximable
    ones become warnings and the translator applies the approximation."""

    approximate: bool = False
    unsupported: list[Unsupported] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def add(self, path: str, feature: str, nearest: str, approximation: str | None = None) -> bool:
        """Record one feature; True when the caller should apply `approximation`."""
        if self.approximate and approximation is not None:
            self.warnings.append(f"{path}: {feature} is approximated: {approximation}")
            return True
        self.unsupported.append(Unsupported(path, feature, nearest, approximation))
        return False

    def raise_if_any(self) -> None:
        if self.unsupported:
            raise UnsupportedFeatures(BACKEND, self.unsupported)
