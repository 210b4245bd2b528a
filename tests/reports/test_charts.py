"""Charts: Chinese labels with every glyph present, self-contained SVG, bounded size."""

from __future__ import annotations

import math
import re
import time
import warnings

import msgspec

from livelens.reports import Review
from livelens.reports.charts import ALERT_COLOUR, concerns_svg, timeline_svg
from livelens.reports.model import Curves, Span


def _four_hour_curves() -> Curves:
    minutes = 240
    return Curves(
        minutes=minutes,
        online=[2000 + 800 * math.sin(m / 30) for m in range(minutes)],
        online_basis="viewers",
        comments=[300 + m % 50 for m in range(minutes)],
        gmv_minor=[100_000 * (1 + m % 7) for m in range(minutes)],
        orders=[10 + m % 9 for m in range(minutes)],
        personas=[
            Span(
                start_minute=s,
                end_minute=s + 8,
                key=f"p-{s % 3}",
                label=("小雪", "阿强", "玲玲")[s % 3],
            )
            for s in range(0, minutes, 8)
        ],
        promos=[
            Span(start_minute=s + 2.5, end_minute=s + 7.5, key=f"promo-{s}", label="8折")
            for s in range(0, minutes, 40)
        ],
    )


def test_every_glyph_of_the_labels_is_in_the_font(review: Review) -> None:
    """matplotlib warns "Glyph ... missing from font(s)" when it would draw a box: make it fail."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        svgs = [timeline_svg(review.curves, review.currency), concerns_svg(review.concerns)]
    assert all(svg.startswith("<svg ") for svg in svgs)


def test_svg_is_self_contained_and_ids_are_per_chart(review: Review) -> None:
    timeline = timeline_svg(review.curves, review.currency)
    concerns = concerns_svg(review.concerns)
    for svg in (timeline, concerns):
        assert "http" not in svg
        assert "<text" not in svg  # text is glyph outlines: no font needed to show it
    ids = re.findall(r'\bid="([^"]+)"', timeline + concerns)
    assert len(ids) == len(set(ids))
    refs = re.findall(r'(?:href="|url\()#([^")]+)', timeline)
    assert refs
    assert set(refs) <= set(ids)


def test_a_four_hour_session_stays_small_and_fast() -> None:
    started = time.perf_counter()
    svg = timeline_svg(_four_hour_curves(), "CNY")
    elapsed = time.perf_counter() - started
    assert len(svg) < 600_000, f"{len(svg):,} bytes"
    assert elapsed < 10, f"{elapsed:.1f} s"


def test_alerts_are_bars_on_the_panel_of_their_metric() -> None:
    curves = _four_hour_curves()
    alerts = [
        Span(start_minute=30, end_minute=40, key="online", label="online above"),
        Span(start_minute=100, end_minute=130, key="conversion", label="conversion below"),
        Span(start_minute=150, end_minute=155, key="gmv", label="gmv below"),
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the legend's Chinese has every glyph
        marked = timeline_svg(msgspec.structs.replace(curves, alerts=alerts), "CNY")
    assert ALERT_COLOUR not in timeline_svg(curves, "CNY")
    assert marked.count(f"fill: {ALERT_COLOUR}") == len(alerts)
    no_shop = msgspec.structs.replace(curves, gmv_minor=None, orders=None, alerts=alerts)
    assert timeline_svg(no_shop, "CNY").count(f"fill: {ALERT_COLOUR}") == 1  # online only
