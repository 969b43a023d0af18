"""PNG plots of an evaluation report (matplotlib, Agg backend, imported lazily); the
report's files (``write_report``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

from classifier.evaluation._report import EvaluationReport

__all__ = ["save_plots", "write_plots", "write_report"]

Drawer = Callable[[Any, Any], Any]  # (pyplot, report) -> figure or None


def _pyplot() -> Any:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_plots(
    report: Any, drawers: Sequence[tuple[str, Drawer]], out: Path, *, dpi: int
) -> dict[str, Path]:
    """Draw each ``(name, draw)`` of ``report`` (``draw(plt, report)`` returns a figure,
    or None to skip) into ``out/<name>.png``; return plot name -> path."""
    plt = _pyplot()
    written: dict[str, Path] = {}
    for name, draw in drawers:
        fig = draw(plt, report)
        if fig is None:
            continue
        path = out / f"{name}.png"
        fig.savefig(path, dpi=dpi, bbox_inches="tight")
        plt.close(fig)
        written[name] = path
    return written


def write_plots(report: EvaluationReport, out: Path) -> dict[str, Path]:
    """Write the report's plots into ``out``; return plot name -> path."""
    drawers = (
        ("confusion_matrix", _confusion),
        ("reliability", _reliability),
        ("pgr_curve", _pgr),
        ("cost_quality", _cost_quality),
    )
    return save_plots(report, drawers, out, dpi=110)


def write_report(report: EvaluationReport, out: Path) -> EvaluationReport:
    """Write plots, report.json and report.md into ``out``; return the report with plots."""
    out.mkdir(parents=True, exist_ok=True)
    report = replace(report, plots={k: str(v) for k, v in write_plots(report, out).items()})
    (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2) + "\n")
    (out / "report.md").write_text(report.to_markdown(), encoding="utf-8")
    return report


def _confusion(plt: Any, report: EvaluationReport) -> Any:
    metrics = report.model_result.classification
    if metrics is None:
        return None
    matrix = np.array(metrics.confusion, dtype=float)
    share = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
    fig, ax = plt.subplots(figsize=(4.6, 4))
    ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    for (i, j), count in np.ndenumerate(matrix):
        color = "white" if share[i, j] > 0.6 else "black"
        ax.text(j, i, f"{int(count)}\n{share[i, j]:.0%}", ha="center", va="center", color=color)
    ticks = range(len(metrics.labels))
    ax.set_xticks(ticks, metrics.labels)
    ax.set_yticks(ticks, metrics.labels)
    ax.set_xlabel("predicted tier")
    ax.set_ylabel("true tier (cheapest sufficient)")
    ax.set_title(f"{report.model_version}\naccuracy {metrics.accuracy:.3f}", fontsize=9)
    return fig


def _reliability(plt: Any, report: EvaluationReport) -> Any:
    scored = [r for r in report.results if r.reliability is not None and r.classification]
    if not scored:
        return None
    fig, ax = plt.subplots(figsize=(5, 4.5))
    ax.plot([0, 1], [0, 1], color="grey", linestyle=":", label="perfect calibration")
    for r in scored:
        bins = r.reliability
        assert bins is not None and r.classification is not None
        conf, acc = np.array(bins.confidence), np.array(bins.accuracy)
        keep = np.array(bins.count) > 0
        width = 2.2 if r.role == "model" else 1.2
        ax.plot(
            conf[keep],
            acc[keep],
            marker="o",
            markersize=3,
            linewidth=width,
            label=f"{r.name} (ECE {r.classification.ece:.3f})",
        )
    ax.set_xlabel("confidence (top-tier probability)")
    ax.set_ylabel("accuracy")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("Reliability diagram (test split)", fontsize=9)
    return fig


def _routing_results(report: EvaluationReport) -> list[Any]:
    return [r for r in report.results if r.curves]


def _pgr(plt: Any, report: EvaluationReport) -> Any:
    results = _routing_results(report)
    if report.routing is None or not results:
        return None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    ax.plot(
        [0, 1],
        [0, 1],
        color="grey",
        linestyle=":",
        label=f"random (APGR {report.routing.random_apgr:.3f})",
    )
    for r in results:
        curve, summary = r.curve(), r.summary()
        style: dict[str, Any] = {"linewidth": 2.4 if r.role == "model" else 1.2}
        if r.role == "reference":
            style = {"linewidth": 1.0, "linestyle": "--", "color": "black"}
        ax.plot(
            curve.strong_share * 100, curve.pgr, label=f"{r.name} ({summary.apgr:.3f})", **style
        )
    ax.axhline(0.5, color="lightgrey", linewidth=0.8)
    ax.axhline(0.8, color="lightgrey", linewidth=0.8)
    ax.set_xlabel("calls routed to the strong model (%)")
    ax.set_ylabel("performance gap recovered")
    ax.set_xlim(0, 100)
    ax.set_ylim(-0.1, 1.3)
    ax.legend(fontsize=7, loc="lower right", title="router (APGR)", title_fontsize=7)
    info = report.routing
    ax.set_title(f"{info.dataset}: {info.strong_model} vs {info.weak_model}", fontsize=8)
    return fig


def _cost_quality(plt: Any, report: EvaluationReport) -> Any:
    results = _routing_results(report)
    info = report.routing
    if info is None or not results:
        return None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for r in results:
        curve = r.curve()
        style: dict[str, Any] = {"linewidth": 2.4 if r.role == "model" else 1.2}
        if r.role == "reference":
            style = {"linewidth": 1.0, "linestyle": "--", "color": "black"}
        ax.plot(curve.cost, curve.quality, label=r.name, **style)
    ax.plot(
        [info.weak_cost, info.strong_cost],
        [info.weak_quality, info.strong_quality],
        color="grey",
        linestyle=":",
        label="random mix",
    )
    ax.scatter([info.weak_cost], [info.weak_quality], color="tab:green", zorder=5)
    ax.scatter([info.strong_cost], [info.strong_quality], color="tab:red", zorder=5)
    ax.annotate(info.weak_model, (info.weak_cost, info.weak_quality), fontsize=7)
    ax.annotate(
        info.strong_model,
        (info.strong_cost, info.strong_quality),
        fontsize=7,
        ha="right",
        va="bottom",
    )
    ax.set_xlabel(f"total cost of the {info.n} requests (USD)")
    ax.set_ylabel("quality (mean correctness)")
    ax.legend(fontsize=7, loc="lower right")
    ax.set_title(f"Cost-quality: {info.dataset}", fontsize=8)
    return fig
