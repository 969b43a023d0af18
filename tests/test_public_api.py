"""Guard each package's public surface: a change here is a change for users."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

PUBLIC = {
    "policies": [
        "DETECTOR_NAMES",
        "BackendError",
        "Calibration",
        "CascadeConfig",
        "ClassifierConfig",
        "ClassifierError",
        "ConversationConfig",
        "Deployment",
        "LabelingError",
        "Matcher",
        "Objective",
        "OverrideRule",
        "Policy",
        "PolicyError",
        "PolicyProblem",
        "PromptError",
        "RegistryError",
        "ReviewGates",
        "RuleActions",
        "Tier",
        "TierrouteError",
        "default_policy",
        "default_policy_path",
        "field_line_finder",
        "load_policy",
        "parse_policy",
        "steering_param",
    ],
    "router": [
        "Attempt",
        "DecisionRecord",
        "FeedbackRecord",
        "LOG_SCHEMA_VERSION",
        "parse_log_record",
        "prompt_sha256",
        "DETECTORS",
        "ComplexityScorer",
        "Decision",
        "PolicyError",
        "PromptError",
        "Router",
        "TierrouteError",
        "default_router",
        "default_scorer",
        "detect_code",
        "detect_math",
        "detect_pii",
        "detect_sql",
        "find_pii",
        "PiiMatch",
        "estimate_tokens",
        "route",
        "route_batch",
        "STICKY_REASON",
        "sticky_decision",
        "sticky_floor",
        "AUTO_CONVERSATION_PREFIX",
        "auto_conversation_id",
        "follows_up",
    ],
    "classifier": [
        "DEFAULT_MODEL_DIR",
        "DEFAULT_TFIDF_PATH",
        "LABEL_COLUMNS",
        "REQUIRED_LABEL_COLUMNS",
        "ROUTERBENCH_TIER_MODELS",
        "SPLITS",
        "ComplexityScorer",
        "DataSettings",
        "OnnxComplexityScorer",
        "RouterBenchRow",
        "TfidfScorer",
        "cheapest_sufficient_tier",
        "data_settings",
        "load_default_scorer",
        "load_scorer",
        "local_data_dir",
        "read_routerbench",
        "shared_data_dir",
    ],
    "labeling": [
        "ADAPTERS",
        "AGGREGATORS",
        "FEEDBACK_SCHEMA",
        "LABELING_FUNCTIONS",
        "PII_PATTERNS",
        "RECORD_SCHEMA",
        "Adapter",
        "Aggregation",
        "Aggregator",
        "Batch",
        "JudgeFunction",
        "JudgeLike",
        "LabelConfig",
        "LabelResult",
        "LabelingFunction",
        "Quarantine",
        "ReadContext",
        "RecordError",
        "TierMap",
        "aggregate_votes",
        "clip",
        "detect_format",
        "run_labeling",
        "scrub_frame",
        "split_of",
    ],
    "serving": [
        "AsyncClient",
        "BackendConfig",
        "BackendProcess",
        "Client",
        "DecisionLogWriter",
        "InvalidRequestError",
        "ServiceAuthError",
        "ServiceConnectionError",
        "ServiceError",
        "ServiceUnavailableError",
        "Settings",
        "SimModel",
        "app",
        "create_app",
        "create_backend_app",
        "default_backend_config",
        "generate_key",
        "hash_key",
        "main",
        "read_decision_log",
        "replay_table_from_routerbench",
        "run_backends",
    ],
}


@pytest.mark.parametrize("package", sorted(PUBLIC))
def test_public_names(package: str) -> None:
    module = importlib.import_module(package)
    assert sorted(module.__all__) == sorted(PUBLIC[package])
    for name in module.__all__:
        assert getattr(module, name) is not None


def test_errors_share_one_hierarchy() -> None:
    import policies

    for name in (
        "PolicyError",
        "PromptError",
        "ClassifierError",
        "LabelingError",
        "RegistryError",
        "BackendError",
    ):
        assert issubclass(getattr(policies, name), policies.TierrouteError)


def test_router_stays_light() -> None:
    """Routing imports no torch, transformers, mlflow, litellm, fastapi or sklearn."""
    code = (
        "import sys\n"
        "from router import route\n"
        "d = route('SELECT name FROM users WHERE id = 3; why is this slow?')\n"
        "assert d.speculative is False, d\n"
        "heavy = {'torch', 'transformers', 'mlflow', 'litellm', 'fastapi', 'sklearn'}\n"
        "print(sorted(heavy & set(sys.modules)))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
