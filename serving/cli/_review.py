"""``tierroute review | review-decision | promote | rollback``: the registry workflow.

    tierroute review --name M --challenger 4 --data labels.parquet   # report, review=pending
    tierroute review-decision --name M --version 4 --approve --reviewer ana --reason "..."
    tierroute promote --name M --version 4            # exit 1 + failed gates, or moves @champion
    tierroute promote --name M --version 4 --force --reason "incident 12: old model broken"
    tierroute rollback --name M                       # @champion back to the previous version

Gates come from the policy's ``review_gates`` (``--policy``; default: the shipped one).
"""

from __future__ import annotations

import getpass
from pathlib import Path
from typing import Annotated

import typer

from policies import Policy
from serving.cli._errors import UsageError
from serving.cli._evaluate import TrackingOption

__all__ = ["register"]

NameOption = Annotated[str, typer.Option("--name", help="registered model name")]
AliasOption = Annotated[str, typer.Option("--alias", help="the alias that serving follows")]
PolicyOption = Annotated[
    Path | None,
    typer.Option(
        "--policy", help="policy YAML: tiers, cost tables, review_gates (default: shipped)"
    ),
]


def register(app: typer.Typer) -> None:
    app.command("review")(review_command)
    app.command("review-decision")(review_decision_command)
    app.command("promote")(promote_command)
    app.command("rollback")(rollback_command)


def _policy(path: Path | None) -> Policy:
    from policies import default_policy, load_policy

    return load_policy(path) if path is not None else default_policy()


def review_command(
    challenger: Annotated[
        str, typer.Option("--challenger", help="version number (or @alias) to review")
    ],
    data: Annotated[Path, typer.Option("--data", help="labels.parquet with a held-out split")],
    name: NameOption = "tierroute-complexity",
    champion: Annotated[
        str, typer.Option("--champion", help="version number or @alias to compare with")
    ] = "@champion",
    split: Annotated[str, typer.Option(help="held-out split of --data")] = "test",
    routerbench: Annotated[
        Path | None,
        typer.Option(
            "--routerbench", help="folder holding routerbench/*_test.csv (default: shared data)"
        ),
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="report folder (default: <data dir>/reviews/...)")
    ] = None,
    policy: PolicyOption = None,
    no_log: Annotated[
        bool, typer.Option("--no-log", help="write files only, not to MLflow")
    ] = False,
    tracking_uri: TrackingOption = None,
) -> None:
    """Compare a challenger version with the champion; write + log the review report."""
    from classifier.registry import ModelRegistry
    from labeling.review import review_versions

    chosen = _policy(policy)
    report = review_versions(
        ModelRegistry(tracking_uri),
        name,
        challenger,
        data,
        champion=champion,
        policy=chosen,
        split=split,
        routerbench_dir=routerbench,
        out=out,
        log=not no_log,
        progress=lambda m: typer.echo(m, err=True),
    )
    typer.echo(report.to_markdown(report.files.get("html", "")))
    typer.echo(f"report: {report.files.get('html')}\nsummary: {report.files.get('json')}")
    if not no_log:
        typer.echo(f"version {name}/{report.challenger.version} tagged review=pending")


def review_decision_command(
    version: Annotated[str, typer.Option("--version", help="the reviewed version")],
    reviewer: Annotated[str, typer.Option("--reviewer", help="who decides")],
    approve: Annotated[bool, typer.Option("--approve/--reject", help="the decision")],
    name: NameOption = "tierroute-complexity",
    reason: Annotated[str, typer.Option("--reason", help="why (required to reject)")] = "",
    tracking_uri: TrackingOption = None,
) -> None:
    """Record a review decision on a version: review=approved|rejected, reviewer, reason."""
    from classifier.registry import ModelRegistry, record_review

    state = "approved" if approve else "rejected"
    got = record_review(
        ModelRegistry(tracking_uri), name, version, state, reviewer=reviewer, reason=reason
    )
    typer.echo(f"{name}/{got.version}: review={state} by {reviewer} at {got.tags.get('review.at')}")


def promote_command(
    version: Annotated[str, typer.Option("--version", help="version to promote")],
    name: NameOption = "tierroute-complexity",
    alias: AliasOption = "champion",
    force: Annotated[bool, typer.Option("--force", help="promote despite failed gates")] = False,
    reason: Annotated[str, typer.Option("--reason", help="why (required with --force)")] = "",
    policy: PolicyOption = None,
    tracking_uri: TrackingOption = None,
) -> None:
    """Move ALIAS to VERSION if its review is approved and every gate passes (exit 1 if not)."""
    from classifier.registry import ModelRegistry, PromotionRefused, promote

    if force and not reason.strip():
        raise UsageError("--force needs a --reason: it is recorded on the version")
    chosen = _policy(policy)
    target = chosen.classifier.target_tier_share.get(chosen.tier_names[-1])
    try:
        result = promote(
            ModelRegistry(tracking_uri), name, version, gates=chosen.review_gates, alias=alias,
            frontier_target=target, force=force, reason=reason, actor=_actor(),
        )  # fmt: skip
    except PromotionRefused as exc:
        for gate in exc.results:
            typer.echo(f"  {gate}", err=True)
        typer.echo(f"refused: {name}/{version} stays off @{alias} (failed gates above)", err=True)
        raise typer.Exit(1) from exc
    for gate in result.results:
        typer.echo(f"  {gate}")
    forced = " (FORCED: " + reason + ")" if result.forced else ""
    typer.echo(f"{name}@{alias}: {result.previous or 'none'} -> {result.version.version}{forced}")


def rollback_command(
    name: NameOption = "tierroute-complexity",
    alias: AliasOption = "champion",
    reason: Annotated[str, typer.Option("--reason", help="recorded on the version left")] = "",
    tracking_uri: TrackingOption = None,
) -> None:
    """Move ALIAS back to the version it pointed at before the last promotion."""
    from classifier.registry import ModelRegistry, rollback

    left, now = rollback(
        ModelRegistry(tracking_uri), name, alias=alias, actor=_actor(), reason=reason
    )
    typer.echo(f"{name}@{alias}: {left} -> {now.version} ({now.classifier_version})")


def _actor() -> str:
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "unknown"
