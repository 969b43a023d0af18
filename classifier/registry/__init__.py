"""The MLflow model registry: log training runs, register versions, review gates,
promotion and rollback by alias (mlflow imported lazily, inside the functions).

    >>> from classifier.registry import ModelRegistry
    >>> registry = ModelRegistry()  # $TIERROUTE_MLFLOW_URI, else sqlite under the data dir
    >>> registry.versions()
"""

from __future__ import annotations

from classifier.registry._promotion import (
    REVIEW_STATES,
    GateInputs,
    GateResult,
    PromotionRefused,
    PromotionResult,
    check_gates,
    gate_counts,
    promote,
    record_review,
    rollback,
)
from classifier.registry._registry import (
    ModelRegistry,
    RegisteredVersion,
    load_registered,
    log_training_run,
    set_alias,
)
from classifier.registry._uri import (
    DEFAULT_EXPERIMENT,
    DEFAULT_REGISTERED_MODEL,
    resolve_tracking_uri,
)

__all__ = [
    "DEFAULT_EXPERIMENT",
    "DEFAULT_REGISTERED_MODEL",
    "REVIEW_STATES",
    "GateInputs",
    "GateResult",
    "ModelRegistry",
    "PromotionRefused",
    "PromotionResult",
    "RegisteredVersion",
    "check_gates",
    "gate_counts",
    "load_registered",
    "log_training_run",
    "promote",
    "record_review",
    "resolve_tracking_uri",
    "rollback",
    "set_alias",
]
