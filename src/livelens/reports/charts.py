"""The review's charts as self-contained SVG strings (matplotlib, Chinese labels).

Text is drawn as glyph outlines (matplotlib's default ``svg.fonttype = "path"``), so a chart needs
no font wherever it is shown and renders the same in a browser and in the PDF. Figures are built
with the object API (no pyplot state) inside an ``rc_context``, so charts can be drawn from any
thread without touching global settings. Each series is one path, so the size grows with the
session's minutes only linearly (a 4-hour session is a few hundred kB).
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any, Final

import matplotlib
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.typing import RcKeyType

from livelens.information.detectors import phrasing as say
from livelens.reports.model import ConcernRow, Curves, Span

matplotlib.use("Agg")

STYLE: Final[dict[RcKeyType, Any]] = {
    "font.family": "sans-serif",
    "font.sans-serif": ["Noto Sans CJK SC", "Noto Sans CJK JP", "DejaVu Sans"],
    "axes.unicode_minus": False,
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "svg.hashsalt": "livelens",  # stable ids: the same review gives the same SVG
}
PERSONA_COLOURS: Final = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948")
PROMO_COLOUR: Final = "#e15759"
ALERT_COLOUR: Final = "#ff7f0e"
LINE_COLOUR: Final = "#2f4b7c"
_NO_METADATA: Final[dict[str, Any]] = {"Date": None, "Creator": None, "Format": None, "Type": None}
_PROLOGUE: Final = re.compile(r"^.*?(?=<svg)", re.DOTALL)
_METADATA: Final = re.compile(r"\s*<metadata>.*?</metadata>", re.DOTALL)
_NAMESPACES: Final = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_ID: Final = re.compile(r'\bid="([^"]+)"')
_REFERENCE: Final = re.compile(r"(url\(|href=\")#")


def _svg(figure: Figure, name: str) -> str:
    """The figure as an ``<svg>`` element to inline in HTML.

    The XML prologue and the metadata block go, and so do the namespace declarations: an HTML
    parser puts ``<svg>`` in the SVG namespace itself, and the report then holds no URL at all.
    Every id is prefixed with ``name``, so several charts on one page never share an id.
    """
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata=_NO_METADATA, bbox_inches="tight")
    svg = _PROLOGUE.sub("", buffer.getvalue(), count=1)
    svg = _METADATA.sub("", svg, count=1)
    svg = _NAMESPACES.sub("", svg)
    svg = _ID.sub(rf'id="{name}-\1"', svg)
    return _REFERENCE.sub(rf"\1#{name}-", svg)


def _shade(axes: Axes, curves: Curves) -> None:
    for promo in curves.promos:
        axes.axvspan(promo.start_minute, promo.end_minute, color=PROMO_COLOUR, alpha=0.14, lw=0)
    for persona in curves.personas[1:]:
        axes.axvline(persona.start_minute, color="#999999", lw=0.6, ls="--")


def _persona_strip(axes: Axes, personas: Sequence[Span], minutes: int) -> None:
    colours: dict[str, str] = {}
    for span in personas:
        colour = colours.setdefault(span.key, PERSONA_COLOURS[len(colours) % len(PERSONA_COLOURS)])
        width = span.end_minute - span.start_minute
        axes.barh(0.5, width, left=span.start_minute, height=0.9, color=colour, alpha=0.85)
        if width >= minutes * 0.035:
            axes.text(
                span.start_minute + width / 2,
                0.5,
                span.label,
                ha="center",
                va="center",
                color="white",
                fontsize=8,
                clip_on=True,
            )
    axes.set_ylim(0, 1)
    axes.set_yticks([])
    axes.set_ylabel("主播\npersona", rotation=0, ha="right", va="center")
    for side in ("left", "bottom"):
        axes.spines[side].set_visible(False)


def _alert_bars(axes: Axes, alerts: Sequence[Span]) -> None:
    """Each alert episode of the panel's metric as a bar along the top of the panel."""
    for alert in alerts:
        axes.axvspan(
            alert.start_minute, alert.end_minute, ymin=0.9, ymax=1.0, color=ALERT_COLOUR, lw=0
        )


def _promo_labels(axes: Axes, promos: Sequence[Span]) -> None:
    for promo in promos:
        axes.annotate(
            promo.label,
            xy=((promo.start_minute + promo.end_minute) / 2, 1.0),
            xycoords=("data", "axes fraction"),
            ha="center",
            va="bottom",
            color=PROMO_COLOUR,
            fontsize=7,
        )


def _minor_digits(currency: str | None) -> int:
    """Decimal places of ``currency``'s minor unit, as the house money format writes them."""
    found = re.search(r"\.(\d+)", say.money(0, currency))
    return len(found.group(1)) if found else 0


def timeline_svg(curves: Curves, currency: str | None) -> str:
    """Per-minute online viewers, comments, GMV and orders, with persona turns and promo spans;
    anomaly alerts as bars along the top of their panel (conversion alerts on the orders)."""
    panels: list[tuple[str, Sequence[float | None], tuple[str, ...]]] = [
        (
            "在线人数\nonline" + (" (平台)" if curves.online_basis == "platform" else ""),
            curves.online,
            ("online",),
        ),
        ("评论/分\ncomments/min", curves.comments, ()),
    ]
    if curves.gmv_minor is not None and curves.orders is not None:
        scale = 10 ** _minor_digits(currency)
        unit = f" ({currency})" if currency else ""
        panels.append(
            (f"成交额/分\nGMV/min{unit}", [v / scale for v in curves.gmv_minor], ("gmv",))
        )
        panels.append(("订单/分\norders/min", curves.orders, ("conversion",)))
    strip = bool(curves.personas)
    with matplotlib.rc_context(STYLE):
        ratios = ([0.35] if strip else []) + [1.0] * len(panels)
        figure = Figure(figsize=(9.0, 0.5 + 1.45 * len(panels) + (0.4 if strip else 0)))
        grid = figure.add_gridspec(len(ratios), 1, height_ratios=ratios, hspace=0.35)
        axes_list = [figure.add_subplot(grid[i, 0]) for i in range(len(ratios))]
        for axes in axes_list[1:]:
            axes.sharex(axes_list[0])
        if strip:
            _persona_strip(axes_list[0], curves.personas, curves.minutes)
            axes_list[0].tick_params(labelbottom=False, bottom=False)
        chart_axes = axes_list[1:] if strip else axes_list
        edges = list(range(curves.minutes + 1))
        for index, (axes, (label, values, metrics)) in enumerate(
            zip(chart_axes, panels, strict=True)
        ):
            _shade(axes, curves)
            _alert_bars(axes, [a for a in curves.alerts if a.key in metrics])
            numbers = [float("nan") if v is None else float(v) for v in values]
            if index == 0:
                axes.plot([m + 0.5 for m in range(curves.minutes)], numbers, color=LINE_COLOUR)
            else:
                axes.stairs(numbers, edges, fill=True, color=LINE_COLOUR, alpha=0.75)
            axes.set_ylabel(label, rotation=0, ha="right", va="center")
            axes.set_ylim(bottom=0)
            axes.grid(axis="y", color="#dddddd", lw=0.5)
            if axes is not chart_axes[-1]:
                axes.tick_params(labelbottom=False)
        _promo_labels(chart_axes[0], curves.promos)
        chart_axes[-1].set_xlim(0, max(curves.minutes, 1))
        shaded = "  (阴影 = 限时优惠 shaded = promo)" if curves.promos else ""
        if curves.alerts:
            shaded += (
                "\n顶部橙条 = 异常告警（订单栏上为转化率告警） "
                "orange bar on top = anomaly alert (on the orders: conversion)"
            )
        chart_axes[-1].set_xlabel(f"开播后分钟 minutes from start{shaded}")
        return _svg(figure, "timeline")


def concerns_svg(rows: Sequence[ConcernRow]) -> str:
    """Each comment label's share of comments and of questions, as paired horizontal bars."""
    shown = [r for r in rows if r.comments or r.questions]
    with matplotlib.rc_context(STYLE):
        figure = Figure(figsize=(7.0, 0.6 + 0.28 * max(len(shown), 1)))
        axes = figure.add_subplot()
        positions = range(len(shown))
        comments = [(r.share_of_comments or 0.0) * 100 for r in shown]
        questions = [(r.share_of_questions or 0.0) * 100 for r in shown]
        axes.barh(
            [p + 0.2 for p in positions],
            comments,
            height=0.38,
            color=LINE_COLOUR,
            label="占评论 share of comments",
        )
        axes.barh(
            [p - 0.2 for p in positions],
            questions,
            height=0.38,
            color="#f28e2b",
            label="占提问 share of questions",
        )
        axes.set_yticks(list(positions), [f"{r.name_zh} {r.name_en}" for r in shown])
        axes.invert_yaxis()
        axes.set_xlabel("%")
        axes.legend(loc="lower right", frameon=False)
        axes.grid(axis="x", color="#dddddd", lw=0.5)
        return _svg(figure, "concerns")
