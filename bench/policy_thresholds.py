"""Choose a policy's thresholds on pooled outcome sources and report them per source.

Writes one outcome table per shared outcome source and hash half in the policy's tiers
(:func:`labeling.transfer.write_tier_tables`: each source's models cut in thirds stand in
for small / medium / frontier), calibrates the policy on the ``fit`` half of all sources
pooled (what ``tierroute calibrate build/policy_thresholds/fit/*.parquet --policy P --target
T`` does) and replays the calibrated policy on each source's ``eval`` half: share per tier,
quality as a fraction of all-frontier quality and cost per 1k requests against
all-frontier. Prints a markdown table and writes the thresholds and these figures to
``OUT/report.json``. Run
``.venv/bin/python bench/policy_thresholds.py [--target quality=0.95] [--cap 400]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np


def _summary(routed: Any) -> dict[str, Any]:
    from labeling.replay import summarize_assignment

    top = routed.n_tiers - 1
    mine = summarize_assignment(routed, routed.policy_tier)
    best = summarize_assignment(routed, np.full(routed.log.n, top, dtype=np.int64))
    return {
        "n": routed.log.n,
        "share": mine["share"],
        "quality": mine["quality"],
        "quality_vs_top": mine["quality"] / best["quality"] if best["quality"] else None,
        "cost_per_1k": mine["cost_usd_per_1k"],
        "cost_vs_top": mine["cost_usd"] / best["cost_usd"] if best["cost_usd"] else None,
    }


def _row(name: str, s: dict[str, Any]) -> str:
    share = " / ".join(f"{100 * v:.1f}" for v in s["share"].values())
    return (
        f"| {name} | {s['n']} | {share} | {s['quality']:.3f} ({100 * s['quality_vs_top']:.0f} %)"
        f" | {s['cost_per_1k']:.2f} ({100 * s['cost_vs_top']:.0f} %) |"
    )


def _chat_share(policy: Any, scorer: Any, n: int, out: Path) -> dict[str, float]:
    """Share per tier of ``n`` ShareGPT first turns (chat traffic, no outcomes) under ``policy``."""
    import polars as pl

    from classifier import shared_data_dir
    from labeling.replay import read_replay_logs, route_log, summarize_assignment

    path = shared_data_dir() / "sharegpt_prompts" / "sharegpt_v3_first_turn_prompts.jsonl"
    prompts: list[str] = []
    with path.open(encoding="utf-8") as handle:  # not splitlines(): U+2028 sits in prompts
        for line in handle:
            text = json.loads(line).get("prompt") or ""
            if text.strip() and len(prompts) < n:
                prompts.append(text)
    table = out / "sharegpt.parquet"
    pl.DataFrame(
        {"sample_id": [str(i) for i in range(len(prompts))], "prompt": prompts}
    ).write_parquet(table)
    routed = route_log(read_replay_logs([table], policy), policy, scorer)
    share: dict[str, float] = summarize_assignment(routed, routed.policy_tier)["share"]
    return share


def main(argv: list[str] | None = None) -> int:
    from classifier import load_scorer, shared_data_dir
    from labeling.replay import Target, calibrate_policy, read_replay_logs, route_log
    from labeling.transfer import (
        group_sources,
        read_outcome_sources,
        tier_columns,
        write_tier_tables,
    )
    from policies import load_policy

    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--policy", type=Path, default=Path("policies/default.yaml"))
    parser.add_argument("--model", default=None, help="load_scorer spec (default: shipped)")
    parser.add_argument("--target", default="quality=0.95")
    parser.add_argument("--cap", type=int, default=400, help="prompts per source, both halves")
    parser.add_argument("--chat", type=int, default=2000, help="ShareGPT prompts to route")
    parser.add_argument("--out", type=Path, default=Path("build/policy_thresholds"))
    args = parser.parse_args(argv)
    start = time.perf_counter()
    policy = load_policy(args.policy)
    sources = group_sources(read_outcome_sources(shared_data_dir()))
    paths = write_tier_tables(sources, tier_columns(policy), args.out, cap=args.cap)
    scorer = load_scorer(args.model or "default")
    fit_log = read_replay_logs(paths["fit"], policy)
    goal = Target.parse(args.target, top_tier=policy.tier_names[-1])
    result, _ = calibrate_policy(fit_log, policy, scorer, goal, n_boot=100)
    thresholds = dict(result.thresholds)
    cascade = {"try_cheaper_min_p": result.try_cheaper_min_p or policy.cascade.try_cheaper_min_p}
    chosen = policy.model_copy(
        update={
            "classifier": policy.classifier.model_copy(update={"thresholds": thresholds}),
            "cascade": policy.cascade.model_copy(update=cascade),
        }
    )
    print(f"target {args.target} on {fit_log.n} fit prompts: thresholds {thresholds}, {cascade}")
    print(
        "| source (eval half) | n | small / medium / frontier % | quality (vs all-frontier)"
        " | USD per 1k (vs all-frontier) |"
    )
    print("|---|---|---|---|---|")
    report: dict[str, Any] = {"thresholds": thresholds, **cascade, "sources": {}}
    for path in paths["eval"]:
        name = path.stem.replace("__", "/")
        routed = route_log(read_replay_logs([path], chosen), chosen, scorer)
        report["sources"][name] = _summary(routed)
        print(_row(name, report["sources"][name]))
    pooled = route_log(read_replay_logs(paths["eval"], chosen), chosen, scorer)
    report["pooled"] = _summary(pooled)
    print(_row("**pooled**", report["pooled"]))
    for name, chosen_policy in (("shipped thresholds", policy), ("calibrated", chosen)):
        share = _chat_share(chosen_policy, scorer, args.chat, args.out)
        report.setdefault("sharegpt_share", {})[name] = share
        print(
            f"ShareGPT first turns ({args.chat}), {name}: "
            + " / ".join(f"{t} {100 * v:.1f} %" for t, v in share.items())
        )
    (args.out / "report.json").write_text(json.dumps(report, indent=1))
    print(f"{time.perf_counter() - start:.0f} s; report: {args.out / 'report.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
