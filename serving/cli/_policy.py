"""``tierroute policy init|validate``: a commented starter policy for real providers,
and the check (with warnings) of any policy file.

    tierroute policy init --providers openai,anthropic,vllm --out policy.yaml
    tierroute policy validate policy.yaml

Tiers are small, medium and frontier (the shipped classifier's three classes),
cheapest first; each provider adds one model to each tier (prices and context windows
from the providers' list prices, as in litellm's model map; vLLM: your own servers).
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

__all__ = ["PROVIDERS", "register", "starter_policy"]

# (tier, model, api_base, api_key_env, input $/M, output $/M, context, comment)
_Row = tuple[str, str, str | None, str, float, float, int, str]
_VLLM_NOTE = "prices: your GPU cost per token"
PROVIDERS: dict[str, tuple[_Row, ...]] = {
    "vllm": (
        (
            "small",
            "hosted_vllm/meta-llama/Llama-3.1-8B-Instruct",
            "http://127.0.0.1:8000/v1",
            "VLLM_API_KEY",
            0.05,
            0.05,
            32768,
            f"`vllm serve meta-llama/Llama-3.1-8B-Instruct --port 8000`; {_VLLM_NOTE}",
        ),
        (
            "medium",
            "hosted_vllm/Qwen/Qwen2.5-32B-Instruct",
            "http://127.0.0.1:8001/v1",
            "VLLM_API_KEY",
            0.25,
            0.25,
            32768,
            f"`vllm serve Qwen/Qwen2.5-32B-Instruct --port 8001`; {_VLLM_NOTE}",
        ),
        (
            "frontier",
            "hosted_vllm/meta-llama/Llama-3.3-70B-Instruct",
            "http://127.0.0.1:8002/v1",
            "VLLM_API_KEY",
            0.60,
            0.60,
            32768,
            f"`vllm serve meta-llama/Llama-3.3-70B-Instruct --port 8002`; {_VLLM_NOTE}",
        ),
    ),
    "openai": (
        ("small", "openai/gpt-4o-mini", None, "OPENAI_API_KEY", 0.15, 0.60, 128000, ""),
        ("medium", "openai/gpt-4.1-mini", None, "OPENAI_API_KEY", 0.40, 1.60, 1047576, ""),
        ("frontier", "openai/gpt-4.1", None, "OPENAI_API_KEY", 2.00, 8.00, 1047576, ""),
    ),
    "anthropic": (
        ("small", "anthropic/claude-haiku-4-5", None, "ANTHROPIC_API_KEY", 1.0, 5.0, 200000, ""),
        ("medium", "anthropic/claude-sonnet-4-5", None, "ANTHROPIC_API_KEY", 3.0, 15.0, 200000, ""),
        ("frontier", "anthropic/claude-opus-4-5", None, "ANTHROPIC_API_KEY", 5.0, 25.0, 200000, ""),
    ),
}
_HEADER = (
    "# (written by `tierroute policy init`; check it with `tierroute policy validate`).",
    "#",
    "# Tiers are listed cheapest first; the router sends each request to the cheapest",
    "# tier likely to answer it well and escalates when a cheap answer fails a check.",
    "# Prices are USD per 1M tokens (list prices); ttft_ms/tpot_ms are latency guesses:",
    "# replace them with what you measure. API keys come from environment variables:",
    "# api_key_env holds the variable's name.",
    "name: starter",
    'version: "1"',
    "",
    "tiers:",
)
_TIERS = {"small": (256, 60, 8), "medium": (320, 300, 12), "frontier": (400, 600, 20)}
_THRESHOLDS = {2: (0.55,), 3: (0.52, 0.55)}


def _deployment(row: _Row) -> list[str]:
    tier, model, base, env, cost_in, cost_out, context, comment = row
    _, ttft, tpot = _TIERS[tier]
    lines = [f"      - model: {model}" + (f"    # {comment}" if comment else "")]
    if base:
        lines.append(f"        api_base: {base}")
    lines += [
        f"        api_key_env: {env}          # the variable's NAME; never the key itself",
        f"        input_cost_per_mtok: {cost_in}",
        f"        output_cost_per_mtok: {cost_out}",
        f"        ttft_ms: {ttft}",
        f"        tpot_ms: {tpot}",
        f"        context_window: {context}",
    ]
    return lines


def starter_policy(providers: list[str]) -> str:
    """The YAML text of a starter policy for ``providers`` (names from :data:`PROVIDERS`)."""
    unknown = [p for p in providers if p not in PROVIDERS]
    if unknown or not providers:
        from policies import PolicyError, PolicyProblem

        message = f"unknown providers {unknown}; choose from {sorted(PROVIDERS)}"
        raise PolicyError([PolicyProblem("--providers", None, "", message)])
    rows = [row for p in providers for row in PROVIDERS[p]]
    tiers = [t for t in _TIERS if any(r[0] == t for r in rows)]
    out = [f"# tierroute starter policy for: {', '.join(providers)}", *_HEADER]
    for tier in tiers:
        out += [f"  - name: {tier}", f"    expected_output_tokens: {_TIERS[tier][0]}"]
        out.append("    deployments:")
        for row in (r for r in rows if r[0] == tier):
            out += _deployment(row)
    out += [
        "",
        "classifier:",
        "  strategy: threshold",
        "  # Complexity (0..1) at or above which each tier is chosen; the first tier takes",
        "  # the rest. `tierroute calibrate` fits these to your own logs.",
        "  thresholds:",
    ]
    thresholds = _THRESHOLDS.get(len(tiers), ())
    out += [f"    {t}: {v}" for t, v in zip(tiers[1:], thresholds, strict=False)]
    out += [
        "",
        "overrides:",
        "  - name: sql-no-speculation",
        "    description: SQL never goes to a speculative (draft-model) deployment.",
        "    match: {detector: sql}",
        "    actions: {speculation: false, cascade: false}",
        "",
        "cascade:",
        "  enabled: true",
        "  max_escalations: 2",
        "",
        "objective:",
        "  max_cost_usd_per_request: 0.10   # escalations stop before exceeding this",
        "  quality_weight: 0.7",
        "",
        "conversations:",
        "  sticky: true          # a follow-up turn never drops below the previous tier",
        "  max_step_down: 0",
        "",
    ]
    return "\n".join(out)


def register(app: typer.Typer) -> None:
    """Add the ``policy`` command group (``init``, ``validate``) to the ``tierroute`` app."""
    policy_app = typer.Typer(help="Check routing policies.", no_args_is_help=True)
    app.add_typer(policy_app, name="policy")
    policy_app.command("validate")(validate_command)
    policy_app.command("init")(init_command)


def validate_command(
    path: Annotated[Path, typer.Argument(help="policy YAML file")],
    strict: Annotated[bool, typer.Option("--strict", help="exit 1 on warnings")] = False,
) -> None:
    """Exit 0 with a summary if PATH is a valid policy; else exit 2, one line per problem.

    Warnings (file:line) follow: a key pasted into api_key_env, tiers not cheapest
    first, model strings litellm does not know, unset credential variables, a forced
    tier whose context window is below its rule's min_tokens."""
    from policies import load_policy
    from serving.cli._policy_lint import lint_policy

    policy = load_policy(path)  # PolicyError: exit 2, one line per problem
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


def init_command(
    providers: Annotated[
        str, typer.Option("--providers", help=f"comma-separated: {','.join(PROVIDERS)}")
    ] = "openai",
    out: Annotated[Path, typer.Option("--out", help="file to write")] = Path("policy.yaml"),
    force: Annotated[bool, typer.Option("--force", help="overwrite OUT")] = False,
) -> None:
    """Write a commented starter policy for real providers (validated before writing)."""
    from policies import parse_policy
    from serving.cli._errors import UsageError

    names = [p.strip() for p in providers.split(",") if p.strip()]
    text = starter_policy(names)
    parse_policy(text, source=str(out))  # never write a policy that does not load
    if out.exists() and not force:
        raise UsageError(f"{out} exists (use --force to overwrite)")
    out.write_text(text, encoding="utf-8")
    typer.echo(f"wrote {out}; next: tierroute policy validate {out}")
