"""An insight's evidence as rows a reader can check: nested keys flattened, numbers in house style.

Evidence dicts are nested (a promo's ``before.orders``, a persona ranking's per-persona confidence
intervals). The report shows them as a two-column table: the dotted key and the value. Money keys
(``*_minor``) show the raw minor units and the amount; ids that have a display name show both;
an estimate with its interval (``value``, ``low``, ``high``) is one row, ``value [low – high]``.
The table is bounded, so a detector with a large evidence dict cannot blow up the report.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterator, Mapping
from typing import Any, Final

import msgspec

from livelens.information.detectors import phrasing as say

MAX_ROWS: Final = 60
MAX_VALUE_CHARS: Final = 200
_INTERVAL_ORDER: Final = ("value", "low", "high")
_INTERVAL: Final = frozenset(_INTERVAL_ORDER)


class EvidenceRow(msgspec.Struct, frozen=True, kw_only=True):
    key: str
    value: str


def _scalar(key: str, value: Any, currency: str | None, names: Mapping[str, str]) -> str:
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "是 yes" if value else "否 no"
    if isinstance(value, int):
        if key.endswith("_minor"):
            return f"{value:,} ({say.money(value, currency)})"
        return f"{value:,}"
    if isinstance(value, float):
        if not math.isfinite(value):
            return str(value)
        if key.endswith("_minor"):
            return f"{value:,.1f} ({say.money(value, currency)})"
        if abs(value) >= 100:
            return f"{value:,.1f}"
        return f"{value:.4g}" if abs(value) >= 1e-3 or value == 0 else f"{value:.3g}"
    if isinstance(value, str):
        name = names.get(value)
        return f"{value}（{name}）" if name and name != value else value
    return json.dumps(value, ensure_ascii=False, default=str)


def _rows(
    prefix: str, value: Any, currency: str | None, names: Mapping[str, str]
) -> Iterator[EvidenceRow]:
    if isinstance(value, Mapping) and value.keys() == _INTERVAL:  # an estimate with its CI
        value_, low, high = (_scalar(prefix, value[k], currency, names) for k in _INTERVAL_ORDER)
        yield EvidenceRow(key=prefix, value=f"{value_} [{low} – {high}]")
    elif isinstance(value, Mapping):
        if not value:
            yield EvidenceRow(key=prefix, value="—")
        for key, inner in value.items():
            yield from _rows(f"{prefix}.{key}" if prefix else str(key), inner, currency, names)
    elif isinstance(value, list | tuple):
        if all(not isinstance(item, Mapping | list | tuple) for item in value):
            shown = ", ".join(_scalar(prefix, item, currency, names) for item in value)
            yield EvidenceRow(key=prefix, value=shown or "—")
        else:
            for index, item in enumerate(value):
                yield from _rows(f"{prefix}[{index}]", item, currency, names)
    else:
        yield EvidenceRow(key=prefix, value=_scalar(prefix, value, currency, names))


def evidence_rows(
    evidence: Mapping[str, Any], currency: str | None, names: Mapping[str, str]
) -> list[EvidenceRow]:
    """``evidence`` flattened to at most :data:`MAX_ROWS` rows (a last row says how many more)."""
    rows = []
    for row in _rows("", evidence, currency, names):
        if len(row.value) > MAX_VALUE_CHARS:
            row = EvidenceRow(key=row.key, value=row.value[: MAX_VALUE_CHARS - 1] + "…")
        rows.append(row)
    if len(rows) > MAX_ROWS:
        hidden = len(rows) - (MAX_ROWS - 1)
        rows = [
            *rows[: MAX_ROWS - 1],
            EvidenceRow(key="…", value=f"另有 {hidden} 项 ({hidden} more)"),
        ]
    return rows
