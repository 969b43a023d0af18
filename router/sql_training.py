"""What training the SQL detector's grey-zone scorer needs (``bench/train_sql_scorer.py``).

The rules' evidence for a text exactly as routing computes it, the scorer's features, and
how routing combines the rules' verdict with the model's probability. Routing itself never
imports this module; the scorer's weights ship as ``router/sql_scorer.json``.
"""

from __future__ import annotations

from router._sql import _evidence as sql_evidence
from router._sql_model import WEIGHTS_FILE, Evidence, combine, features, rule_verdicts

__all__ = ["WEIGHTS_FILE", "Evidence", "combine", "features", "rule_verdicts", "sql_evidence"]
