"""Drift: does the live share per tier stay inside the calibrated interval?

The calibrated interval (``policy.calibration.interval``) is the bootstrap interval of
the share per tier on the logs the thresholds were fitted on. A live window of ``n``
decisions adds its own sampling noise, so a window drifts when its share leaves

    [low - z * se, high + z * se],  se = sqrt(p * (1 - p) / n),  p = calibrated share

(``z = 3`` by default: about one false alarm in 370 windows per tier when nothing
moved). Windows are cut backwards from the newest decision, so the newest window is
always full; older decisions that do not fill a window are left out.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from policies import Calibration, LabelingError

__all__ = ["DriftWindow", "drift_bounds", "drift_windows"]


@dataclass(frozen=True)
class DriftWindow:
    first: int  # index of the first decision in the window
    last: int  # index of the last one (inclusive)
    first_time: str | None
    last_time: str | None
    share: dict[str, float]
    bounds: dict[str, tuple[float, float]]

    @property
    def n(self) -> int:
        return self.last - self.first + 1

    @property
    def drifted(self) -> tuple[str, ...]:
        """The tiers whose share left its bounds."""
        return tuple(
            tier
            for tier, (low, high) in self.bounds.items()
            if not low <= self.share.get(tier, 0.0) <= high
        )

    def to_dict(self) -> dict[str, object]:
        return {
            "first": self.first,
            "last": self.last,
            "first_time": self.first_time,
            "last_time": self.last_time,
            "n": self.n,
            "share": self.share,
            "bounds": {k: list(v) for k, v in self.bounds.items()},
            "drifted": list(self.drifted),
        }


def drift_bounds(
    calibration: Calibration, tier: str, n: int, z: float = 3.0
) -> tuple[float, float]:
    """The range a window of ``n`` decisions may show for ``tier`` without an alarm."""
    low, high = calibration.interval[tier]
    p = calibration.tier_share.get(tier, (low + high) / 2)
    noise = z * math.sqrt(max(p * (1 - p), 0.0) / max(n, 1))
    return round(max(0.0, low - noise), 4), round(min(1.0, high + noise), 4)


def drift_windows(
    tiers: Sequence[str],
    calibration: Calibration,
    *,
    window: int = 1000,
    z: float = 3.0,
    times: Sequence[str | None] | None = None,
) -> list[DriftWindow]:
    """Windows of ``window`` decisions (oldest first); fewer decisions: one window of all."""
    if window < 1:
        raise LabelingError(f"--window {window}: must be at least 1")
    if not tiers:
        raise LabelingError("drift: the decision logs hold no routed decisions")
    names = list(calibration.interval)
    size = min(window, len(tiers))
    ends = range(len(tiers), size - 1, -size)
    out = []
    for end in sorted(ends):
        chunk = tiers[end - size : end]
        share = {name: chunk.count(name) / size for name in names}
        bounds = {name: drift_bounds(calibration, name, size, z) for name in names}
        stamps = times[end - size : end] if times is not None else [None]
        out.append(DriftWindow(end - size, end - 1, stamps[0], stamps[-1], share, bounds))
    return out
