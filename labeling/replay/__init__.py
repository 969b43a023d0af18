"""Offline replay of logs: re-route with a policy and a scorer, the cost-quality report,
threshold calibration with a bootstrap interval, drift, and writing calibrated policies.

    >>> from labeling.replay import read_replay_logs, route_log
    >>> routed = route_log(read_replay_logs([Path("decisions.jsonl")]), policy, scorer)
"""

from __future__ import annotations

from labeling.replay._calibrate import (
    CalibrationResult,
    Target,
    UnreachableTarget,
    calibrate,
    calibrate_policy,
)
from labeling.replay._drift import DriftWindow, drift_bounds, drift_windows
from labeling.replay._logs import ReplayLog, read_replay_logs
from labeling.replay._policy_write import calibrated_policy_text, write_calibrated_policy
from labeling.replay._replay import RoutedLog, route_log, summarize_assignment
from labeling.replay._report import replay_curve, replay_report, write_curve_png

__all__ = [
    "CalibrationResult",
    "DriftWindow",
    "ReplayLog",
    "RoutedLog",
    "Target",
    "UnreachableTarget",
    "calibrate",
    "calibrate_policy",
    "calibrated_policy_text",
    "drift_bounds",
    "drift_windows",
    "read_replay_logs",
    "replay_curve",
    "replay_report",
    "route_log",
    "summarize_assignment",
    "write_calibrated_policy",
    "write_curve_png",
]
