"""``tierroute backends`` and ``tierroute demo-loop``: the simulated backends, alone or
with the service and the example prompts (see :mod:`serving.sim`)."""

from __future__ import annotations

import signal
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from serving.cli._inputs import read_jsonl_prompts, read_text
from serving.cli._route import PolicyOption

if TYPE_CHECKING:
    from serving.sim import LoopResult

__all__ = ["register", "render_loop"]


def register(app: typer.Typer) -> None:
    """Add ``backends`` and ``demo-loop`` to the ``tierroute`` app."""
    app.command("backends")(backends_command)
    app.command("demo-loop")(demo_loop_command)


def backends_command(
    host: Annotated[str, typer.Option(help="interface to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port")] = 8790,
    latency_scale: Annotated[
        float | None, typer.Option(help="multiply simulated latencies (0 = none)")
    ] = None,
    config: Annotated[
        Path | None, typer.Option("--config", help="BackendConfig JSON (default: policy models)")
    ] = None,
) -> None:
    """Serve simulated OpenAI-compatible backends for the default policy's models."""
    from pydantic import ValidationError

    from policies import BackendError
    from serving.sim import BackendConfig, default_backend_config, run_backends

    try:
        sim = (
            BackendConfig.model_validate_json(read_text(config))
            if config
            else default_backend_config()
        )
    except ValidationError as exc:
        raise BackendError(f"{config}: invalid backend config: {exc}") from exc
    if latency_scale is not None:
        sim = sim.model_copy(update={"latency_scale": latency_scale})
    typer.echo(f"simulated backends: http://{host}:{port}/v1 ({len(sim.models)} models)", err=True)
    run_backends(host, port, sim)


def demo_loop_command(
    prompts: Annotated[Path, typer.Option(help="JSONL with a 'prompt' field per line")] = Path(
        "examples/prompts.jsonl"
    ),
    policy: PolicyOption = None,
    latency_scale: Annotated[
        float, typer.Option(help="multiply the simulated latencies (0 = none)")
    ] = 0.02,
    faults: Annotated[
        bool, typer.Option("--faults/--no-faults", help="inject a refusal and a 500ing model")
    ] = True,
    label: Annotated[
        bool, typer.Option("--label/--no-label", help="label the decision log afterwards")
    ] = True,
    workdir: Annotated[
        Path | None, typer.Option(help="keep policy, log and labels here (default: temp)")
    ] = None,
) -> None:
    """Start backends and service, send the example prompts, show cost vs all-frontier."""
    from serving.sim import label_log, run_demo_loop

    texts = [row["prompt"] for row in read_jsonl_prompts(prompts)]
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # stop the servers on `kill` too
    with tempfile.TemporaryDirectory(prefix="tierroute-demo-") as tmp:
        folder = workdir or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        typer.echo(f"starting simulated backends and tierroute serve ({len(texts)} prompts)")
        result = run_demo_loop(
            texts, folder, policy_path=policy, latency_scale=latency_scale, faults=faults
        )
        render_loop(result)
        if label:
            counts = label_log(result.log_path, folder / "labels")
            per_tier = ", ".join(f"{k} {v}" for k, v in counts["labels"].items())
            typer.echo(
                f"loop closed: {counts['input_records']} decision records -> "
                f"{counts['labeled_groups']} labels ({per_tier}) for the next classifier"
            )


def render_loop(result: LoopResult) -> None:
    """The decisions table and the cost summary."""
    from rich.console import Console
    from rich.table import Table

    console = Console(width=max(Console().width, 130))
    table = Table(title="tierroute loop: openai client -> tierroute serve -> simulated backends")
    table.add_column("prompt", no_wrap=True, max_width=36)
    for column in ("decided", "answered", "model", "spec", "esc", "fb", "tries"):
        table.add_column(column, overflow="fold")
    table.add_column("cost $", justify="right")
    table.add_column("frontier $", justify="right")
    for r in result.rows:
        table.add_row(
            " ".join(r.prompt.split())[:40],
            r.decided_tier,
            r.tier,
            r.model.removeprefix("openai/"),
            "yes" if r.speculative else "no",
            str(r.escalations),
            str(r.fallbacks),
            str(r.attempts),
            f"{r.cost_usd:.5f}",
            f"{r.frontier_cost_usd:.5f}",
        )
    console.print(table)
    saved = 1 - result.cost_usd / result.frontier_cost_usd if result.frontier_cost_usd else 0.0
    console.print(
        f"{len(result.rows)} requests, {result.log_records} decision records: "
        f"cost ${result.cost_usd:.4f} vs ${result.frontier_cost_usd:.4f} all-frontier "
        f"({saved:.0%} saved); {result.escalations} escalations, {result.fallbacks} fallbacks"
    )


def _exit_on_sigterm(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)  # unwinds through run_demo_loop's finally
