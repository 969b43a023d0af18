"""Rebuild examples/logs/: a small, realistic production log for `tierroute label`.

Every prompt, response, correctness bit and cost comes from RouterBench rows (MIT,
withmartian/routerbench) in the shared data; timestamps, latencies, tenants, feedback,
errors and PII are synthetic (seeded). Files written:

- ``openai_chat.jsonl``: OpenAI request/response pairs of single-model calls;
- ``litellm_payload.jsonl``: litellm ``StandardLoggingPayload`` records;
- ``decisions.jsonl``: tierroute decision log with escalations and feedback;
- ``routerbench_outcomes.csv``: a wide outcomes table (RouterBench columns);
- ``openai_malformed.jsonl``: a few good records and 10 malformed lines.

Run: ``PYTHONPATH=. python examples/build_sample_log.py``
"""

from __future__ import annotations

import csv
import hashlib
import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

from classifier import ROUTERBENCH_TIER_MODELS, RouterBenchRow, read_routerbench
from router import Attempt, DecisionRecord, FeedbackRecord, estimate_tokens

OUT = Path(__file__).resolve().parent / "logs"
TIERS = tuple(ROUTERBENCH_TIER_MODELS)
SERVED = {
    "small": "mistral-7b-chat",
    "medium": "mixtral-8x7b-chat",
    "frontier": "gpt-4-1106-preview",
}
PII = (
    " You can reach me at dana.whitfield@example.org.",
    " Call me back on +1 415-555-0134 if unclear.",
    " Bill it to card 4111 1111 1111 1111 please.",
    " My key is sk-proj-Ab3dEf6hIj9kLm2nOp5qRs8tUv if you need it.",
)
START = datetime(2026, 10, 1, tzinfo=UTC)


def short(prompt: str) -> str:
    """The asked question of a few-shot RouterBench prompt (its last block)."""
    blocks = [b for b in prompt.split("\n\n") if b.strip()]
    return blocks[-1] if len(prompt) > 700 and blocks else prompt


def pick_tier(rng: random.Random) -> str:
    return rng.choices(TIERS, weights=(5, 3, 2))[0]


def prompt_of(row: RouterBenchRow, rng: random.Random) -> str:
    text = short(row.prompt)
    return text + rng.choice(PII) if rng.random() < 0.04 else text


def openai_record(row: RouterBenchRow, i: int, rng: random.Random) -> dict[str, object]:
    tier = pick_tier(rng)
    bench_model = ROUTERBENCH_TIER_MODELS[tier]
    prompt = prompt_of(row, rng)
    answer = row.response.get(bench_model, "")
    out_tokens = max(1, estimate_tokens(answer))
    finish = "length" if rng.random() < 0.02 else "stop"
    stamp = START + timedelta(seconds=37 * i)
    record: dict[str, object] = {
        "request_id": f"req-oa-{i:05d}",
        "timestamp": stamp.isoformat().replace("+00:00", "Z"),
        "request": {"model": SERVED[tier], "messages": [{"role": "user", "content": prompt}]},
        "latency_ms": round(
            180 + 12 * out_tokens * (1 + TIERS.index(tier)) * rng.uniform(0.7, 1.4), 1
        ),
        "cost_usd": row.cost_usd.get(bench_model),
        "metadata": {"tenant": rng.choice(["acme", "globex", "initech"])},
    }
    if tier == "small" and rng.random() < 0.03:
        record["response"] = None
        record["error"] = {"type": "RateLimitError", "message": "429 Too Many Requests"}
        return record
    record["response"] = {
        "id": f"chatcmpl-{i:05d}",
        "object": "chat.completion",
        "created": int(stamp.timestamp()),
        "model": SERVED[tier],
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": answer},
                "finish_reason": finish,
            }
        ],
        "usage": {"prompt_tokens": estimate_tokens(prompt), "completion_tokens": out_tokens},
    }
    if rng.random() < 0.12:
        record["feedback"] = 1 if row.correct.get(bench_model, 0.0) >= 0.5 else -1
    return record


def litellm_record(row: RouterBenchRow, i: int, rng: random.Random) -> dict[str, object]:
    tier = pick_tier(rng)
    bench_model = ROUTERBENCH_TIER_MODELS[tier]
    prompt = prompt_of(row, rng)
    answer = row.response.get(bench_model, "")
    start = (START + timedelta(seconds=53 * i)).timestamp()
    out_tokens = max(1, estimate_tokens(answer))
    end = start + (0.2 + 0.012 * out_tokens) * rng.uniform(0.7, 1.4)
    failed = rng.random() < 0.02
    return {
        "id": f"req-ll-{i:05d}",
        "trace_id": hashlib.md5(f"t{i}".encode()).hexdigest(),
        "call_type": "acompletion",
        "stream": False,
        "response_cost": 0.0 if failed else row.cost_usd.get(bench_model),
        "status": "failure" if failed else "success",
        "custom_llm_provider": "openai",
        "total_tokens": estimate_tokens(prompt) + out_tokens,
        "prompt_tokens": estimate_tokens(prompt),
        "completion_tokens": 0 if failed else out_tokens,
        "startTime": start,
        "endTime": end,
        "completionStartTime": start + 0.15,
        "model": SERVED[tier],
        "model_id": hashlib.md5(SERVED[tier].encode()).hexdigest()[:12],
        "model_group": SERVED[tier],
        "api_base": "http://vllm.internal:8000/v1",
        "metadata": {
            "user_api_key_hash": hashlib.sha256(f"k{i % 7}".encode()).hexdigest(),
            "user_api_key_team_id": rng.choice(["team-search", "team-support"]),
            "user_api_key_user_id": None,
            "requester_ip_address": None,
        },
        "cache_hit": False,
        "messages": [{"role": "user", "content": prompt}],
        "response": None
        if failed
        else {
            "id": f"chatcmpl-ll-{i}",
            "object": "chat.completion",
            "model": SERVED[tier],
            "choices": [
                {
                    "index": 0,
                    "finish_reason": "stop",
                    "message": {"role": "assistant", "content": answer},
                }
            ],
        },
        "error_str": "litellm.Timeout: Request timed out" if failed else None,
        "model_parameters": {"temperature": 0.2},
    }


def decision_records(row: RouterBenchRow, i: int, rng: random.Random) -> list[str]:
    first = pick_tier(rng)
    tiers = [first]
    first_bench = ROUTERBENCH_TIER_MODELS[first]
    if row.correct.get(first_bench, 0.0) < 0.5 and first != "frontier" and rng.random() < 0.6:
        tiers.append(TIERS[TIERS.index(first) + 1])
    attempts = []
    for n, tier in enumerate(tiers):
        bench = ROUTERBENCH_TIER_MODELS[tier]
        attempts.append(
            Attempt(
                model=f"openai/{SERVED[tier]}",
                tier=tier,
                kind="primary" if n == 0 else "escalation",
                outcome="failed_check" if n < len(tiers) - 1 else "ok",
                latency_ms=round(rng.uniform(150, 900), 1),
                input_tokens=estimate_tokens(row.prompt),
                output_tokens=8,
                cost_usd=row.cost_usd.get(bench),
                error="failed_check" if n < len(tiers) - 1 else None,
            )
        )
    prompt = short(row.prompt)
    final = tiers[-1]
    record = DecisionRecord(
        request_id=f"req-dl-{i:05d}",
        timestamp=(START + timedelta(seconds=61 * i)).isoformat(),
        prompt_sha256=hashlib.sha256(prompt.encode()).hexdigest(),
        decision={"tier": first, "reasons": ["classifier"]},
        attempts=tuple(attempts),
        status="ok",
        tenant="acme",
        prompt=prompt,
        response=row.response.get(ROUTERBENCH_TIER_MODELS[final], ""),
        final_model=f"openai/{SERVED[final]}",
        final_tier=final,
        escalations=len(tiers) - 1,
    )
    lines = [record.to_json()]
    if rng.random() < 0.2:
        good = row.correct.get(ROUTERBENCH_TIER_MODELS[final], 0.0) >= 0.5
        lines.append(
            FeedbackRecord(
                request_id=record.request_id, rating=1 if good else -1, timestamp=record.timestamp
            ).to_json()
        )
    return lines


MALFORMED: list[bytes] = [
    b'{"request": {"model": "mistral-7b-chat", "messages": [{"role": "user", "content": "Hi',
    b'{"request": {"messages": [{"role": "user", "content": "hello"}]}, "response": "ok"}',
    b'{"request": {"messages": "not-a-list-but-a-string"}, "response": {"choices": 5}}',
    b'{"response": {"choices": []}}',
    b'{"request": {"messages": []}, "response": {"choices": []}}',
    b'{"request": {"messages": [{"role": "user", "content": "caf\xe9 au lait?"}]}, "response": {}}',
    b'{"request": {"messages": [{"role": "user", "content": "x"}]}, '
    b'"response": {"usage": {"prompt_tokens": "12"}}}',
    b"[1, 2, 3]",
    b'{"request": {"messages": [{"role": "user", "content": "y"}]}, "response": {}, "feedback": 5}',
    b'{"request": {"messages": [{"role": "system", "content": "no user turn"}]}, "response": {}}',
]


def main() -> None:
    rng = random.Random(7)
    rows = list(read_routerbench("train")) + list(read_routerbench("test"))
    OUT.mkdir(parents=True, exist_ok=True)
    picks = [rng.choice(rows) for _ in range(1500)]
    with (OUT / "openai_chat.jsonl").open("w", encoding="utf-8") as f:
        for i, row in enumerate(picks):
            f.write(json.dumps(openai_record(row, i, rng), ensure_ascii=False) + "\n")
    with (OUT / "litellm_payload.jsonl").open("w", encoding="utf-8") as f:
        for i in range(600):
            f.write(json.dumps(litellm_record(rng.choice(rows), i, rng), ensure_ascii=False) + "\n")
    with (OUT / "decisions.jsonl").open("w", encoding="utf-8") as f:
        for i in range(400):
            f.write("\n".join(decision_records(rng.choice(rows), i, rng)) + "\n")
    write_outcomes(rng.sample(rows, 300))
    good = [json.dumps(openai_record(rng.choice(rows), 9000 + i, rng)).encode() for i in range(5)]
    (OUT / "openai_malformed.jsonl").write_bytes(b"\n".join(good + MALFORMED) + b"\n")


def write_outcomes(rows: list[RouterBenchRow]) -> None:
    models = [*ROUTERBENCH_TIER_MODELS.values(), "gpt-3.5-turbo-1106", "claude-instant-v1"]
    with (OUT / "routerbench_outcomes.csv").open("w", encoding="utf-8", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(
            ["sample_id", "prompt", "eval_name", *models, *(f"{m}|total_cost" for m in models)]
        )
        for row in rows:
            scores = [row.correct.get(m, "") for m in models]
            costs = [row.cost_usd.get(m, "") for m in models]
            writer.writerow([row.sample_id, repr([short(row.prompt)]), row.source, *scores, *costs])


if __name__ == "__main__":
    main()
