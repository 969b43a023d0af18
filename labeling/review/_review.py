"""``tierroute review``: a registered challenger version against the champion.

Both versions are downloaded from the registry and scored on the same held-out labeled
rows (``split`` of a labels.parquet) and on RouterBench test rows with per-model
outcomes; every prompt also goes through ``Router(policy, scorer)`` for tiers and cost.
The report (:class:`labeling.review._report.ReviewReport`) is written as HTML + JSON +
PNG, logged to the challenger's MLflow run under ``review/``, and summarised on the
model version: its description (Markdown) and tags ``review=pending``,
``review.champion``, ``review.summary`` (the numbers ``tierroute promote`` gates on),
``review.report`` and ``review.delta.*``.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from classifier import ComplexityScorer, load_scorer, local_data_dir
from classifier.registry import ModelRegistry, RegisteredVersion, check_gates
from labeling.review._data import ReviewData, read_review_data, slice_masks
from labeling.review._eval import disagreements, evaluate_version, scorer_latencies
from labeling.review._html import write_review
from labeling.review._report import ReviewReport
from policies import LabelingError, Policy, RegistryError, default_policy

__all__ = ["resolve_version", "review_versions"]

Progress = Callable[[str], None]


def resolve_version(registry: ModelRegistry, name: str, ref: str) -> RegisteredVersion | None:
    """``3`` or ``@alias`` -> that version; None when the alias does not exist."""
    if ref.startswith("@"):
        try:
            return registry.resolve(f"models:/{name}{ref}")
        except RegistryError:
            return None
    if not ref.isdigit():
        raise RegistryError(f"{name}: version {ref!r}: expected a number or @alias")
    return registry.get_version(name, ref)


def _load(registry: ModelRegistry, version: RegisteredVersion, folder: Path) -> ComplexityScorer:
    return load_scorer(registry.download(version.uri, folder))


def review_versions(
    registry: ModelRegistry,
    name: str,
    challenger: str,
    data: str | Path,
    *,
    champion: str = "@champion",
    policy: Policy | None = None,
    split: str = "test",
    routerbench_dir: str | Path | None = None,
    out: str | Path | None = None,
    log: bool = True,
    latency_sample: int = 200,
    n_disagreements: int = 50,
    progress: Progress | None = None,
) -> ReviewReport:
    """Review ``name/challenger`` against ``champion`` (a version or ``@alias``; the
    review stands alone when the alias does not exist yet). See the module docstring."""
    say = progress or (lambda _: None)
    policy = policy or default_policy()
    new = resolve_version(registry, name, challenger)
    if new is None:
        raise RegistryError(f"{name}{challenger}: no such alias")
    old = resolve_version(registry, name, champion)
    if old is not None and old.version == new.version:
        raise RegistryError(f"{name}: the challenger is the champion (version {new.version})")
    with tempfile.TemporaryDirectory(prefix="tierroute-review-") as tmp:
        say(f"downloading {name} v{new.version}" + (f" and v{old.version}" if old else ""))
        new_scorer = _load(registry, new, Path(tmp) / "challenger")
        old_scorer = _load(registry, old, Path(tmp) / "champion") if old else None
    if old_scorer is not None and old_scorer.labels != new_scorer.labels:
        raise LabelingError(
            f"{name}: v{new.version} has tiers {list(new_scorer.labels)}, "
            f"v{old.version if old else ''} {list(old_scorer.labels)}: not comparable"
        )
    review_data = read_review_data(
        data, new_scorer.labels, split=split, routerbench_dir=routerbench_dir
    )
    report = _evaluate(name, new, new_scorer, old, old_scorer, review_data, policy, say,
                       latency_sample, n_disagreements)  # fmt: skip
    target = Path(out) if out is not None else _default_out(name, new, old)
    say(f"writing the report to {target}")
    report = write_review(report, target)
    if log:
        say(f"logging the review to the run of {name} v{new.version}")
        log_review(registry, new, report)
    return report


def _default_out(name: str, new: RegisteredVersion, old: RegisteredVersion | None) -> Path:
    against = f"v{old.version}" if old else "none"
    return local_data_dir() / "reviews" / f"{name}-v{new.version}-vs-{against}"


def _evaluate(
    name: str,
    new: RegisteredVersion,
    new_scorer: ComplexityScorer,
    old: RegisteredVersion | None,
    old_scorer: ComplexityScorer | None,
    data: ReviewData,
    policy: Policy,
    say: Progress,
    latency_sample: int,
    n_disagreements: int,
) -> ReviewReport:
    masks = slice_masks(data.texts, data.sources)
    scorers = [new_scorer] + ([old_scorer] if old_scorer is not None else [])
    say(f"timing {len(scorers)} scorer(s) on {min(latency_sample, data.n)} prompts")
    latencies = scorer_latencies(scorers, data.texts, latency_sample)
    say(f"scoring {data.n} labeled prompts with v{new.version}")
    challenger = evaluate_version(
        new_scorer, "challenger", new.version, data, policy, masks, latencies[0]
    )
    champion = None
    if old is not None and old_scorer is not None:
        say(f"scoring {data.n} labeled prompts with v{old.version}")
        champion = evaluate_version(
            old_scorer, "champion", old.version, data, policy, masks, latencies[1]
        )
    found = (
        disagreements(champion, challenger, data, policy.tier_names, n_disagreements)
        if champion
        else []
    )
    report = ReviewReport(
        name=name,
        challenger=challenger,
        champion=champion,
        policy_version=policy.version_string,
        tiers=policy.tier_names,
        data=data.path,
        split=data.split,
        n_labeled=data.n,
        n_routing=data.outcomes.table.n if data.outcomes is not None else 0,
        disagreements=tuple(found),
        warnings=data.warnings,
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    target = policy.classifier.target_tier_share.get(policy.tier_names[-1])
    gates = check_gates(report.gate_inputs(), policy.review_gates, target)
    return ReviewReport(**{**report.__dict__, "gates": tuple(gates)})


def log_review(registry: ModelRegistry, version: RegisteredVersion, report: ReviewReport) -> None:
    """Report files -> the challenger's run (``review/``); summary -> version tags and
    description; deltas -> run metrics ``review.delta.*``."""
    if version.run_id is None:
        raise RegistryError(f"{version.uri}: the version has no run to log the review to")
    deltas = report.deltas()
    metrics = {f"review.delta.{k}": v for k, v in deltas.items()}
    registry.log_to_run(version.run_id, list(report.files.values()), "review", metrics)
    uri = f"runs:/{version.run_id}/review/review.html"
    tags = {
        "review": "pending",
        "review.champion": report.champion.version if report.champion else "",
        "review.summary": report.gate_inputs().to_json(),
        "review.report": uri,
        "review.created_at": report.created_at,
        "review.gates": ", ".join(f"{g.name}={g.status}" for g in report.gates),
        **{f"review.delta.{k}": f"{v:+.4g}" for k, v in deltas.items()},
    }
    registry.set_tags(version.name, version.version, tags)
    registry.set_description(version.name, version.version, report.to_markdown(uri))
