"""Writing a review to a file: the format is the file's suffix (``.html`` or ``.pdf``)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Final

from livelens.errors import InvalidInput
from livelens.governance.labels import build_record, write_record
from livelens.reports.collect import ReviewSource, load_review
from livelens.reports.html import render_html
from livelens.reports.model import Review
from livelens.reports.pdf import render_pdf


def _html_bytes(review: Review) -> bytes:
    return render_html(review).encode("utf-8")


RENDERERS: Final[dict[str, Callable[[Review], bytes]]] = {
    ".html": _html_bytes,
    ".pdf": render_pdf,
}


def report_format(out: Path) -> str:
    """The format ``out`` asks for; :class:`~livelens.errors.InvalidInput` for another suffix."""
    suffix = out.suffix.lower()
    if suffix not in RENDERERS:
        msg = (
            f"cannot write a report to {out}: the suffix {out.suffix or '(none)'!r} is not a "
            f"report format; use one of {', '.join(RENDERERS)}"
        )
        raise InvalidInput(msg)
    return suffix


def write_report(
    store: ReviewSource, session_id: str, out: Path, *, generated_at: datetime
) -> Path:
    """Write the post-live review of ``session_id`` to ``out`` (HTML or PDF by suffix).

    The file carries the implicit AI label (the ``AIGC`` metadata record of GB 45438-2025: a
    ``<meta>`` in HTML, a document-information key in PDF; see
    :mod:`livelens.governance.labels`). It is written next to ``out`` first and moved into
    place, so a reader never sees half a report. Returns ``out``.
    """
    render = RENDERERS[report_format(out)]
    review = load_review(store, session_id, generated_at=generated_at)
    data = render(review)
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_name(f".{out.stem}.partial{out.suffix}")
    partial.write_bytes(data)
    record = build_record(
        producer="livelens",
        produce_id=f"livelens-review-{session_id}-{generated_at:%Y%m%dT%H%M%S%z}",
    )
    write_record(partial, partial, record)
    partial.replace(out)
    return out
