"""The ``tierroute`` command line.

Each command imports its package inside the function, so ``tierroute route`` does
not pay for FastAPI, litellm or mlflow. Every :class:`TierrouteError` ends the
program with exit code 2 and its message (file:line, field or JSON path), never a
bare traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from policies import PromptError, TierrouteError
from serving._cli_dataset import register as register_dataset_commands
from serving._cli_evaluate import register as register_evaluate_commands
from serving._cli_keys import register as register_keys_commands
from serving._cli_policy import register as register_policy_commands
from serving._cli_replay import register as register_replay_commands
from serving._cli_review import register as register_review_commands
from serving._cli_serve import register as register_serve_command
from serving._cli_train import register as register_train_command
from serving._demo_loop import register as register_demo_loop_command

app = typer.Typer(
    name="tierroute",
    help="Route each LLM request to the cheapest model tier that answers it well.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
policy_app = typer.Typer(help="Check routing policies.", no_args_is_help=True)
app.add_typer(policy_app, name="policy")
register_dataset_commands(app)
register_evaluate_commands(app)
register_review_commands(app)
register_replay_commands(app)
register_serve_command(app)
register_train_command(app)
register_demo_loop_command(app)
register_keys_commands(app)
register_policy_commands(policy_app)

PolicyOption = Annotated[
    Path | None, typer.Option("--policy", help="policy YAML (default: the shipped one)")
]


@policy_app.command("validate")
def policy_validate(
    path: Annotated[Path, typer.Argument(help="policy YAML file")],
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 on warnings")] = False,
) -> None:
    """Exit 0 with a summary if PATH is a valid policy; else exit 2, one line per problem.

    Warnings (file:line) follow: a key pasted into api_key_env, tiers not cheapest
    first, model strings litellm does not know, unset credential variables, a forced
    tier whose context window is below its rule's min_tokens."""
    from policies import PolicyError, load_policy
    from serving._policy_lint import lint_policy

    try:
        policy = load_policy(path)
    except PolicyError as exc:
        for problem in exc.problems:
            typer.echo(str(problem), err=True)
        raise typer.Exit(2) from exc
    warnings = lint_policy(policy, path)
    for warning in warnings:
        typer.echo(f"warning: {warning}", err=True)
    tiers = ", ".join(f"{t.name}({len(t.deployments)})" for t in policy.tiers)
    typer.echo(
        f"{path}: valid policy {policy.version_string}: tiers {tiers}; "
        f"{len(policy.overrides)} override rules; strategy {policy.classifier.strategy}; "
        f"{len(warnings)} warnings"
    )
    if strict and warnings:
        raise typer.Exit(1)


@app.command("route")
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

    request = _read_prompt(prompt, messages)
    router = Router.from_policy(policy) if policy else Router()
    decision = router.route(request, metadata=_parse_meta(meta or []))
    if as_json:
        typer.echo(json.dumps(decision.to_dict(), indent=2, ensure_ascii=False))
        return
    from serving._render import decision_panel

    decision_panel(decision)


@app.command("baseline")
def baseline_command(
    out: Annotated[
        Path | None, typer.Option(help="artifact path (default: the shipped one)")
    ] = None,
) -> None:
    """Retrain the TF-IDF + logistic-regression baseline scorer on RouterBench."""
    from classifier import DEFAULT_TFIDF_PATH, train_routerbench_baseline

    target = out or DEFAULT_TFIDF_PATH
    metrics = train_routerbench_baseline(target)
    typer.echo(f"wrote {target}: {json.dumps(metrics)}")


@app.command("demo")
def demo_command(
    prompts: Annotated[Path, typer.Option(help="JSONL with a 'prompt' field per line")] = Path(
        "examples/prompts.jsonl"
    ),
    policy: PolicyOption = None,
) -> None:
    """Route the example prompts and print the decisions as a table."""
    from router import Router
    from serving._render import decisions_table

    rows = _read_jsonl_prompts(prompts)
    router = Router.from_policy(policy) if policy else Router()
    decisions = router.route_batch([r["prompt"] for r in rows])
    decisions_table([r.get("source", "") for r in rows], [r["prompt"] for r in rows], decisions)


@app.command("backends")
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
    from serving._backends import run_backends
    from serving._backends_sim import BackendConfig, default_backend_config

    try:
        sim = (
            BackendConfig.model_validate_json(_read_text(config))
            if config
            else default_backend_config()
        )
    except ValidationError as exc:
        raise BackendError(f"{config}: invalid backend config: {exc}") from exc
    if latency_scale is not None:
        sim = sim.model_copy(update={"latency_scale": latency_scale})
    typer.echo(f"simulated backends: http://{host}:{port}/v1 ({len(sim.models)} models)", err=True)
    run_backends(host, port, sim)


@app.command("label")
def label_command(
    inputs: Annotated[
        list[Path],
        typer.Argument(help="log files (JSONL, .jsonl.gz, CSV, Parquet) or directories of them"),
    ],
    out: Annotated[Path, typer.Option("--out", help="output dataset directory")],
    fmt: Annotated[
        str, typer.Option("--format", help="auto|openai|litellm|decisions|outcomes")
    ] = "auto",
    policy: PolicyOption = None,
    judge: Annotated[
        str | None, typer.Option("--judge", help="litellm model string of an LLM judge")
    ] = None,
    judge_api_base: Annotated[
        str | None, typer.Option("--judge-api-base", help="API base URL for the judge")
    ] = None,
    no_pii_scrub: Annotated[
        bool, typer.Option("--no-pii-scrub", help="keep emails, phones, cards, keys")
    ] = False,
    aggregate: Annotated[
        str, typer.Option("--aggregate", help="vote (weighted vote) | model (label model)")
    ] = "vote",
    weights: Annotated[
        str | None, typer.Option("--weights", help="vote weights: name=w,... e.g. length=0.5")
    ] = None,
    near_dup: Annotated[
        float | None,
        typer.Option("--near-dup", help="merge prompts with MiniLM cosine >= THRESHOLD"),
    ] = None,
    workers: Annotated[
        int | None, typer.Option("--workers", help="prompt worker processes (0: none)")
    ] = None,
) -> None:
    """Turn production logs into a labeled dataset (labels.parquet + data card)."""
    from labeling._cli import run_label_command

    try:
        run_label_command(
            inputs,
            out,
            fmt=fmt,
            policy_path=policy,
            judge_model=judge,
            judge_api_base=judge_api_base,
            scrub_pii=not no_pii_scrub,
            aggregate=aggregate,
            weights=weights,
            near_dup=near_dup,
            workers=workers,
        )
    except TierrouteError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc


def _read_prompt(prompt: str | None, messages: Path | None) -> Any:
    if messages is not None:
        raw = _read_text(messages)
        try:
            return json.loads(raw)
        except json.JSONDecodeError as exc:
            raise PromptError(f"{messages}:{exc.lineno}: invalid JSON: {exc.msg}") from exc
    if prompt is None:
        raise PromptError("give a PROMPT argument, '-' for stdin, or --messages FILE")
    return sys.stdin.read() if prompt == "-" else prompt


def _read_text(path: Path) -> str:
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PromptError(f"{path}: cannot read: {exc.strerror}") from exc
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        raise PromptError(f"{path}:{line}: invalid UTF-8 at byte {exc.start}") from exc


def _read_jsonl_prompts(path: Path) -> list[dict[str, Any]]:
    rows = []
    for line_no, line in enumerate(_read_text(path).splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise PromptError(f"{path}:{line_no}: invalid JSON: {exc.msg}") from exc
        if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
            raise PromptError(f"{path}:{line_no}: prompt: expected a string field")
        rows.append(row)
    return rows


def _parse_meta(pairs: list[str]) -> dict[str, object]:
    out: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise PromptError(f"--meta {pair!r}: expected KEY=VALUE")
        out[key] = value
    return out


def main() -> None:
    """Console entry point: run the app, turning TierrouteError into exit code 2."""
    try:
        app()
    except TierrouteError as exc:
        typer.echo(f"error: {exc}", err=True)
        sys.exit(2)
