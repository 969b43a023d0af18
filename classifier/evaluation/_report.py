"""The evaluation report: dataclasses, JSON, Markdown, and model-card sections."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from classifier._metrics import ClassificationMetrics, ReliabilityBins
from classifier.evaluation._routing import RoutingCurve, RoutingSummary, curve_points

__all__ = ["EvaluationReport", "RoutingInfo", "ScorerResult", "model_card_sections"]


@dataclass(frozen=True)
class RoutingInfo:
    """The routing benchmark: which pair, how many rows, the endpoints of the curve."""

    dataset: str
    strong_model: str
    weak_model: str
    n: int
    dropped: int
    strong_quality: float
    weak_quality: float
    strong_cost: float  # USD, all rows to the strong model
    weak_cost: float
    random_apgr: float  # mean APGR of random routers: the sanity line (~0.5)

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass(frozen=True)
class ScorerResult:
    """Metrics of one router: the model, a baseline or a reference (oracle)."""

    name: str
    version: str
    role: str  # model | baseline | reference
    classification: ClassificationMetrics | None = None
    routing: tuple[tuple[str, RoutingSummary], ...] = ()  # strong-score mode -> summary
    curves: tuple[tuple[str, RoutingCurve], ...] = ()
    reliability: ReliabilityBins | None = None
    note: str = ""

    def summary(self, mode: str | None = None) -> RoutingSummary | None:
        """The routing summary of ``mode`` (default: the first, the primary strong-score)."""
        for name, summary in self.routing:
            if mode is None or name == mode:
                return summary
        return None

    def curve(self, mode: str | None = None) -> RoutingCurve | None:
        for name, curve in self.curves:
            if mode is None or name == mode:
                return curve
        return None

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "version": self.version,
            "role": self.role,
            "note": self.note,
            "classification": self.classification.to_dict() if self.classification else None,
            "routing": {mode: s.to_dict() for mode, s in self.routing},
            "curves": {mode: curve_points(c) for mode, c in self.curves},
        }


@dataclass(frozen=True)
class EvaluationReport:
    model: str
    model_version: str
    labels: tuple[str, ...]
    data: str | None
    split: str
    routing: RoutingInfo | None
    results: tuple[ScorerResult, ...]
    warnings: tuple[str, ...] = ()
    plots: dict[str, str] = field(default_factory=dict)  # plot name -> file path

    def result(self, name: str) -> ScorerResult:
        for result in self.results:
            if result.name == name:
                return result
        raise KeyError(f"no result named {name!r}: {[r.name for r in self.results]}")

    @property
    def model_result(self) -> ScorerResult:
        return self.result("model")

    def metrics(self) -> dict[str, float]:
        """The model's headline numbers, flat (for MLflow ``log_metrics``)."""
        out: dict[str, float] = {}
        result = self.model_result
        if result.classification is not None:
            c = result.classification
            out |= {"test.accuracy": c.accuracy, "test.macro_f1": c.macro_f1, "test.ece": c.ece}
        for mode, s in result.routing:
            for key, value in s.to_dict().items():
                out[f"routerbench.{mode}.{key}"] = value
        return {k: v for k, v in out.items() if math.isfinite(v)}

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "model_version": self.model_version,
            "labels": list(self.labels),
            "data": self.data,
            "split": self.split,
            "routing": self.routing.to_dict() if self.routing else None,
            "results": [r.to_dict() for r in self.results],
            "warnings": list(self.warnings),
            "plots": dict(self.plots),
        }

    def to_markdown(self) -> str:
        lines = [f"# Evaluation of `{self.model_version}`", ""]
        lines += [f"- model: `{self.model}`", f"- labels: `{self.data}` (split `{self.split}`)"]
        lines += [f"- warning: {w}" for w in self.warnings]
        for title, body in model_card_sections(self).items():
            lines += ["", f"## {title}", "", body]
        if self.plots:
            lines += ["", "## Plots", ""]
            lines += [f"![{name}]({Path(path).name})" for name, path in self.plots.items()]
        return "\n".join(lines) + "\n"


def _f(value: float | None, digits: int = 3) -> str:
    if value is None or not math.isfinite(value):
        return "—"
    return f"{value:.{digits}f}"


def classification_table(report: EvaluationReport) -> str:
    tiers = report.labels
    head = "| scorer | accuracy | macro-F1 | ECE | " + " | ".join(f"F1 {t}" for t in tiers)
    lines = [head + " |", "|---" * (4 + len(tiers)) + "|"]
    for r in report.results:
        c = r.classification
        if c is None:
            continue
        f1s = " | ".join(_f(m.f1) for _, m in c.per_tier)
        name = f"**{r.name}** `{r.version}`" if r.role == "model" else r.name
        lines.append(f"| {name} | {_f(c.accuracy)} | {_f(c.macro_f1)} | {_f(c.ece)} | {f1s} |")
    first = next((r.classification for r in report.results if r.classification), None)
    if first is not None:
        lines.append(
            f"\n{first.n} test rows; majority-class accuracy {_f(first.majority_accuracy)}."
        )
    return "\n".join(lines)


def routing_table(report: EvaluationReport) -> str:
    info = report.routing
    if info is None:
        return "Routing metrics skipped (no RouterBench data)."
    lines = [
        f"{info.dataset}: {info.n} rows ({info.dropped} without outcomes dropped); "
        f"strong `{info.strong_model}` quality {_f(info.strong_quality)} (${info.strong_cost:.3f}),"
        f" weak `{info.weak_model}` quality {_f(info.weak_quality)} (${info.weak_cost:.3f}). "
        f"Random router APGR {_f(info.random_apgr)} (sanity line, 0.5 expected).",
        "",
        "| router | strong-score | APGR | CPT(50%) | CPT(80%) | cost @CPT(50%) | cost @CPT(80%) |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in report.results:
        for mode, s in r.routing:
            name = f"**{r.name}**" if r.role == "model" else r.name
            lines.append(
                f"| {name} | {mode} | {_f(s.apgr)} | {_f(s.cpt50 * 100, 1)}% | "
                f"{_f(s.cpt80 * 100, 1)}% | ${s.cost_at_cpt50:.3f} | ${s.cost_at_cpt80:.3f} |"
            )
    lines.append(
        "\nAPGR: area under the performance-gap-recovered curve over the share of strong "
        "calls; CPT(x): share of strong calls needed to recover x of the quality gap "
        "(RouteLLM). Lower CPT is better. Cost: USD for all rows when routing at that "
        "threshold (all-strong costs the strong model's total above)."
    )
    return "\n".join(lines)


def model_card_sections(report: EvaluationReport) -> dict[str, str]:
    """Markdown sections for a model card: classification vs baselines, routing quality."""
    return {
        "Classification (test split) vs baselines": classification_table(report),
        "Routing quality (RouterBench test, GPT-4 vs Mixtral)": routing_table(report),
    }
