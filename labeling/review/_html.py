"""The review's PNG plots (matplotlib, Agg, imported lazily), its self-contained HTML and
the files a review writes (:func:`write_review`)."""

from __future__ import annotations

import base64
import html
import json
import math
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from labeling.review._report import ReviewReport, json_default

if TYPE_CHECKING:
    from labeling.review._eval import VersionEval

__all__ = ["render_html", "write_plots", "write_review"]

_COLORS = {"champion": "tab:blue", "challenger": "tab:orange"}


def _versions(report: ReviewReport) -> list[VersionEval]:
    return [v for v in (report.champion, report.challenger) if v is not None]


def write_plots(report: ReviewReport, out: Path) -> dict[str, Path]:
    """confusion_matrices.png, cost_quality.png (both curves), tier_share.png."""
    from classifier.evaluation import save_plots

    drawers = (
        ("confusion_matrices", _confusion),
        ("cost_quality", _cost_quality),
        ("tier_share", _tier_share),
    )
    return save_plots(report, drawers, out, dpi=100)


def _confusion(plt: Any, report: ReviewReport) -> Any:
    versions = _versions(report)
    fig, axes = plt.subplots(1, len(versions), figsize=(4.2 * len(versions), 3.8), squeeze=False)
    labels = report.challenger.classification.labels
    for ax, version in zip(axes[0], versions, strict=True):
        matrix = np.array(version.classification.confusion)
        ax.imshow(matrix, cmap="Blues")
        for (i, j), value in np.ndenumerate(matrix):
            ax.text(j, i, str(value), ha="center", va="center", fontsize=8)
        ax.set_xticks(range(len(labels)), labels, fontsize=8)
        ax.set_yticks(range(len(labels)), labels, fontsize=8)
        ax.set_xlabel("predicted tier")
        ax.set_ylabel("true tier")
        ax.set_title(f"{version.role} v{version.version}", fontsize=9)
    return fig


def _cost_quality(plt: Any, report: ReviewReport) -> Any:
    curves = [(v, v.curve) for v in _versions(report) if v.curve is not None]
    if not curves:
        return None
    fig, ax = plt.subplots(figsize=(6, 4.5))
    for version, curve in curves:
        assert curve is not None
        apgr = version.apgr if version.apgr is not None else float("nan")
        label = f"{version.role} v{version.version} (APGR {apgr:.3f})"
        ax.plot(curve.cost, curve.quality, color=_COLORS[version.role], linewidth=2, label=label)
    first = curves[0][1]
    assert first is not None
    ax.plot(
        [first.cost[0], first.cost[-1]],
        [first.quality[0], first.quality[-1]],
        color="grey",
        linestyle=":",
        label="random mix",
    )
    ax.set_xlabel(f"total cost of the {report.n_routing} RouterBench test requests (USD)")
    ax.set_ylabel("quality (mean correctness)")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Cost-quality: strong vs weak model routed by each version", fontsize=9)
    return fig


def _tier_share(plt: Any, report: ReviewReport) -> Any:
    versions = _versions(report)
    fig, ax = plt.subplots(figsize=(5.5, 3.2))
    width = 0.8 / len(versions)
    x = np.arange(len(report.tiers))
    for k, version in enumerate(versions):
        shares = [version.tier_share.get(t, 0.0) for t in report.tiers]
        ax.bar(x + k * width, shares, width, label=f"{version.role} v{version.version}",
               color=_COLORS[version.role])  # fmt: skip
    ax.set_xticks(x + width * (len(versions) - 1) / 2, report.tiers)
    ax.set_ylabel("share of held-out prompts")
    ax.legend(fontsize=8)
    ax.set_title("Traffic per tier (policy thresholds and rules applied)", fontsize=9)
    return fig


# -- HTML ------------------------------------------------------------------------------

_CSS = """
body{font-family:system-ui,sans-serif;margin:2em;max-width:1100px;color:#222}
table{border-collapse:collapse;margin:.6em 0 1.4em}td,th{border:1px solid #ccc;padding:3px 8px;
font-size:13px;text-align:right}th{background:#f3f3f3}td.t{text-align:left;max-width:520px}
.pass{color:#080}.fail{color:#b00;font-weight:bold}.skip{color:#888}img{max-width:100%}
"""


def _e(value: Any) -> str:
    return html.escape(str(value))


def _num(value: Any, signed: bool = False) -> str:
    if not isinstance(value, int | float) or not math.isfinite(value):
        return "–"
    return f"{value:+.4g}" if signed else f"{value:.4g}"


def _table(head: list[str], rows: list[list[str]], left: tuple[int, ...] = (0,)) -> str:
    out = ["<table><tr>", *(f"<th>{_e(h)}</th>" for h in head), "</tr>"]
    for row in rows:
        cells = (f"<td{' class=t' if i in left else ''}>{c}</td>" for i, c in enumerate(row))
        out += ["<tr>", *cells, "</tr>"]
    return "".join(out) + "</table>"


def _metrics(report: ReviewReport) -> str:
    champion = report.headline(report.champion) if report.champion else {}
    deltas = report.deltas()
    rows = [
        [_e(k), _num(champion.get(k)), _num(v), _num(deltas.get(k), True)]
        for k, v in report.headline(report.challenger).items()
    ]
    return _table(["metric", "champion", "challenger", "delta"], rows)


def _gates(report: ReviewReport) -> str:
    if not report.gates:
        return "<p>No gates evaluated.</p>"
    rows = [
        [_e(g.name), f"<span class={g.status}>{_e(g.status)}</span>", _e(g.detail)]
        for g in report.gates
    ]
    return _table(["gate", "status", "detail"], rows, left=(0, 2))


def _slices(report: ReviewReport) -> str:
    champion = report.champion.slices if report.champion else {}
    rows = []
    for name, s in report.challenger.slices.items():
        c = champion.get(name)
        delta = s.accuracy - c.accuracy if c else None
        rows.append(
            [_e(name), str(s.n), _num(c.accuracy if c else None), _num(s.accuracy),
             _num(delta, True), _num(c.top_share if c else None), _num(s.top_share),
             _num(c.cost_per_1k if c else None), _num(s.cost_per_1k)]
        )  # fmt: skip
    head = ["slice", "n", "acc champion", "acc challenger", "delta", "top-tier share champion",
            "top-tier share challenger", "$/1k champion", "$/1k challenger"]  # fmt: skip
    return _table(head, rows)


def _disagreements(report: ReviewReport) -> str:
    rows = [
        [_e(d.text[:300] + ("…" if len(d.text) > 300 else "")), _e(d.dataset), _e(d.source),
         _e(d.champion_tier), _e(d.challenger_tier), _e(d.outcome), _e(d.verdict),
         _num(d.cost_delta_usd, True)]
        for d in report.disagreements
    ]  # fmt: skip
    head = [
        "prompt",
        "data",
        "source",
        "champion",
        "challenger",
        "outcome",
        "verdict",
        "Δ$ / request",
    ]
    return _table(head, rows, left=(0, 1, 2, 5, 6))


def _image(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<p><img alt="{_e(path.stem)}" src="data:image/png;base64,{data}"></p>'


def render_html(report: ReviewReport, plots: dict[str, Path]) -> str:
    """One HTML file with every table and the plots inline (opens from MLflow artifacts)."""
    parts = [
        f"<!doctype html><html><head><meta charset=utf-8><title>{_e(report.title())}</title>",
        f"<style>{_CSS}</style></head><body><h1>{_e(report.title())}</h1>",
        f"<p>{_e(report.created_at)} · policy <code>{_e(report.policy_version)}</code> · "
        f"{report.n_labeled} held-out labeled prompts from <code>{_e(report.data)}</code> "
        f"(split {_e(report.split)}) · {report.n_routing} RouterBench test rows</p>",
        *(f"<p class=skip>warning: {_e(w)}</p>" for w in report.warnings),
        "<h2>Promotion gates</h2>", _gates(report),
        "<h2>Metrics</h2>", _metrics(report),
    ]  # fmt: skip
    for name, title in (
        ("cost_quality", "Cost-quality curves"),
        ("tier_share", "Traffic per tier"),
        ("confusion_matrices", "Confusion matrices"),
    ):
        if name in plots:
            parts += [f"<h2>{title}</h2>", _image(plots[name])]
    parts += ["<h2>Slices</h2>", _slices(report)]
    parts += [f"<h2>{len(report.disagreements)} most consequential disagreements</h2>"]
    parts += [_disagreements(report), "</body></html>"]
    return "\n".join(parts)


def write_review(report: ReviewReport, out: Path) -> ReviewReport:
    """Plots, ``review.html`` and ``review.json`` into ``out``; return with ``files``."""
    out.mkdir(parents=True, exist_ok=True)
    plots = write_plots(report, out)
    html_path = out / "review.html"
    json_path = out / "review.json"
    files = {
        **{k: str(v) for k, v in plots.items()},
        "html": str(html_path),
        "json": str(json_path),
    }
    report = replace(report, files=files)
    html_path.write_text(render_html(report, plots), encoding="utf-8")
    json_path.write_text(json.dumps(report.to_dict(), indent=2, default=json_default) + "\n")
    return report
