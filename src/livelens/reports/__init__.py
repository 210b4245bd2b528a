"""Reports: the post-live review (复盘) of a stored session, as HTML or PDF.

``build_review`` (pure) turns an analysis into a :class:`Review`; ``load_review`` reads it from a
store, with the decision sections (alerts, pricing, nowcasts, recommendations:
:mod:`livelens.reports.decisions`); ``render_html`` / ``render_pdf`` render it; ``write_report``
does all of it to a file.
"""

from __future__ import annotations

from livelens.reports.collect import ReviewSource, load_review
from livelens.reports.html import render_html
from livelens.reports.model import Review
from livelens.reports.output import report_format, write_report
from livelens.reports.pdf import render_pdf
from livelens.reports.review import build_review

__all__ = [
    "Review",
    "ReviewSource",
    "build_review",
    "load_review",
    "render_html",
    "render_pdf",
    "report_format",
    "write_report",
]
