"""The one error hierarchy of tierroute.

It lives in ``policies`` because that is the bottom layer: every other package
may import it without pointing an import upwards.

    TierrouteError                 base class: catch this to catch everything below
    ├── PolicyError                a policy file or object is invalid (``.problems`` lists each)
    ├── PromptError                a routing input is unusable (empty, wrong type, ...)
    ├── ClassifierError            a scorer/model cannot be loaded, trained or run
    ├── LabelingError              a labeling input or step failed as a whole
    ├── RegistryError              an MLflow registry operation failed
    └── BackendError               an LLM backend failed and no fallback could answer

Every message says what is wrong and where (file:line, JSON path or field).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "BackendError",
    "ClassifierError",
    "LabelingError",
    "PolicyError",
    "PolicyProblem",
    "PromptError",
    "RegistryError",
    "TierrouteError",
]


class TierrouteError(Exception):
    """Base class of every error tierroute raises on purpose."""


@dataclass(frozen=True)
class PolicyProblem:
    """One thing wrong with a policy: where it is and what is wrong."""

    source: str
    line: int | None
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.source}:{self.line}" if self.line is not None else self.source
        field = self.field or "<root>"
        return f"{where}: {field}: {self.message}"


class PolicyError(TierrouteError):
    """A policy is invalid. ``problems`` holds one entry per problem found."""

    def __init__(self, problems: list[PolicyProblem]) -> None:
        self.problems = tuple(problems)
        super().__init__("\n".join(str(p) for p in problems) or "invalid policy")


class PromptError(TierrouteError, ValueError):
    """A prompt or messages list cannot be routed (empty, non-string content, ...)."""


class ClassifierError(TierrouteError):
    """A complexity scorer could not be loaded, trained, exported or run."""


class LabelingError(TierrouteError):
    """A labeling run could not proceed (as a whole; bad records are quarantined instead)."""


class RegistryError(TierrouteError):
    """An MLflow model-registry operation failed."""


class BackendError(TierrouteError):
    """An LLM backend failed and no fallback or escalation could answer."""
