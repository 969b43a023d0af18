"""Leave-one-source-out routing benchmark: APGR, CPT(50 %) and C95 per held-out source.

Each outcome source of ``../shared/data`` (each RouterBench set, each small_models7 set,
MMLU-Pro by category group, each LLMRouter task, RouterArena) is held out in turn; the
learned candidates train on all the others and route the held-out prompts between that
source's own strong and weak model. Prints one table per metric (sources x candidates,
macro mean last) and writes the JSON report. ``--boot N`` adds a paired bootstrap against
length (N resamples of each held-out source's rows): a 95 % interval of every candidate's
APGR gap to length per source and for the macro mean, and per candidate the sources
whose interval lies wholly below (or above) 0. Features and predictions are cached in
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
    BootCompare,
    TransferConfig,
    TransferReport,
    bootstrap_to_dict,
    paired_bootstrap,
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


def bar_table(report: TransferReport, boot: list[BootCompare] | None = None) -> Table:
    out = Table(
        title=f"APGR against length (bar: macro >= length + 0.05, no source below "
        f"length - {SOURCE_MARGIN})"
    )
    columns = ["candidate", "macro", "sources below", "worst source", "gap", "meets bar"]
    if boot:
        columns += ["macro - length, 95 % CI", "sig. below", "sig. above"]
    for column in columns:
        out.add_column(column)
    by_name = {b.candidate: b for b in boot or []}
    for row in versus(report):
        if row.candidate == "length":  # the reference itself
            out.add_row(row.candidate, f"{row.macro:.3f}", *["-"] * (len(columns) - 2))
            continue
        cells = [
            row.candidate,
            f"{row.macro:.3f}",
            str(row.below),
            row.worst_source,
            f"{row.worst_gap:+.3f}",
            "yes" if row.meets_bar else "no",
        ]
        if boot:
            b = by_name[row.candidate]
            cells += [
                f"{b.macro_diff:+.3f} [{b.macro_low:+.3f}, {b.macro_high:+.3f}]",
                str(b.below),
                str(b.above),
            ]
        out.add_row(*cells)
    return out


def boot_table(boot: list[BootCompare], n: int) -> Table:
    """Per source: APGR gap to length and its bootstrap interval (v / ^: wholly below / above 0)."""
    out = Table(
        title=f"APGR - length per held-out source, paired bootstrap 95 % CI ({n} resamples)"
    )
    out.add_column("source")
    for b in boot:
        out.add_column(b.candidate, justify="right")
    for i, first in enumerate(boot[0].sources):
        cells = []
        for b in boot:
            s = b.sources[i]
            mark = " v" if s.high < 0 else " ^" if s.low > 0 else "  "
            cells.append(f"{s.diff:+.3f} [{s.low:+.3f}, {s.high:+.3f}]{mark}")
        out.add_row(first.source, *cells)
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
    parser.add_argument(
        "--boot",
        type=int,
        default=0,
        help="paired bootstrap against length with this many resamples per source (0: off)",
    )
    parser.add_argument("--boot-seed", type=int, default=0)
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
    result = report.to_dict()
    boot = None
    if args.boot > 0 and "length" in report.results and len(report.results) > 1:
        boot = paired_bootstrap(report, args.boot, seed=args.boot_seed)
        console.print(boot_table(boot, args.boot))
        result["bootstrap"] = bootstrap_to_dict(boot, args.boot, 0.95)
    if "length" in report.results:
        console.print(bar_table(report, boot))
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=1))
    console.print(f"{time.perf_counter() - start:.0f} s; report: {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
