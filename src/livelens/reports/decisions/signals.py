"""外部信号与销售 External signals and sales: the lead-lag scan's findings that concern the
reviewed session's products and their categories.

The scan (:func:`livelens.intelligence.leadlag_store.scan_store`, what ``livelens signals scan``
runs) covers every stored trend board entry and competitor promotion against the shop's whole
hourly history, with the false discoveries of all its tests controlled together; the section
keeps the findings about a product of the session or a category one of them is in. A store
without external signals is not scanned (the report stays fast); the section then says so.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Final

import msgspec

from livelens.comments.analyze import CommentAnalyzer
from livelens.information.insight import Insight
from livelens.intelligence.leadlag_scan import LeadLagScan
from livelens.intelligence.leadlag_store import has_signals, scan_store
from livelens.intelligence.series import analyzer_classifier
from livelens.reports.evidence import EvidenceRow, evidence_rows
from livelens.store.duckdb import DuckDBStore

NO_SIGNALS: Final = "no external signals stored (Weibo hot search, competitor promotions)"
NO_OVERLAP: Final = "the stored external signals do not overlap the shop's sales history in time"


class SignalFinding(msgspec.Struct, frozen=True, kw_only=True):
    kind: str  # trend_lead or competitor_lead
    subject: str
    text_zh: str
    text_en: str
    confidence: float | None  # 1 − q
    q_value: float
    evidence: list[EvidenceRow]


class SignalsSection(msgspec.Struct, frozen=True, kw_only=True):
    start: datetime | None = None  # the scanned hours
    end: datetime | None = None
    pairs: int = 0  # (signal → product or category) pairs
    tests: int = 0  # tests run, the false-discovery family
    alpha: float = 0.0
    findings_total: int = 0  # findings of the scan, about any product
    findings: list[SignalFinding] = []  # those about this session's products and categories
    unavailable: str | None = None  # why nothing was scanned


def session_findings(
    scan: LeadLagScan, product_ids: Sequence[str], categories: Sequence[str]
) -> list[Insight]:
    """The scan's findings about one of ``product_ids`` or ``categories``."""
    wanted = {f"product {p}" for p in product_ids} | {f"category {c}" for c in categories}
    return [f for f in scan.findings if f.subject in wanted]


def read_signals(
    store: DuckDBStore, product_ids: Sequence[str], currency: str | None
) -> SignalsSection:
    """The section for a session whose products are ``product_ids``."""
    if not has_signals(store):
        return SignalsSection(unavailable=NO_SIGNALS)
    classify = analyzer_classifier(CommentAnalyzer(store.display_names().values()))
    scan = scan_store(store, classify=classify)
    if scan is None:
        return SignalsSection(unavailable=NO_OVERLAP)
    catalog = {p.product_id: p for p in store.reference().products}
    categories = sorted({catalog[p].category for p in product_ids if p in catalog})
    names = {p: catalog[p].title for p in product_ids if p in catalog}
    return SignalsSection(
        start=scan.start,
        end=scan.end,
        pairs=scan.pairs,
        tests=scan.tests,
        alpha=scan.alpha,
        findings_total=len(scan.findings),
        findings=[
            SignalFinding(
                kind=f.kind,
                subject=f.subject,
                text_zh=f.text_zh,
                text_en=f.text_en,
                confidence=f.confidence,
                q_value=float(f.evidence["q_value"]),
                evidence=evidence_rows(f.evidence, currency, names),
            )
            for f in session_findings(scan, product_ids, categories)
        ],
    )
