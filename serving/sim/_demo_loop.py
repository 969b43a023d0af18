"""``tierroute demo-loop``: the whole loop on loopback, with simulated backends.

    tierroute demo-loop                     # examples/prompts.jsonl, default policy

1. Start the simulated backends (``tierroute backends``) and the service
   (``tierroute serve``) as child processes on free loopback ports; the policy is a
   copy whose ``api_base`` entries point at the backends' port.
2. Send every prompt through the official ``openai`` client with model
   ``tierroute/auto`` and read the decision from the ``x-tierroute-*`` headers and
   the cost of every attempt from the decision log.
3. Print a table, the cost against sending everything to the frontier tier (same
   token usage, the policy's frontier prices), escalations and fallbacks.
4. Stop both servers (also on Ctrl-C or an error), then label the decision log
   (``tierroute label --format decisions``) to show that the log feeds training.

With ``faults`` on, two things go wrong on purpose so the table shows the cascade at
work: the small model refuses the first prompt that tries the cheaper tier first
(the refusal check escalates it), and the medium tier's speculative deployment is
down (answers 500), so its requests fall back to the plain deployment.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from policies import BackendError, Policy, load_policy
from router import DecisionRecord

if TYPE_CHECKING:
    from serving.sim._answers import BackendConfig

__all__ = ["LoopResult", "LoopRow", "label_log", "run_demo_loop"]

DEFAULT_BACKEND_BASE = "http://127.0.0.1:8790/v1"  # where the shipped policy points
REFUSAL = "I'm sorry, but I can't help with that."


@dataclass(frozen=True)
class LoopRow:
    """One prompt's trip through the service."""

    prompt: str
    request_id: str
    decided_tier: str  # what the router chose (before escalations)
    tier: str  # the tier that answered
    model: str
    speculative: bool
    escalations: int
    fallbacks: int
    attempts: int
    cost_usd: float  # every attempt, from the decision log
    frontier_cost_usd: float  # the same token usage at the frontier tier's prices


@dataclass(frozen=True)
class LoopResult:
    rows: tuple[LoopRow, ...]
    log_path: Path
    log_records: int  # decision records in the log

    @property
    def cost_usd(self) -> float:
        return sum(r.cost_usd for r in self.rows)

    @property
    def frontier_cost_usd(self) -> float:
        return sum(r.frontier_cost_usd for r in self.rows)

    @property
    def escalations(self) -> int:
        return sum(r.escalations for r in self.rows)

    @property
    def fallbacks(self) -> int:
        return sum(r.fallbacks for r in self.rows)


def demo_backend_config(
    policy: Policy, prompts: Sequence[str], *, latency_scale: float, faults: bool
) -> BackendConfig:
    """Backends for ``policy``'s models; with ``faults``, one refusal and a 500-ing deployment."""
    from serving.sim._answers import default_backend_config, prompt_sha256

    config = default_backend_config(policy, latency_scale=latency_scale)
    if not faults:
        return config
    from router import Router

    router = Router(policy)
    cheapest = policy.tiers[0]
    # the refused prompt: the first one that tries the cheaper tier first, else the first
    # one sent to the cheapest tier with escalation allowed
    decisions = [(p, router.route(p)) for p in prompts]
    cascading = [(p, d) for p, d in decisions if d.tier == cheapest.name and d.cascade]
    cheaper_first = [p for p, d in cascading if any("try-cheaper" in r for r in d.reasons)]
    replay: dict[str, dict[str, str]] = {}
    candidates = cheaper_first or [p for p, _ in cascading]
    if candidates:
        target = candidates[0]
        refusals = {_name(d.model): REFUSAL for d in cheapest.deployments}
        replay = {prompt_sha256(target): refusals}
    flaky = {_name(d.model) for d in policy.tiers[min(1, len(policy.tiers) - 1)].deployments}
    models = tuple(
        m.model_copy(update={"fail_rate": 1.0, "fault": "500"})
        if m.name in flaky and m.name.endswith("-spec")
        else m
        for m in config.models
    )
    return config.model_copy(update={"models": models, "replay": replay})


def run_demo_loop(
    prompts: Sequence[str],
    workdir: Path,
    *,
    policy_path: Path | None = None,
    latency_scale: float = 0.02,
    faults: bool = True,
) -> LoopResult:
    """Start backends and service, send ``prompts``, stop both; the log lands in ``workdir``."""
    from policies import default_policy_path
    from serving.sim._process import BackendProcess, ServiceProcess

    source = policy_path or default_policy_path()
    policy = load_policy(source)
    sim = demo_backend_config(policy, prompts, latency_scale=latency_scale, faults=faults)
    backend = BackendProcess(sim)
    policy_file = workdir / "policy.yaml"
    text = source.read_text(encoding="utf-8").replace(DEFAULT_BACKEND_BASE, backend.base_url)
    policy_file.write_text(text, encoding="utf-8")
    log = workdir / "decisions.jsonl"
    args = ["--policy", str(policy_file), "--decision-log", str(log)]
    service = ServiceProcess(args, workdir / "service.out", {"TIERROUTE_POLICY_POLL_S": ""})
    service.launch()  # starts while the backends do
    try:
        backend.start()
        service.wait_ready()
        replies = [_ask(service.url, prompt) for prompt in prompts]
    finally:
        service.stop()
        backend.stop()
    return _collect(policy, prompts, replies, log)


def _ask(url: str, prompt: str) -> dict[str, Any]:
    import openai

    client = openai.OpenAI(base_url=f"{url}/v1", api_key="demo", max_retries=0, timeout=60)
    raw = client.chat.completions.with_raw_response.create(
        model="tierroute/auto", messages=[{"role": "user", "content": prompt}]
    )
    reply = raw.parse()
    usage = reply.usage
    return {
        "headers": {k: v for k, v in raw.headers.items() if k.startswith("x-tierroute-")},
        "prompt_tokens": usage.prompt_tokens if usage else 0,
        "completion_tokens": usage.completion_tokens if usage else 0,
    }


def _collect(
    policy: Policy, prompts: Sequence[str], replies: list[dict[str, Any]], log: Path
) -> LoopResult:
    from labeling.ingest import read_decision_log

    records = {
        r.request_id: r for r in read_decision_log(log).records if isinstance(r, DecisionRecord)
    }
    frontier = policy.tiers[-1].deployments[0]
    rows = []
    for prompt, reply in zip(prompts, replies, strict=True):
        headers = reply["headers"]
        rid = headers["x-tierroute-request-id"]
        record = records.get(rid)
        if record is None:
            raise BackendError(f"{log}: no decision record for request {rid}")
        rows.append(
            LoopRow(
                prompt=prompt,
                request_id=rid,
                decided_tier=headers.get("x-tierroute-decided-tier", ""),
                tier=headers.get("x-tierroute-tier", ""),
                model=headers.get("x-tierroute-model", ""),
                speculative=headers.get("x-tierroute-speculative") == "true",
                escalations=record.escalations,
                fallbacks=sum(a.kind == "fallback" for a in record.attempts),
                attempts=len(record.attempts),
                cost_usd=sum(a.cost_usd or 0.0 for a in record.attempts),
                frontier_cost_usd=frontier.cost_usd(
                    reply["prompt_tokens"], reply["completion_tokens"]
                ),
            )
        )
    return LoopResult(tuple(rows), log, len(records))


def _name(model: str) -> str:
    return model.split("/", 1)[1] if "/" in model else model


def label_log(log: Path, out: Path) -> dict[str, Any]:
    """Label the decision log as ``tierroute label --format decisions`` does; its counts."""
    from labeling import LabelConfig, run_labeling

    result = run_labeling([log], out, LabelConfig(format="decisions"), workers=0)
    counts: dict[str, Any] = result.card["counts"]
    return {**counts, "labels": result.card["labels"], "path": result.labels_path}
