"""The routing decision: what the router chose and why."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

__all__ = ["Decision"]


@dataclass(frozen=True)
class Decision:
    """One routing decision. JSON-serialisable with :meth:`to_dict` / :meth:`to_json`.

    ``scores`` maps each tier to the probability that it is the cheapest sufficient
    tier (they sum to 1). ``complexity`` is the expected tier position scaled to
    [0, 1]: 0 = the cheapest tier surely suffices, 1 = the top tier is needed.
    ``cascade`` means serving may escalate to a higher tier when the answer fails its
    checks (and, when the router started one tier lower on purpose, that it did so).
    ``detectors`` names the prompt detectors that fired (``"sql:recall"``: only in the
    high-recall mode a rule asked for) and ``detector_turns`` the message each fired on
    (its index in ``messages``; 0 for a string prompt).
    """

    tier: str
    model: str
    speculative: bool
    cascade: bool
    complexity: float
    scores: dict[str, float]
    reasons: tuple[str, ...]
    rules: tuple[str, ...]
    est_cost_usd: float
    est_latency_ms: float
    policy_version: str
    classifier_version: str
    input_tokens: int = 0
    detectors: tuple[str, ...] = field(default=())
    detector_turns: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready dict (tuples as lists, copies of the dicts). Shallow on purpose:
        serving calls it for every decision it returns and logs, and
        ``dataclasses.asdict``'s recursive deep copies cost more than the routing."""
        data = dict(self.__dict__)
        data["scores"] = dict(self.scores)
        for key in ("reasons", "rules", "detectors"):
            data[key] = list(data[key])
        data["detector_turns"] = dict(self.detector_turns)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), ensure_ascii=False)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Decision:
        fields = dict(data)
        for key in ("reasons", "rules", "detectors"):
            fields[key] = tuple(fields.get(key, ()))
        fields["detector_turns"] = {
            str(k): int(v) for k, v in fields.get("detector_turns", {}).items()
        }
        return cls(**fields)
