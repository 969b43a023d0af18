"""The column contract of a labeled dataset (``labels.parquet``).

``labeling`` writes it (importing these names), ``classifier`` training reads it.
One row per distinct prompt (dedup group).
"""

from __future__ import annotations

__all__ = ["LABEL_COLUMNS", "REQUIRED_LABEL_COLUMNS", "SPLITS"]

# name -> (polars dtype name, meaning)
LABEL_COLUMNS: dict[str, tuple[str, str]] = {
    "group_id": ("String", "stable id of the dedup group (hash of the normalized text)"),
    "text": ("String", "the prompt text the classifier scores (PII scrubbed)"),
    "label": ("String", "cheapest sufficient tier, one of the policy's tier names"),
    "label_index": ("Int32", "position of label in the tier order (ordinal target)"),
    "confidence": ("Float64", "aggregated confidence of the label, 0..1"),
    "tier_probs": ("List(Float64)", "soft label: probability per tier, in tier order"),
    "voters": ("List(String)", "labeling functions that voted (did not abstain)"),
    "n_records": ("Int64", "how many log records this prompt stands for"),
    "source": ("String", "input source of the first record (file stem or dataset name)"),
    "split": ("String", "train, val or test: stable hash of group_id"),
}
REQUIRED_LABEL_COLUMNS = ("text", "label", "split")
SPLITS = ("train", "val", "test")
