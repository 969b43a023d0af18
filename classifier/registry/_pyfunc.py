"""The MLflow pyfunc wrapper of a classifier artifact (imports mlflow at module level).

Only :mod:`classifier.registry._registry` imports this module, inside its functions, so
``import classifier`` stays free of mlflow. Loading the logged model back needs
tierroute installed (the wrapper scores with :func:`classifier.inference.load_artifact`).

``predict`` takes a DataFrame with a ``text`` column, a list of strings, a Series or
``{"text": [...]}``, and returns a DataFrame with one probability column per tier
(cheapest first); each row sums to 1.
"""

from __future__ import annotations

import warnings
from pathlib import Path
from typing import Any

import mlflow.pyfunc
import numpy as np
import pandas as pd
from mlflow.models import ModelSignature
from mlflow.pyfunc.model import PythonModel
from mlflow.types import ColSpec, Schema

from classifier._scorer import ComplexityScorer
from classifier.inference import load_artifact
from classifier.registry._uri import ARTIFACT_KEY
from policies import ClassifierError

__all__ = ["TierScorerModel", "save_pyfunc", "texts_of"]


def texts_of(model_input: Any) -> list[str]:
    """The prompt texts of a pyfunc input (see the module docstring)."""
    if isinstance(model_input, pd.DataFrame):
        if "text" in model_input.columns:
            column = model_input["text"]
        elif len(model_input.columns) == 1:
            column = model_input.iloc[:, 0]
        else:
            raise ClassifierError(
                f"pyfunc input: expected a 'text' column, got {list(model_input.columns)}"
            )
        return [str(t) for t in column]
    if isinstance(model_input, pd.Series | np.ndarray):
        return [str(t) for t in model_input.tolist()]
    if isinstance(model_input, dict) and "text" in model_input:
        value = model_input["text"]
        return [value] if isinstance(value, str) else [str(t) for t in value]
    if isinstance(model_input, str):
        return [model_input]
    if isinstance(model_input, list) and all(isinstance(t, str) for t in model_input):
        return list(model_input)
    raise ClassifierError(
        f"pyfunc input: expected a DataFrame with a 'text' column or a list of strings, "
        f"got {type(model_input).__name__}"
    )


class TierScorerModel(PythonModel):
    """Scores prompts with the artifact directory stored under the ``classifier`` key."""

    # The signature is explicit: no type-hint schema inference or input wrapping.
    _skip_type_hint_validation = True

    def load_context(self, context: Any) -> None:
        self._scorer = load_artifact(Path(context.artifacts[ARTIFACT_KEY]))

    # No annotations: mlflow would read them as a schema.
    def predict(self, context, model_input, params=None):  # type: ignore[no-untyped-def]
        probs = self._scorer.score(texts_of(model_input))
        return pd.DataFrame(probs, columns=list(self._scorer.labels))


def signature(labels: tuple[str, ...]) -> ModelSignature:
    return ModelSignature(
        inputs=Schema([ColSpec("string")]),  # unnamed: a list of str or a "text" column
        outputs=Schema([ColSpec("double", label) for label in labels]),
    )


def save_pyfunc(artifact_dir: Path, scorer: ComplexityScorer, path: Path) -> None:
    """Write ``artifact_dir`` as a pyfunc model into the new folder ``path``."""
    with warnings.catch_warnings():
        # the signature is explicit: mlflow's hints about type hints and input examples
        # do not apply
        warnings.filterwarnings("ignore", message=".*(type hint|input_example).*")
        mlflow.pyfunc.save_model(
            path=str(path),
            python_model=TierScorerModel(),
            artifacts={ARTIFACT_KEY: str(artifact_dir)},
            signature=signature(scorer.labels),
            pip_requirements=["tierroute", "onnxruntime", "tokenizers", "numpy", "pandas"],
        )
