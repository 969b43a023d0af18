from __future__ import annotations

import json
from collections.abc import Sequence

import pytest
import yaml

from policies import ClassifierError, Policy, PolicyError, PromptError, default_policy_path
from router import ComplexityScorer, Decision, Router
from tests.fakes import FixedScorer

POLICY_DATA = yaml.safe_load(default_policy_path().read_text())
LABELS = ("s", "m", "f")  # positional labels: the router maps them onto the tiers in order


def _policy(**changes: object) -> Policy:
    data = json.loads(json.dumps(POLICY_DATA))
    for dotted, value in changes.items():
        node = data
        *parents, last = dotted.split("__")
        for key in parents:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return Policy.model_validate(data)


def _router(probs: Sequence[float], **changes: object) -> Router:
    return Router(_policy(**changes), FixedScorer(probs, LABELS))


def test_fixed_scorer_satisfies_protocol() -> None:
    assert isinstance(FixedScorer([1, 0, 0], LABELS), ComplexityScorer)


def test_easy_prompt_goes_small_and_speculative() -> None:
    decision = _router([0.9, 0.08, 0.02]).route("What is the capital of France?")
    assert decision.tier == "small"
    assert decision.model == "openai/mistral-7b-chat-spec"
    assert decision.speculative is True
    assert decision.cascade is True
    assert decision.complexity == pytest.approx(0.06)
    assert sum(decision.scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert decision.classifier_version == "fixed-1"
    assert decision.policy_version.startswith("default@1#")


def test_sql_prompt_is_never_speculative_nor_cascaded() -> None:
    router = _router([0.9, 0.08, 0.02])
    decision = router.route("SELECT name FROM users WHERE id = 3; why is this slow?")
    assert decision.tier == "small"
    assert decision.speculative is False
    assert decision.model == "openai/mistral-7b-chat"
    assert decision.cascade is False
    assert "sql-no-speculation" in decision.rules
    assert "rule:sql-no-speculation" in decision.reasons
    assert "sql" in decision.detectors


def test_threshold_strategy_maps_complexity_to_tiers() -> None:
    assert _router([0.05, 0.85, 0.1]).route("a question").tier == "medium"  # complexity 0.525
    hard = _router([0.05, 0.1, 0.85]).route("a question")
    assert hard.tier == "frontier" and hard.cascade is False
    assert any(r.startswith("threshold:frontier complexity=0.90>=0.55") for r in hard.reasons)


def test_try_cheaper_first_starts_one_tier_lower() -> None:
    # complexity 0.65 -> frontier, but P(medium or below suffices) = 0.5 >= 0.45
    decision = _router([0.2, 0.3, 0.5]).route("a question")
    assert decision.tier == "medium"
    assert decision.cascade is True
    assert "cascade:try-cheaper-first p=0.50" in decision.reasons


def test_sql_disables_try_cheaper_first() -> None:
    decision = _router([0.2, 0.3, 0.5]).route("Write a SQL query that lists all orders.")
    assert decision.tier == "frontier"
    assert decision.cascade is False
    assert not any(r.startswith("cascade:") for r in decision.reasons)


def test_utility_strategy_weighs_quality_against_cost() -> None:
    probs = [0.5, 0.3, 0.2]
    utility = {"classifier__strategy": "utility", "cascade__enabled": False}
    cheap = _router(probs, objective__quality_weight=0.05, **utility)
    rich = _router(probs, objective__quality_weight=0.99, **utility)
    assert cheap.route("q").tier == "small"
    assert rich.route("q").tier == "frontier"


def test_rule_actions_force_min_max_and_metadata() -> None:
    rules = [
        {
            "name": "vip",
            "match": {"metadata": {"tenant": "acme"}},
            "actions": {"min_tier": "medium"},
        },
        {"name": "cap", "match": {"regex": "(?i)haiku"}, "actions": {"max_tier": "small"}},
        {"name": "legal", "match": {"regex": "contract"}, "actions": {"force_tier": "frontier"}},
    ]
    router = _router([0.9, 0.05, 0.05], overrides=rules)
    assert router.route("hi", metadata={"tenant": "acme"}).tier == "medium"
    assert router.route("hi", metadata={"tenant": "other"}).tier == "small"
    hard = Router(router.policy, FixedScorer([0.0, 0.0, 1.0], LABELS))
    assert hard.route("write a Haiku").tier == "small"
    forced = hard.route("review this contract")
    assert forced.tier == "frontier" and forced.rules == ("legal",)
    # a minimum beats a maximum when they conflict
    assert hard.route("haiku", metadata={"tenant": "acme"}).tier == "medium"


def test_budget_caps_the_tier() -> None:
    router = _router([0.0, 0.0, 1.0], objective__max_cost_usd_per_request=0.001)
    decision = router.route("hard question")
    assert decision.tier != "frontier"
    assert "objective:max-cost<=0.001" in decision.reasons
    assert decision.est_cost_usd <= 0.001


def test_latency_slo_caps_the_tier() -> None:
    decision = _router([0.0, 0.0, 1.0], objective__latency_slo_ms=2000).route("hard question")
    assert decision.tier == "small"  # frontier 10.45 s, medium 5.9 s, small 1.6 s
    assert "objective:latency-slo<=2000ms" in decision.reasons


def test_long_prompt_is_forced_to_frontier() -> None:
    decision = _router([0.9, 0.05, 0.05]).route("word " * 30_000)
    assert decision.tier == "frontier"
    assert "long-context-frontier" in decision.rules
    assert decision.input_tokens >= 30_000


def test_one_megabyte_prompt_routes() -> None:
    decision = _router([0.9, 0.05, 0.05]).route("x" * 1_000_000)
    assert decision.tier == "frontier"
    assert decision.input_tokens == 250_000
    assert "context:exceeds-every-window" in decision.reasons


def test_context_window_moves_up_a_tier() -> None:
    router = _router([0.9, 0.05, 0.05], overrides=[])
    decision = router.route("word " * 40_000)  # 50k tokens: beyond 32k, within 128k
    assert decision.tier == "frontier"
    assert any(r.startswith("context:") for r in decision.reasons)


def test_speculation_off_skips_a_speculative_only_tier() -> None:
    small_spec_only = [POLICY_DATA["tiers"][0]["deployments"][0]]
    router = _router([0.9, 0.05, 0.05], tiers__0__deployments=small_spec_only)
    decision = router.route("SELECT * FROM t WHERE a = 1")
    assert decision.tier == "medium" and not decision.speculative
    assert "speculation:off-moved-to-medium" in decision.reasons


def test_policy_that_cannot_serve_sql_is_rejected() -> None:
    tiers = [
        dict(t, deployments=[dict(d, speculative=True) for d in t["deployments"]])
        for t in POLICY_DATA["tiers"]
    ]
    with pytest.raises(PolicyError, match="every deployment is speculative"):
        _router([1, 0, 0], tiers=tiers)


def test_messages_route_on_the_last_user_turn() -> None:
    messages = [
        {"role": "system", "content": "You are a PostgreSQL expert. Reply with one SQL query."},
        {"role": "user", "content": "hello"},
        {"role": "assistant", "content": "Hi! What do you need?"},
        {"role": "user", "content": [{"type": "text", "text": "top customers by revenue"}]},
    ]
    decision = _router([0.9, 0.05, 0.05]).route(messages)
    assert "sql" in decision.detectors  # the system prompt asks for PostgreSQL
    assert decision.speculative is False


@pytest.mark.parametrize(
    ("prompt", "message"),
    [
        ("", "prompt: is empty"),
        ("   \n", "prompt: is empty"),
        ([], "messages: is empty"),
        (42, "expected a string or a list of messages, got int"),
        (b"bytes", "got bytes"),
        ([{"role": "user", "content": 7}], r"messages\[0\].content: expected a string"),
        ([{"role": "robot", "content": "x"}], r"messages\[0\].role: expected one of"),
        ([{"role": "user", "content": [{"type": "text", "text": 1}]}], r"content\[0\].text"),
        ([{"role": "system", "content": "only system"}], "no user message"),
    ],
)
def test_bad_prompts_raise_prompt_error(prompt: object, message: str) -> None:
    with pytest.raises(PromptError, match=message):
        _router([1, 0, 0]).route(prompt)  # type: ignore[arg-type]


def test_prompt_over_policy_limit_is_rejected() -> None:
    router = _router([1, 0, 0], max_prompt_chars=1000)
    with pytest.raises(PromptError, match="1001 characters exceeds the policy limit of 1000"):
        router.route("x" * 1001)


def test_route_batch_matches_route() -> None:
    router = _router([0.2, 0.5, 0.3])
    prompts = ["one", "SELECT a FROM b WHERE c = 1", [{"role": "user", "content": "three"}]]
    assert router.route_batch(prompts) == [router.route(p) for p in prompts]


def test_scorer_labels_map_by_name_or_position() -> None:
    by_name = Router(_policy(), FixedScorer([0.1, 0.0, 0.9], ("frontier", "medium", "small")))
    assert by_name.route("q").scores == {"small": 0.9, "medium": 0.0, "frontier": 0.1}
    with pytest.raises(ClassifierError, match="cannot be mapped onto policy tiers"):
        Router(_policy(), FixedScorer([0.5, 0.5], ("easy", "hard")))


def test_decision_round_trips_through_json() -> None:
    decision = _router([0.2, 0.5, 0.3]).route("SELECT 1 FROM dual WHERE x = 2")
    data = json.loads(decision.to_json())
    assert isinstance(data["reasons"], list)
    assert Decision.from_dict(data) == decision


def test_only_the_detectors_the_policy_names_run() -> None:
    prompt = "def f(x):\n    return x  # SELECT name FROM users WHERE id = 3"
    shipped = _router([0.9, 0.08, 0.02]).route(prompt)
    assert "sql" in shipped.detectors and "code" not in shipped.detectors  # no code rule
    rule = {"name": "code-medium", "match": {"detector": "code"}, "actions": {"min_tier": "medium"}}
    with_code = Router(
        Policy.model_validate({**POLICY_DATA, "overrides": [*POLICY_DATA["overrides"], rule]}),
        FixedScorer([0.9, 0.08, 0.02]),
    ).route(prompt)
    assert "code" in with_code.detectors and "code-medium" in with_code.rules


def test_decision_to_dict_is_json_ready_and_detached() -> None:
    decision = _router([0.1, 0.2, 0.7]).route("SELECT 1; why is this slow?")
    data = decision.to_dict()
    assert json.loads(decision.to_json()) == data  # lists for tuples, plain dicts
    assert isinstance(data["reasons"], list) and isinstance(data["detectors"], list)
    assert Decision.from_dict(data) == decision
    data["scores"]["small"] = 99.0  # the dict is a copy: the frozen decision is unchanged
    data["detector_turns"]["x"] = 1
    assert decision.scores["small"] != 99.0 and "x" not in decision.detector_turns
