"""Every insight the detectors found, with its sentences, confidence and evidence table."""

from __future__ import annotations

from livelens.information.detectors import phrasing as say
from livelens.reports.markup import esc
from livelens.reports.model import Review


def insights(review: Review) -> str:
    if not review.insights:
        return '<p class="missing">本场没有检测到洞察 no insights were detected</p>'
    parts = []
    for i in review.insights:
        confidence = (
            f'<span class="confidence">置信度 confidence {say.percent(i.confidence)}</span>'
            if i.confidence is not None
            else ""
        )
        evidence = "".join(
            f"<tr><th>{esc(r.key)}</th><td>{esc(r.value)}</td></tr>" for r in i.evidence
        )
        parts.append(
            f'<article class="insight" data-kind="{esc(i.kind)}">'
            f'<div class="kind">{esc(i.kind)} · {esc(i.subject)} {confidence}</div>'
            f'<p class="zh">{esc(i.text_zh)}</p><p class="en">{esc(i.text_en)}</p>'
            f'<table class="evidence"><caption>证据 evidence</caption><tbody>{evidence}'
            "</tbody></table></article>"
        )
    return "".join(parts)
