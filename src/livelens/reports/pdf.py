"""The review as a PDF: the same HTML through weasyprint, on A4, with Noto Sans CJK embedded.

The charts are inline SVG whose text is already glyph outlines, so the only fonts in the PDF are
those of the HTML text, which weasyprint subsets and embeds.
"""

from __future__ import annotations

from typing import Final

import weasyprint

from livelens.reports.html import render_html
from livelens.reports.model import Review

PRINT_CSS: Final = """
@page { size: A4; margin: 16mm 14mm 18mm;
        @bottom-center { content: "livelens 直播复盘 · " counter(page) " / " counter(pages);
                         font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif;
                         font-size: 8pt; color: #6b7785; } }
body { font-family: "Noto Sans CJK SC", "Noto Sans CJK", sans-serif; max-width: none;
       padding: 0; font-size: 9.5pt; }
h1 { font-size: 18pt; }
h2 { font-size: 13pt; break-after: avoid; }
.card { flex: 1 1 30mm; }
.card .value { font-size: 14pt; }
tr, .card, .chart, .insight p { break-inside: avoid; }
.insight .kind, .insight p, section > p.note { break-after: avoid; }
table { font-size: 8.5pt; }
table.evidence { font-size: 7pt; }
table.evidence th, table.evidence td { padding: 1px 6px; }
"""


def render_pdf(review: Review) -> bytes:
    """The review as PDF bytes (A4)."""
    document = weasyprint.HTML(string=render_html(review, extra_css=PRINT_CSS))
    pdf: bytes = document.write_pdf()
    return pdf
