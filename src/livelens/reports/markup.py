"""The review's HTML building blocks: escaping, bilingual labels, tables, sections, gaps.

Every section renderer (:mod:`livelens.reports.sections`) builds its markup from these, so the
report looks the same throughout: Chinese first, English beside it in a muted span; a value the
data cannot support is ``—``; a section without data says so in one sentence.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from html import escape
from typing import Final

from livelens.information.detectors import phrasing as say

NOT_AVAILABLE: Final = "—"


def esc(value: object) -> str:
    """``value`` as HTML text: ``<``, ``>``, ``&`` and quotes escaped."""
    return escape(str(value), quote=True)


def both(zh: str, en: str) -> str:
    """A bilingual label: the Chinese, then the English in a muted span."""
    return f'{esc(zh)} <span class="en">{esc(en)}</span>'


def ratio(value: float | None) -> str:
    return NOT_AVAILABLE if value is None else say.percent(value)


def money(value: float | None, currency: str | None) -> str:
    return NOT_AVAILABLE if value is None else say.money(value, currency)


def duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes}分{rest:02d}秒" if minutes else f"{rest}秒"


def minutes_span(start: float, end: float) -> str:
    """A stretch of the session in minutes from its start, end exclusive: ``7–14``."""
    return f"{say.duration_minutes(start)}–{say.duration_minutes(end)}"


def when(moment: datetime) -> str:
    return moment.isoformat(sep=" ", timespec="seconds")


def table(head: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], cls: str = "") -> str:
    """A table; cells are already escaped HTML."""
    header = "".join(f"<th>{both(zh, en)}</th>" for zh, en in head)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{header}</tr></thead><tbody>{body}</tbody></table>'


def section(zh: str, en: str, body: str, anchor: str) -> str:
    return f'<section id="{anchor}"><h2>{both(zh, en)}</h2>{body}</section>'


def missing(reason: str | None) -> str:
    """The section's one sentence when its data is not there."""
    return f'<p class="missing">不可用 not available — {esc(reason or "no data")}</p>'


def note(zh: str, en: str, cls: str = "note") -> str:
    """A bilingual sentence under a heading or a table."""
    return f'<p class="{cls}">{esc(zh)} <span class="en">{esc(en)}</span></p>'
