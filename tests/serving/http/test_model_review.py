"""End to end against a real ``mlflow server``: review, gated promotion, a running
service that follows ``@champion``, a refused broken version, rollback."""

from __future__ import annotations

import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from classifier.registry import ModelRegistry, set_alias
from classifier.training import TfidfTrainer
from policies import default_policy_path
from tests._review_fixtures import train_tfidf, write_labels, write_routerbench
from tests.fakes import wait_until

NAME = "review-e2e"
PROMPTS = ["hello there", "prove the theorem that there are infinitely many primes",
           "write a python function to sort a list"]  # fmt: skip


def _policy_with_target(path: Path) -> Path:
    """The default policy with a frontier-share target the good model meets (1/3)."""
    text = default_policy_path().read_text()
    text = text.replace("  thresholds:\n", "  target_tier_share: {frontier: 0.34}\n  thresholds:\n")
    path.write_text(text)
    return path


def _cli(*args: str) -> Any:
    from serving import app

    return CliRunner().invoke(app, list(args))


def _register(registry: ModelRegistry, folder: Path) -> str:
    return registry.log_training_run(folder, registered_model_name=NAME).version


class _Traffic(threading.Thread):
    """Posts /v1/route in a loop; records every status and classifier version."""

    def __init__(self, client: Any) -> None:
        super().__init__(daemon=True)
        self.client, self.stop = client, threading.Event()
        self.statuses: Counter[int] = Counter()
        self.versions: list[str] = []

    def run(self) -> None:
        i = 0
        while not self.stop.is_set():
            response = self.client.post("/v1/route", json={"prompt": PROMPTS[i % len(PROMPTS)]})
            self.statuses[response.status_code] += 1
            if response.status_code == 200:
                self.versions.append(response.json()["classifier_version"])
            i += 1


def _review(tmp_path: Path, uri: str, policy: Path, version: str, data: Path, rb: Path) -> Path:
    out = tmp_path / f"review-v{version}"
    result = _cli("review", "--name", NAME, "--challenger", version, "--data", str(data),
                  "--routerbench", str(rb), "--out", str(out), "--policy", str(policy),
                  "--tracking-uri", uri)  # fmt: skip
    assert result.exit_code == 0, result.output
    return out


@pytest.mark.integration
@pytest.mark.slow
def test_review_promote_follow_and_rollback(
    mlflow_server: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIERROUTE_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TIERROUTE_MLFLOW_URI", mlflow_server)
    registry = ModelRegistry(mlflow_server)
    data, rb = write_labels(tmp_path / "labels.parquet"), write_routerbench(tmp_path / "rb")
    policy = _policy_with_target(tmp_path / "policy.yaml")
    uri, gate_args = mlflow_server, ("--policy", str(policy), "--tracking-uri", mlflow_server)

    v1 = registry.log_training_run(
        train_tfidf(tmp_path / "m1", "noisy"), registered_model_name=NAME, alias="champion"
    ).version
    v2 = _register(registry, train_tfidf(tmp_path / "m2", "good"))

    # review: files with the metrics, logged to the run, tags on the version
    out = _review(tmp_path, uri, policy, v2, data, rb)
    summary = json.loads((out / "review.json").read_text())
    assert summary["champion"]["version"] == v1 and summary["challenger"]["version"] == v2
    assert summary["deltas"]["accuracy"] > 0
    assert {"apgr", "cpt50", "cost_per_1k_usd", "latency_p99_ms"} <= set(summary["deltas"])
    assert summary["disagreements"] and "source:chat" in summary["challenger"]["slices"]
    html = (out / "review.html").read_text()
    assert "data:image/png;base64," in html and "Cost-quality curves" in html
    tagged = registry.get_version(NAME, v2)
    assert tagged.tags["review"] == "pending" and tagged.tags["review.champion"] == v1
    assert "Review of review-e2e v2 against v1" in tagged.description
    logged = {a.path for a in registry.client().list_artifacts(tagged.run_id, "review")}
    assert "review/review.html" in logged and "review/cost_quality.png" in logged

    # not approved yet: refused; approved and gates pass: the alias moves
    refused = _cli("promote", "--name", NAME, "--version", v2, *gate_args)
    assert refused.exit_code == 1 and "approval: FAIL" in refused.output
    decision = ("--approve", "--reviewer", "ana", "--reason", "better everywhere")
    decided = _cli(
        "review-decision", "--name", NAME, "--version", v2, *decision, "--tracking-uri", uri
    )
    assert decided.exit_code == 0, decided.output
    promoted = _cli("promote", "--name", NAME, "--version", v2, *gate_args)
    assert promoted.exit_code == 0, promoted.output
    assert registry.resolve(f"models:/{NAME}@champion").version == v2

    _serve_while_the_alias_moves(tmp_path, registry, uri, policy, data, rb, gate_args, v2)


def _serve_while_the_alias_moves(
    tmp_path: Path,
    registry: ModelRegistry,
    uri: str,
    policy: Path,
    data: Path,
    rb: Path,
    gate_args: tuple[str, ...],
    v2: str,
) -> None:
    from fastapi.testclient import TestClient

    from serving import Settings, create_app

    async def no_backend(**_: Any) -> Any:
        raise AssertionError("the test only routes")

    settings = Settings(model=f"models:/{NAME}@champion", model_poll_s=0.2, decision_log="")
    with TestClient(create_app(settings, completion=no_backend)) as client:
        assert client.get("/readyz").json()["model_version"] == v2
        traffic = _Traffic(client)
        traffic.start()
        try:
            v3 = _promote_bad_and_broken(
                tmp_path, registry, uri, policy, data, rb, gate_args, client
            )
            # rollback: @champion back to v2 (the history kept in tags), serving follows
            back = _cli("rollback", "--name", NAME, "--tracking-uri", uri)
            assert back.exit_code == 0, back.output
            assert registry.resolve(f"models:/{NAME}@champion").version == v2
            wait_until(lambda: _ready(client)["model_version"] == v2, "the swap back to v2")
            seen = len(traffic.versions)
            wait_until(lambda: len(traffic.versions) > seen + 5, "traffic after the rollback")
        finally:
            traffic.stop.set()
            traffic.join(timeout=10)
    served = {registry.get_version(NAME, v).classifier_version for v in (v2, v3)}
    assert set(traffic.statuses) == {200}, traffic.statuses  # no request failed
    assert served <= set(traffic.versions)  # decisions reported each served classifier
    assert traffic.versions[-1] == registry.get_version(NAME, v2).classifier_version


def _ready(client: Any) -> dict[str, Any]:
    ready: dict[str, Any] = client.get("/readyz").json()
    return ready


def _promote_bad_and_broken(
    tmp_path: Path,
    registry: ModelRegistry,
    uri: str,
    policy: Path,
    data: Path,
    rb: Path,
    gate_args: tuple[str, ...],
    client: Any,
) -> str:
    """A worse v3 fails its gates, is forced in and served; a broken v4 is refused."""
    v3 = _register(registry, train_tfidf(tmp_path / "m3", "inverted"))
    _review(tmp_path, uri, policy, v3, data, rb)
    approve = ("--approve", "--reviewer", "bo", "--tracking-uri", uri)
    assert _cli("review-decision", "--name", NAME, "--version", v3, *approve).exit_code == 0
    refused = _cli("promote", "--name", NAME, "--version", v3, *gate_args)
    assert refused.exit_code == 1, refused.output
    assert "accuracy: FAIL" in refused.output and "apgr: FAIL" in refused.output
    no_reason = _cli("promote", "--name", NAME, "--version", v3, "--force", *gate_args)
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output
    reason = ("--force", "--reason", "drill: promote a bad model")
    forced = _cli("promote", "--name", NAME, "--version", v3, *reason, *gate_args)
    assert forced.exit_code == 0, forced.output
    assert "drill" in registry.get_version(NAME, v3).tags["promoted.champion.forced"]
    wait_until(lambda: _ready(client)["model_version"] == v3, "the swap to v3")

    # a broken version (tiers the policy cannot map) is refused; v3 keeps serving
    v4 = _register(registry, _four_tier_model(tmp_path / "m4"))
    set_alias(NAME, "champion", v4, tracking_uri=uri)
    wait_until(lambda: _ready(client)["model_refused"] >= 1, "the refusal of v4")
    ready = _ready(client)
    assert ready["model_version"] == v3 and ready["last_model_error"]["version"] == v4
    assert 'tierroute_model_swaps_total{result="refused"} 1.0' in client.get("/metrics").text
    set_alias(NAME, "champion", v3, tracking_uri=uri)
    return v3


def _four_tier_model(folder: Path) -> Path:
    """Loads and scores fine, but the policy's three tiers cannot be mapped onto it."""
    tiers = ("t0", "t1", "t2", "t3")
    texts = ["hello", "hi there", "sql query", "python code", "prove it", "integral", "x", "y"]
    trainer = TfidfTrainer(tiers, min_df=1).fit(texts, [tiers[i // 2] for i in range(8)])
    folder.mkdir(parents=True, exist_ok=True)
    trainer.save(folder / "tfidf_lr.json")
    return folder
