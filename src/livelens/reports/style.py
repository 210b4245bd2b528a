"""The review's look: one inline stylesheet, shared by the HTML file and the PDF.

Fonts are named, never fetched: Noto Sans CJK where it is installed (the PDF is rendered with it),
then the usual Chinese system fonts of a reader's machine.
"""

from __future__ import annotations

from typing import Final

FONT_STACK: Final = (
    '"Noto Sans CJK SC", "Noto Sans CJK", "Source Han Sans SC", "PingFang SC", '
    '"Microsoft YaHei", sans-serif'
)

SCREEN_CSS: Final = (
    """
:root { --ink: #1f2933; --muted: #6b7785; --line: #d9dee4; --accent: #2f4b7c; --warn: #e15759; }
* { box-sizing: border-box; }
body { font-family: FONTS; color: var(--ink); margin: 0 auto; max-width: 1080px;
       padding: 24px; font-size: 14px; line-height: 1.5; }
h1 { font-size: 26px; margin: 0 0 4px; }
h2 { font-size: 19px; border-bottom: 2px solid var(--accent); padding-bottom: 3px;
     margin: 28px 0 10px; }
.en { color: var(--muted); font-weight: normal; font-size: 0.8em; }
.meta, .note, footer { color: var(--muted); font-size: 12px; }
.cards { display: flex; flex-wrap: wrap; gap: 8px; }
.card { flex: 1 1 170px; border: 1px solid var(--line); border-radius: 6px; padding: 8px 10px; }
.card .label { font-size: 12px; }
.card .value { font-size: 22px; font-weight: bold; color: var(--accent); }
.card.na .value { color: var(--muted); }
.card .note { font-size: 11px; color: var(--muted); }
.chart svg { width: 100%; height: auto; }
.chart.narrow { max-width: 720px; }
table { border-collapse: collapse; width: 100%; margin: 6px 0 12px; font-size: 12.5px; }
th, td { border-bottom: 1px solid var(--line); padding: 4px 6px; text-align: left;
         vertical-align: top; }
thead th { background: #f2f4f7; }
td:not(:first-child) { font-variant-numeric: tabular-nums; }
.funnel .bar { background: var(--accent); height: 12px; min-width: 1px; }
.missing { color: var(--warn); }
p.baseline { color: var(--warn); }
td small { color: var(--muted); }
.hotwords small { color: var(--muted); margin-left: 1px; }
.insight { border-left: 4px solid var(--accent); padding: 4px 12px; margin: 12px 0;
           background: #fafbfc; }
.insight .kind { font-size: 12px; color: var(--muted); }
.insight .confidence { margin-left: 8px; }
.insight p.zh { font-size: 15px; margin: 4px 0 0; }
.insight p.en { color: var(--muted); margin: 0 0 6px; font-size: 12.5px; }
.why { font-size: 11px; color: var(--muted); margin-top: 4px; }
.why ul { margin: 2px 0 0; padding-left: 1.2em; }
table.evidence { font-size: 11px; width: auto; min-width: 50%; }
table.evidence caption { text-align: left; font-size: 11px; color: var(--muted); }
table.evidence th { font-weight: normal; color: var(--muted); white-space: nowrap; }
footer { border-top: 1px solid var(--line); margin-top: 32px; padding-top: 8px; }
footer .ai { font-weight: bold; color: var(--ink); }
"""
).replace("FONTS", FONT_STACK)
