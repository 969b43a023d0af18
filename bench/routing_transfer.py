"""Leave-one-source-out routing benchmark: APGR, CPT(50 %) and C95 per held-out source.

Each outcome source of ``../shared/data`` (each RouterBench set, each small_models7 set,
MMLU-Pro by category group, each LLMRouter task, RouterArena) is held out in turn; the
learned candidates train on all the others and route the held-out prompts between that
source's own strong and weak model. Prints one table per metric (sources x candidates,
macro mean last) and writes the JSON report. Features and predictions are cached in
``build/transfer`` keyed by content hash, so a re-run is fast. Run
``.venv/bin/python bench/routing_transfer.py [--candidates length,tfidf-lr,...]``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

from rich.console import Console
from rich.table import Table

from classifier import shared_data_dir
from labeling.transfer import (
    BLENDS,
    CANDIDATES,
    DEFAULT_CANDIDATES,
    SOURCE_MARGIN,
    TransferConfig,
    TransferReport,
    run_transfer,
    versus,
)


def table(report: TransferReport, metric: str) -> Table:
    names = list(report.results)
    config = report.config
    out = Table(title=f"{metric} per held-out source ({config.mode}, target={config.target})")
    out.add_column("source")
    out.add_column("n", justify="right")
    for name in names:
        out.add_column(name, justify="right")
    first = report.results[names[0]]
    for i, row in enumerate(first):
        values = [getattr(report.results[n][i], metric) for n in names]
        out.add_row(row.source, str(row.n), *(f"{v:.3f}" for v in values))
    out.add_row("macro mean", "", *(f"{report.macro(n, metric):.3f}" for n in names))
    return out


def bar_table(report: TransferReport) -> Table:
    out = Table(
        title=f"APGR against length (bar: macro >= length + 0.05, no source below "
        f"length - {SOURCE_MARGIN})"
    )
    for column in ("candidate", "macro", "sources below", "worst source", "gap", "meets bar"):
        out.add_column(column)
    for row in versus(report):
        if row.candidate == "length":  # the reference itself
            out.add_row(row.candidate, f"{row.macro:.3f}", "-", "-", "-", "-")
            continue
        out.add_row(
            row.candidate,
            f"{row.macro:.3f}",
            str(row.below),
            row.worst_source,
            f"{row.worst_gap:+.3f}",
            "yes" if row.meets_bar else "no",
        )
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument(
        "--candidates",
        default=",".join(DEFAULT_CANDIDATES),
        help=f"comma-separated, from {sorted(CANDIDATES) + sorted(BLENDS)}",
    )
    parser.add_argument("--target", default="gain")
    parser.add_argument("--balance", default="equal")
    parser.add_argument("--sources", default="", help="comma-separated name prefixes")
    parser.add_argument(
        "--mode",
        default="transfer",
        choices=("transfer", "own"),
        help="own: train on a hash half of each source, test on the other",
    )
    parser.add_argument("--cap", type=int, default=600, help="training prompts per source")
    parser.add_argument("--metrics", default="apgr,cpt50,c95")
    parser.add_argument("--cache", type=Path, default=Path("build/transfer"))
    parser.add_argument("--out", type=Path, default=Path("build/transfer/report.json"))
    args = parser.parse_args(argv)
    console = Console(width=240)
    config = TransferConfig(
        target=args.target,
        candidates=tuple(c for c in args.candidates.split(",") if c),
        balance=args.balance,
        sources=tuple(s for s in args.sources.split(",") if s),
        mode=args.mode,
        cap_per_source=args.cap,
    )
    start = time.perf_counter()
    report = run_transfer(
        shared_data_dir(), args.cache, config, progress=lambda s: console.log(f"held out {s}")
    )
    for metric in args.metrics.split(","):
        console.print(table(report, metric))
    if "length" in report.results:
        console.print(bar_table(report))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report.to_dict(), indent=1))
    console.print(f"{time.perf_counter() - start:.0f} s; report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
