"""``tierroute replay``, ``calibrate`` and ``drift``: prove a policy on your own logs.

- ``replay LOGS...``: re-route logged prompts offline; share per tier, estimated cost
  and latency, quality where outcomes are known (with coverage), APGR/CPT, the
  cost-quality curve (PNG) and a JSON report;
- ``calibrate LOGS... --target frontier-share=0.3 [--write-policy OUT.yaml]``: fit the
  thresholds on the replayed logs, with bootstrap intervals; write a calibrated copy
  of the policy (comments kept);
- ``drift DECISION_LOGS... --policy PATH``: live share per tier over windows of the
  decision log against the calibrated interval; exit code 1 when the newest window
  drifted (for alerting).

Heavy packages (polars, the scorer) are imported inside the commands.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from labeling.replay import RoutedLog
    from policies import Policy

__all__ = ["register"]

LogsArg = Annotated[list[Path], typer.Argument(help="logs: JSONL (.gz), CSV or Parquet")]
PolicyOpt = Annotated[Path | None, typer.Option("--policy", help="policy YAML (default: shipped)")]
ModelOpt = Annotated[
    str | None,
    typer.Option("--model", help="scorer: artifact dir, tfidf, default or models:/NAME@ALIAS"),
]
FormatOpt = Annotated[str, typer.Option("--format", help="auto|openai|litellm|decisions|outcomes")]


def register(app: typer.Typer) -> None:
    """Add ``replay``, ``calibrate`` and ``drift`` to the ``tierroute`` app."""
    app.command("replay")(replay_command)
    app.command("calibrate")(calibrate_command)
    app.command("drift")(drift_command)


def _load(
    logs: list[Path], policy_path: Path | None, model: str | None, fmt: str, quarantine: Path | None
) -> RoutedLog:
    from classifier import load_scorer
    from labeling.replay import read_replay_logs, route_log
    from policies import default_policy, load_policy

    policy = load_policy(policy_path) if policy_path else default_policy()
    log = read_replay_logs(logs, policy, fmt=fmt, quarantine=quarantine)
    return route_log(log, policy, load_scorer(model))


def replay_command(
    logs: LogsArg,
    policy: PolicyOpt = None,
    model: ModelOpt = None,
    fmt: FormatOpt = "auto",
    out: Annotated[Path, typer.Option("--out", help="report folder")] = Path("replay-report"),
) -> None:
    """Re-route logged prompts with a policy and scorer; estimate share, cost, quality."""
    from labeling.replay import replay_report, write_curve_png

    out.mkdir(parents=True, exist_ok=True)
    routed = _load(logs, policy, model, fmt, out / "quarantine.jsonl")
    report = replay_report(routed)
    (out / "report.json").write_text(json.dumps(report, indent=2) + "\n", encoding="utf-8")
    png = write_curve_png(report, out / "cost_quality.png")
    _print_replay(report)
    typer.echo(
        f"wrote {out / 'report.json'}" + (f" and {png}" if png else " (no curve: no outcomes)")
    )


def _print_replay(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    console.print(
        f"[bold]replay[/] {report['requests']} requests ({report['quarantined']} quarantined, "
        f"{report['follow_up_turns']} follow-up turns) · policy {report['policy']} · "
        f"{report['classifier']}"
    )
    table = Table("", *report["routed"]["share"], "USD / 1k", "latency ms", "quality", "coverage")
    rows = {"routed": report["routed"], **report["baselines"]}
    for name, summary in rows.items():
        quality = summary["quality"]
        table.add_row(
            name,
            *(f"{v:.1%}" for v in summary["share"].values()),
            f"{summary['cost_usd_per_1k']:.4f}",
            f"{summary['latency_ms_mean']:.0f}",
            "-" if quality is None else f"{quality:.3f}",
            f"{summary['quality_coverage']:.1%}",
        )
    console.print(table)
    paired = report["vs_top_tier"]
    line = f"vs all-top-tier: cost x{paired['cost_ratio']:.3f}"
    if paired.get("quality_ratio") is not None:
        line += (
            f", quality {paired['quality']:.3f} vs {paired['top_tier_quality']:.3f} "
            f"({paired['quality_ratio']:.1%}) on {paired['paired_requests']} paired requests"
        )
    console.print(line)
    rq = report["routing_quality"]
    if rq is not None:
        console.print(
            f"APGR {rq['apgr']:.3f} · CPT(50%) {rq['cpt50']:.3f} · CPT(80%) {rq['cpt80']:.3f} "
            f"({rq['strong']} vs {rq['weak']}, {rq['requests']} requests)"
        )


def calibrate_command(
    logs: LogsArg,
    target: Annotated[
        str,
        typer.Option("--target", help="frontier-share=0.3 | budget-usd-per-1k=2.5 | quality=0.95"),
    ],
    policy: PolicyOpt = None,
    model: ModelOpt = None,
    fmt: FormatOpt = "auto",
    write_policy: Annotated[
        Path | None, typer.Option("--write-policy", help="write the calibrated policy here")
    ] = None,
    boot: Annotated[int, typer.Option("--boot", help="bootstrap resamples")] = 200,
    seed: Annotated[int, typer.Option(help="bootstrap seed")] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Fit the thresholds that meet TARGET on the replayed logs (bootstrap intervals)."""
    from classifier import load_scorer
    from labeling.replay import Target, calibrate_policy, read_replay_logs, write_calibrated_policy
    from policies import default_policy, default_policy_path, load_policy

    chosen = load_policy(policy) if policy else default_policy()
    log = read_replay_logs(logs, chosen, fmt=fmt, quarantine=None)
    goal = Target.parse(target, chosen.tier_names[-1])
    result, routed = calibrate_policy(log, chosen, load_scorer(model), goal, n_boot=boot, seed=seed)
    if as_json:
        typer.echo(json.dumps(result.to_dict(), indent=2))
    else:
        _print_calibration(result.to_dict(), routed)
    if write_policy is not None:
        section = _calibration_section(result.to_dict(), routed, logs)
        source = policy or default_policy_path()
        written = write_calibrated_policy(
            source, write_policy, result.thresholds, section, result.try_cheaper_min_p
        )
        typer.echo(f"wrote {write_policy}: valid policy {written.version_string}", err=True)


def _calibration_section(
    result: dict[str, Any], routed: RoutedLog, logs: list[Path]
) -> dict[str, Any]:
    files = ", ".join(p.name for p in logs)
    return {
        "target": result["target"],
        "tier_share": {k: round(v, 4) for k, v in result["achieved"]["share"].items()},
        "interval": result["share_interval"],
        "confidence": result["confidence"],
        "fitted_on": f"{routed.log.n} requests from {files}; {routed.classifier_version}",
        "n_requests": routed.log.n,
        "date": datetime.now(UTC).date().isoformat(),
    }


def _print_calibration(result: dict[str, Any], routed: RoutedLog) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    level = f"{result['confidence']:.0%}"
    console.print(f"[bold]calibrate[/] {result['target']} on {routed.log.n} requests")
    table = Table("tier", "threshold", f"threshold {level} CI", "share", f"share {level} CI")
    for tier in routed.policy.tier_names:
        threshold = result["thresholds"].get(tier)
        ci = result["threshold_interval"].get(tier)
        low, high = result["share_interval"][tier]
        table.add_row(
            tier,
            "-" if threshold is None else f"{threshold:.4f}",
            "-" if ci is None else f"[{ci[0]:.4f}, {ci[1]:.4f}]",
            f"{result['achieved']['share'][tier]:.1%}",
            f"[{low:.1%}, {high:.1%}]",
        )
    console.print(table)
    achieved = result["achieved"]
    cost_low, cost_high = result["cost_usd_per_1k_interval"]
    line = f"USD / 1k requests {achieved['cost_usd_per_1k']:.4f} [{cost_low:.4f}, {cost_high:.4f}]"
    if achieved["quality"] is not None and result["quality_interval"] is not None:
        q_low, q_high = result["quality_interval"]
        line += (
            f" · quality {achieved['quality']:.3f} [{q_low:.3f}, {q_high:.3f}] "
            f"(coverage {achieved['quality_coverage']:.1%})"
        )
    console.print(line)
    if result.get("try_cheaper_min_p") is not None:
        console.print(
            f"try-cheaper-first kept the target out of reach: cascade.try_cheaper_min_p "
            f"raised to {result['try_cheaper_min_p']:g} (written with --write-policy)"
        )


def drift_command(
    decision_logs: Annotated[list[Path], typer.Argument(help="tierroute decision logs")],
    policy: Annotated[Path, typer.Option("--policy", help="the calibrated policy YAML")],
    window: Annotated[int, typer.Option("--window", help="decisions per window")] = 1000,
    z: Annotated[float, typer.Option("--z", help="window noise allowance (standard errors)")] = 3.0,
    any_policy: Annotated[
        bool, typer.Option("--any-policy", help="count decisions of every policy version")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the windows as JSON")] = False,
) -> None:
    """Exit 1 when the newest window's share per tier left the calibrated interval."""
    from labeling.replay import drift_windows
    from policies import LabelingError, load_policy

    calibrated = load_policy(policy)
    if calibrated.calibration is None:
        raise LabelingError(
            f"{policy}: no calibration section; run `tierroute calibrate --write-policy`"
        )
    tiers, times, skipped = _routed_decisions(decision_logs, calibrated, any_policy)
    windows = drift_windows(tiers, calibrated.calibration, window=window, z=z, times=times)
    if as_json:
        typer.echo(
            json.dumps({"skipped": skipped, "windows": [w.to_dict() for w in windows]}, indent=2)
        )
    else:
        _print_drift(windows, skipped)
    if windows[-1].drifted:
        raise typer.Exit(1)


def _routed_decisions(
    paths: list[Path], policy: Policy, any_policy: bool
) -> tuple[list[str], list[str | None], dict[str, int]]:
    """Tiers the router chose, oldest first (forced tiers and passthrough left out)."""
    from labeling.ingest import read_decision_log

    records = [r for path in paths for r in read_decision_log(path).decisions]
    records.sort(key=lambda r: r.timestamp)
    skipped = {"not_routed": 0, "other_policy": 0}
    tiers: list[str] = []
    times: list[str | None] = []
    for record in records:
        decision = record.decision
        reasons = decision.get("reasons", ())
        if not decision.get("tier") or any(str(r).startswith("request:forced-") for r in reasons):
            skipped["not_routed"] += 1
        elif not any_policy and decision.get("policy_version") != policy.version_string:
            skipped["other_policy"] += 1
        else:
            tiers.append(str(decision["tier"]))
            times.append(record.timestamp)
    if not tiers and skipped["other_policy"]:
        from policies import LabelingError

        raise LabelingError(
            f"none of the {skipped['other_policy']} decisions was made by {policy.version_string}; "
            "pass --any-policy to count them anyway"
        )
    return tiers, times, skipped


def _print_drift(windows: list[Any], skipped: dict[str, int]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    names = list(windows[0].bounds)
    table = Table("window", "decisions", *names, "drift")
    for w in windows:
        cells = []
        for tier in names:
            low, high = w.bounds[tier]
            mark = "[red]" if tier in w.drifted else ""
            cells.append(f"{mark}{w.share[tier]:.1%} [{low:.1%}, {high:.1%}]")
        span = f"{w.first_time or w.first} .. {w.last_time or w.last}"
        table.add_row(span, str(w.n), *cells, ", ".join(w.drifted) or "-")
    console.print(table)
    console.print(
        f"left out: {skipped['not_routed']} not routed, {skipped['other_policy']} other policy"
    )
    newest = windows[-1]
    status = f"[red]DRIFT[/] in {', '.join(newest.drifted)}" if newest.drifted else "[green]ok[/]"
    console.print(f"newest window: {status}")
