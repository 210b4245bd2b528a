"""How insights say numbers: the house style of every sentence a detector writes.

Chinese first (the 场控 and the analyst read Chinese), English second. Counts carry thousands
separators; money is rendered from integer minor units (fen for CNY) with the currency's symbol;
minute ranges are minutes from the session start, end exclusive, as the series index them.
"""

from __future__ import annotations

from typing import Final

# Currencies whose minor unit is not 1/100 of the major unit.
_MINOR_DIGITS: Final = {"JPY": 0, "KRW": 0, "VND": 0, "IDR": 0, "KWD": 3, "BHD": 3}
_SYMBOLS: Final = {"CNY": "¥", "RMB": "¥", "USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥"}


def count(value: float) -> str:
    """A count with thousands separators: ``1234`` → ``1,234``; a non-integer keeps one decimal."""
    if float(value).is_integer():
        return f"{int(value):,}"
    return f"{value:,.1f}"


def decimal(value: float, digits: int = 1) -> str:
    """A measurement with thousands separators and fixed decimals: ``8.234`` → ``8.2``."""
    return f"{value:,.{digits}f}"


def money(amount_minor: float, currency: str | None) -> str:
    """Money from minor units: ``567800, "CNY"`` → ``¥5,678.00``; no currency → ``5,678.00``."""
    code = (currency or "").upper()
    digits = _MINOR_DIGITS.get(code, 2)
    major = amount_minor / 10**digits
    amount = f"{major:,.{digits}f}"
    if not code:
        return amount
    symbol = _SYMBOLS.get(code)
    return f"{symbol}{amount}" if symbol else f"{amount} {code}"


def percent(fraction: float, digits: int = 1) -> str:
    """A fraction as a percentage: ``0.1234`` → ``12.3%``."""
    return f"{fraction * 100:,.{digits}f}%"


def times(ratio: float) -> str:
    """A multiple, as in ``2.1倍`` / ``2.1×``: one decimal, two below 1.0 so 0.04 is not 0.0."""
    return f"{ratio:,.1f}" if ratio >= 1.0 else f"{ratio:.2f}"


def named_zh(identifier: str) -> str:
    """An id (persona, product, promo) quoted the Chinese way: ``「p-xiaoxue」``."""
    return f"「{identifier}」"


def named_en(identifier: str) -> str:
    """An id quoted the English way: ``"p-xiaoxue"``."""
    return f'"{identifier}"'


def minute_span_zh(start: int, end: int, minutes: int) -> str:
    """``0, 15`` → ``开场15分钟``; ``45, 60`` of 60 → ``最后15分钟``; else ``第20–35分钟``."""
    width = end - start
    if start == 0 and end < minutes:
        return f"开场{width}分钟"
    if end == minutes and start > 0:
        return f"最后{width}分钟"
    return minute_range_zh(start, end)


def minute_range_zh(start: int, end: int) -> str:
    """``42, 43`` → ``第42分钟``; ``20, 35`` → ``第20–35分钟`` (end exclusive, as indexed)."""
    return f"第{start}分钟" if end - start == 1 else f"第{start}–{end}分钟"


def minute_span_en(start: int, end: int, minutes: int) -> str:
    """English twin of :func:`minute_span_zh`."""
    width = end - start
    if start == 0 and end < minutes:
        return f"The first {width} minutes"
    if end == minutes and start > 0:
        return f"The last {width} minutes"
    return minute_range_en(start, end)


def minute_range_en(start: int, end: int) -> str:
    """English twin of :func:`minute_range_zh`."""
    return f"Minute {start}" if end - start == 1 else f"Minutes {start}–{end}"


def duration_minutes(length: float) -> str:
    """A duration in minutes without a needless ``.0``: ``5.0`` → ``5``, ``2.5`` → ``2.5``."""
    rounded = round(float(length), 1)
    return str(int(rounded)) if rounded.is_integer() else f"{rounded:.1f}"


def discount_zh(discount_pct: float) -> str:
    """A percentage discount as Chinese 折: 20% off → ``8折``, 15% off → ``8.5折``."""
    zhe = (100.0 - discount_pct) / 10.0
    return f"{zhe:.1f}".rstrip("0").rstrip(".") + "折"


def discount_en(discount_pct: float) -> str:
    """A percentage discount in English: ``20% off``."""
    return f"{duration_minutes(discount_pct)}% off"
