"""Promotion gates: what a reviewed classifier version must show before it serves.

``tierroute promote`` checks the challenger's stored review against these gates (the
``review_gates`` section of the policy). Every threshold is a tolerance against the
champion the review compared with, except the frontier share, which is held to the
policy's ``classifier.target_tier_share`` of the top tier when one is set (else to the
champion's share).

    review_gates:
      max_apgr_drop: 0.01          # APGR may fall at most this much below the champion's
      frontier_share_tolerance: 0.05
      max_slice_regression: 0.05   # accuracy drop allowed in any slice of >= min_slice_size
      max_tier_share: 0.9          # no tier may take more of the held-out traffic (collapse)
      max_macro_f1_drop: 0.03
      max_ece_increase: 0.03

A gate that cannot be checked (no champion, a number not measured) is reported as
*skipped*, never as passed; the tier-collapse gate needs no champion, so a model that
sends everything to one tier fails even on a first review.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["ReviewGates"]


class ReviewGates(BaseModel):
    """Gates of ``tierroute promote``; the defaults are deliberately strict."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    require_approval: bool = Field(
        default=True, description="the version needs review=approved (set by review-decision)"
    )
    max_apgr_drop: float = Field(
        default=0.01, ge=0, le=1, description="champion APGR minus challenger APGR, at most"
    )
    max_accuracy_drop: float | None = Field(
        default=0.02, ge=0, le=1, description="held-out accuracy drop, at most (null = no gate)"
    )
    frontier_share_tolerance: float = Field(
        default=0.05,
        ge=0,
        le=1,
        description="|top-tier share - target| at most (target: target_tier_share, else champion)",
    )
    max_slice_regression: float = Field(
        default=0.05, ge=0, le=1, description="accuracy drop allowed in any slice, at most"
    )
    min_slice_size: int = Field(
        default=30, ge=1, description="slices with fewer held-out rows are reported, not gated"
    )
    max_tier_share: float | None = Field(
        default=0.9,
        gt=0,
        le=1,
        description="share of routed held-out requests any one tier may take, at most "
        "(tier collapse; null = no gate)",
    )
    max_macro_f1_drop: float | None = Field(
        default=0.03, ge=0, le=1, description="held-out macro-F1 drop, at most (null = no gate)"
    )
    max_ece_increase: float | None = Field(
        default=0.03, ge=0, le=1, description="held-out ECE increase, at most (null = no gate)"
    )
    max_cost_increase: float | None = Field(
        default=None,
        ge=0,
        description="relative increase of expected cost per 1k requests, at most (null = no gate)",
    )
    require_current_champion: bool = Field(
        default=True,
        description="the review must have compared with the version the alias points at now",
    )
