"""外部信号与销售 External signals and sales: the lead-lag findings about this session's
products and categories, each with its confidence and evidence, or why there are none."""

from __future__ import annotations

from livelens.information.detectors import phrasing as say
from livelens.reports.decisions.signals import SignalsSection
from livelens.reports.markup import esc, missing, note, when


def signals(section: SignalsSection) -> str:
    if section.unavailable is not None:
        return missing(section.unavailable)
    span_zh = span_en = ""
    if section.start is not None and section.end is not None:
        span_zh = f"{when(section.start)} 至 {when(section.end)} 每小时，"
        span_en = f"hourly from {when(section.start)} to {when(section.end)}, "
    parts = [
        note(
            f"{span_zh}对 {section.pairs} 组「外部信号 → 商品/类目」做了 {section.tests} "
            "项领先-滞后检验（预白化互相关 + Granger），用 Benjamini-Hochberg 控制错误发现率 ≤ "
            f"{section.alpha:g}；共 {section.findings_total} 项发现，"
            "下列为涉及本场商品及其类目的。",
            f"{span_en}{section.tests} lead-lag tests (prewhitened cross-correlation + Granger) "
            f"over {section.pairs} (external signal → product or category) pairs, false "
            f"discovery rate held at {section.alpha:g} by Benjamini-Hochberg; "
            f"{section.findings_total} findings in all, those about this session's products and "
            "their categories below.",
        )
    ]
    if not section.findings:
        parts.append(
            note(
                f"共检验 {section.tests} 项，没有涉及本场商品或类目的显著发现。",
                f"{section.tests} tests, none significant for this session's products or "
                "categories.",
                "missing",
            )
        )
        return "".join(parts)
    for f in section.findings:
        confidence = (
            f'<span class="confidence">置信度 confidence {say.percent(f.confidence)}</span>'
            if f.confidence is not None
            else ""
        )
        evidence = "".join(
            f"<tr><th>{esc(r.key)}</th><td>{esc(r.value)}</td></tr>" for r in f.evidence
        )
        parts.append(
            f'<article class="insight" data-kind="{esc(f.kind)}">'
            f'<div class="kind">{esc(f.kind)} · {esc(f.subject)} {confidence}</div>'
            f'<p class="zh">{esc(f.text_zh)}</p><p class="en">{esc(f.text_en)}</p>'
            f'<table class="evidence"><caption>证据 evidence</caption><tbody>{evidence}'
            "</tbody></table></article>"
        )
    return "".join(parts)
