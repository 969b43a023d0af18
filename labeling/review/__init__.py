"""Model review: a registered challenger version against the champion, on held-out labels
and RouterBench, with slices, disagreements, plots and an HTML/Markdown report.

    >>> from labeling.review import review_versions
"""

from __future__ import annotations

from labeling.review._report import ReviewReport
from labeling.review._review import review_versions

__all__ = ["ReviewReport", "review_versions"]
