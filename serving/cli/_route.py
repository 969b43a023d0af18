"""``tierroute route`` and ``tierroute demo``: routing decisions in the terminal (no
service, no backends; the router runs in this process)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer

from serving.cli._inputs import parse_meta, read_jsonl_prompts, read_prompt

__all__ = ["PolicyOption", "register"]

PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="policy YAML (default: the shipped one)")
]


def register(app: typer.Typer) -> None:
    """Add ``route`` and ``demo`` to the ``tierroute`` app."""
    app.command("route")(route_command)
    app.command("demo")(demo_command)


def route_command(
    prompt: Annotated[str | None, typer.Argument(help="prompt text ('-' reads stdin)")] = None,
    messages: Annotated[
        Path | None, typer.Option("--messages", help="JSON file with OpenAI-style messages")
    ] = None,
    policy: PolicyOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="print the Decision as JSON")] = False,
    meta: Annotated[
        list[str] | None, typer.Option("--meta", help="request metadata KEY=VALUE (repeatable)")
    ] = None,
) -> None:
    """Decide which tier and model should answer PROMPT, and why."""
    from router import Router

    request = read_prompt(prompt, messages)
    router = Router.from_policy(policy) if policy else Router()
    decision = router.route(request, metadata=parse_meta(meta or []))
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
        return
    from serving.cli._render import decision_panel

    decision_panel(decision)


def demo_command(
    prompts: Annotated[Path, typer.Option(help="JSONL with a 'prompt' field per line")] = Path(
        "examples/prompts.jsonl"
    ),
    policy: PolicyOption = None,
) -> None:
    """Route the example prompts and print the decisions as a table."""
    from router import Router
    from serving.cli._render import decisions_table

    rows = read_jsonl_prompts(prompts)
    router = Router.from_policy(policy) if policy else Router()
    decisions = router.route_batch([r["prompt"] for r in rows])
    decisions_table([r.get("source", "") for r in rows], [r["prompt"] for r in rows], decisions)
