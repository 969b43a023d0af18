"""The review report: JSON summary, Markdown for the MLflow version description, files.

``write(out)`` writes ``review.json`` (every number), ``review.html`` (self-contained:
plots embedded as base64 PNG) and the PNG plots themselves.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from classifier.evaluation import curve_points
from classifier.registry import GateInputs, GateResult, gate_counts
from labeling.review._eval import Disagreement, VersionEval

__all__ = ["ReviewReport", "json_default"]


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


@dataclass(frozen=True)
class ReviewReport:
    name: str
    challenger: VersionEval
    champion: VersionEval | None
    policy_version: str
    tiers: tuple[str, ...]
    data: str
    split: str
    n_labeled: int
    n_routing: int
    disagreements: tuple[Disagreement, ...]
    gates: tuple[GateResult, ...] = ()
    warnings: tuple[str, ...] = ()
    created_at: str = ""
    files: dict[str, str] = field(default_factory=dict)  # name -> path

    # -- numbers -------------------------------------------------------------------

    def headline(self, version: VersionEval) -> dict[str, float | None]:
        c, r = version.classification, version.routing
        return {
            "accuracy": c.accuracy,
            "macro_f1": c.macro_f1,
            "ece": c.ece,
            "apgr": r.apgr if r else None,
            "cpt50": r.cpt50 if r else None,
            "cpt80": r.cpt80 if r else None,
            **{f"share_{t}": version.tier_share.get(t) for t in self.tiers},
            "cost_per_1k_usd": version.cost_per_1k,
            "latency_p50_ms": version.latency_ms[0],
            "latency_p99_ms": version.latency_ms[1],
        }

    def deltas(self) -> dict[str, float]:
        """Challenger minus champion for every headline number both have."""
        if self.champion is None:
            return {}
        a, b = self.headline(self.champion), self.headline(self.challenger)
        out = {}
        for key, value in b.items():
            base = a.get(key)
            if _finite(value) is not None and _finite(base) is not None:
                out[key] = float(value) - float(base)  # type: ignore[arg-type]
        return out

    def gate_inputs(self) -> GateInputs:
        champion, challenger = self.champion, self.challenger
        top = self.tiers[-1]

        def pair(get: Any) -> tuple[float | None, float | None]:
            return (_finite(get(champion)) if champion else None, _finite(get(challenger)))

        slices = {}
        if champion is not None:
            for key, stats in challenger.slices.items():
                if key in champion.slices:
                    slices[key] = (stats.n, champion.slices[key].accuracy, stats.accuracy)
        return GateInputs(
            champion_version=champion.version if champion else None,
            top_tier=top,
            accuracy=pair(lambda v: v.classification.accuracy),
            apgr=pair(lambda v: v.apgr),
            frontier_share=pair(lambda v: v.tier_share.get(top)),
            cost_per_1k=pair(lambda v: v.cost_per_1k),
            slices=slices,
            macro_f1=pair(lambda v: v.classification.macro_f1),
            ece=pair(lambda v: v.classification.ece),
            tier_share=dict(challenger.tier_share),
        )

    # -- serialisation ----------------------------------------------------------------

    def _version_dict(self, version: VersionEval) -> dict[str, Any]:
        return {
            "version": version.version,
            "classifier_version": version.classifier_version,
            "metrics": self.headline(version),
            "tier_share": version.tier_share,
            "confusion": [list(row) for row in version.classification.confusion],
            "per_tier": version.classification.to_dict().get("per_tier"),
            "routing": version.routing.to_dict() if version.routing else None,
            "curve": curve_points(version.curve) if version.curve is not None else None,
            "slices": {k: s.__dict__ for k, s in version.slices.items()},
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "created_at": self.created_at,
            "policy_version": self.policy_version,
            "tiers": list(self.tiers),
            "data": self.data,
            "split": self.split,
            "n_labeled": self.n_labeled,
            "n_routing": self.n_routing,
            "challenger": self._version_dict(self.challenger),
            "champion": self._version_dict(self.champion) if self.champion else None,
            "deltas": self.deltas(),
            "gates": [g.__dict__ for g in self.gates],
            "disagreements": [d.__dict__ for d in self.disagreements],
            "warnings": list(self.warnings),
            "files": dict(self.files),
        }

    def title(self) -> str:
        against = f"v{self.champion.version}" if self.champion else "no champion"
        return f"Review of {self.name} v{self.challenger.version} against {against}"

    def to_markdown(self, report_uri: str = "") -> str:
        """Short Markdown: the MLflow model-version description."""
        lines = [f"**{self.title()}** ({self.created_at}, policy `{self.policy_version}`)", ""]
        lines += ["| metric | champion | challenger | delta |", "|---|---|---|---|"]
        champion = self.headline(self.champion) if self.champion else {}
        deltas = self.deltas()
        for key, value in self.headline(self.challenger).items():
            delta = _fmt(deltas.get(key), True)
            lines.append(f"| {key} | {_fmt(champion.get(key))} | {_fmt(value)} | {delta} |")
        failed = [g for g in self.gates if g.status == "fail"]
        lines += ["", f"Gates: {gate_counts(self.gates)}."]
        lines += [f"- FAIL {g.name}: {g.detail}" for g in failed]
        lines += [f"- skipped {g.name}: {g.detail}" for g in self.gates if g.status == "skip"]
        lines += ["", f"{len(self.disagreements)} most consequential disagreements in the report."]
        if report_uri:
            lines += ["", f"Full report: `{report_uri}` (run artifacts, folder `review`)."]
        return "\n".join(lines) + "\n"


def json_default(value: Any) -> Any:
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _fmt(value: float | None, signed: bool = False) -> str:
    if value is None or not math.isfinite(value):
        return "–"
    return f"{value:+.4g}" if signed else f"{value:.4g}"
