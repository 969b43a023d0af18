"""Rich rendering of decisions for the command line."""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console
from rich.table import Table

from router import Decision

__all__ = ["decision_panel", "decisions_table", "detector_summary"]


def detector_summary(decision: Decision) -> str:
    """``sql on message 0, pii on message 2``: which detectors fired, on which message
    (``sql:recall``: only the high-recall mode a policy rule asked for)."""
    turns = decision.detector_turns
    return ", ".join(
        f"{name} on message {turns[name]}" if name in turns else name for name in decision.detectors
    )


def decision_panel(decision: Decision, console: Console | None = None) -> None:
    console = console or Console()
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold cyan")
    table.add_column()
    table.add_row("tier", decision.tier)
    table.add_row("model", decision.model)
    table.add_row("speculative", str(decision.speculative))
    table.add_row("cascade", str(decision.cascade))
    table.add_row("complexity", f"{decision.complexity:.3f}")
    table.add_row("scores", "  ".join(f"{k}={v:.2f}" for k, v in decision.scores.items()))
    table.add_row("reasons", "\n".join(decision.reasons))
    table.add_row("detectors", detector_summary(decision) or "none")
    table.add_row("est. cost", f"${decision.est_cost_usd:.6f}")
    table.add_row("est. latency", f"{decision.est_latency_ms:.0f} ms")
    table.add_row("versions", f"policy {decision.policy_version}, {decision.classifier_version}")
    console.print(table)


def decisions_table(
    sources: Sequence[str], prompts: Sequence[str], decisions: Sequence[Decision]
) -> None:
    console = Console(width=max(Console().width, 150))
    table = Table(title="tierroute decisions", show_lines=False)
    for column in ("source", "prompt", "tier", "model", "spec", "cx", "est $", "reasons"):
        table.add_column(column, overflow="fold")
    for source, prompt, d in zip(sources, prompts, decisions, strict=True):
        snippet = " ".join(prompt.split())[:48]
        notable = [r for r in d.reasons if not r.startswith("classifier:")]
        table.add_row(
            source,
            snippet,
            d.tier,
            d.model.removeprefix("openai/"),
            "yes" if d.speculative else "no",
            f"{d.complexity:.2f}",
            f"{d.est_cost_usd:.5f}",
            "; ".join(notable),
        )
    console.print(table)
    total = sum(d.est_cost_usd for d in decisions)
    console.print(f"{len(decisions)} prompts, estimated cost ${total:.4f}")
