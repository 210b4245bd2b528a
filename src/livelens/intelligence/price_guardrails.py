"""The guardrails that no price suggestion may break, each returned as a named check.

1. ``floor_price`` — the price is not below the catalog floor price.
2. ``max_discount`` — the discount off the reference price is at most ``max_discount_pct``.
3. ``reference_price`` — the reference (划线) price shown beside a discount is a unit price that an
   order really paid inside the lookback window.
4. ``no_raise_then_discount`` — no 先涨后降: a price cut is not suggested when the live price
   was raised inside the lookback window.

Pure: the price history comes in as values, the checks go out as values.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

DEFAULT_MAX_DISCOUNT_PCT: Final = 30.0
DEFAULT_LOOKBACK: Final = timedelta(days=30)


class PricePoint(msgspec.Struct, frozen=True):
    """A price at a moment: a live price set by ``price.change``, or a unit price an order paid."""

    ts: datetime
    price_minor: int


class PriceHistory(msgspec.Struct, frozen=True, kw_only=True):
    """What the product's price really was: live prices in time order, and paid unit prices."""

    live: tuple[PricePoint, ...] = ()
    paid: tuple[PricePoint, ...] = ()


class GuardrailCheck(msgspec.Struct, frozen=True, kw_only=True):
    name: str
    passed: bool
    detail: str


class Guardrails(msgspec.Struct, frozen=True, kw_only=True):
    floor_price_minor: int
    max_discount_pct: float = DEFAULT_MAX_DISCOUNT_PCT
    lookback: timedelta = DEFAULT_LOOKBACK


def _days(span: timedelta) -> str:
    return f"{span.days} days" if span == timedelta(days=span.days) else str(span)


def _within(points: Sequence[PricePoint], as_of: datetime, lookback: timedelta) -> list[PricePoint]:
    return [p for p in points if as_of - lookback <= p.ts <= as_of]


def real_transaction_prices(
    history: PriceHistory, as_of: datetime, lookback: timedelta
) -> list[int]:
    """The distinct unit prices orders paid inside the lookback window, highest first."""
    return sorted({p.price_minor for p in _within(history.paid, as_of, lookback)}, reverse=True)


def reference_price(
    history: PriceHistory, rails: Guardrails, as_of: datetime, current_minor: int
) -> int | None:
    """The reference (划线) price to show beside a cut: the highest price really paid in the
    lookback window that is not above the current price; None when nothing was paid."""
    real = real_transaction_prices(history, as_of, rails.lookback)
    return next((p for p in real if p <= current_minor), None)


def raises_in_window(
    history: PriceHistory, as_of: datetime, lookback: timedelta
) -> list[tuple[PricePoint, int]]:
    """Each live-price raise inside the window, with the price it was raised from."""
    out: list[tuple[PricePoint, int]] = []
    ordered = sorted((p for p in history.live if p.ts <= as_of), key=lambda p: p.ts)
    for before, after in itertools.pairwise(ordered):
        if after.price_minor > before.price_minor and after.ts >= as_of - lookback:
            out.append((after, before.price_minor))
    return out


def check_suggestion(
    *,
    price_minor: int,
    current_minor: int,
    reference_minor: int | None,
    history: PriceHistory,
    rails: Guardrails,
    as_of: datetime,
) -> list[GuardrailCheck]:
    """The four checks for showing ``price_minor`` (struck through ``reference_minor`` if any)."""
    checks = [
        GuardrailCheck(
            name="floor_price",
            passed=price_minor >= rails.floor_price_minor,
            detail=f"price {price_minor} vs floor {rails.floor_price_minor}",
        )
    ]
    if reference_minor is None:
        cut = 100.0 * (1 - price_minor / current_minor) if current_minor > 0 else 0.0
        checks.append(
            GuardrailCheck(
                name="max_discount",
                passed=cut <= rails.max_discount_pct + 1e-9,
                detail=f"no reference price shown; {cut:.1f}% off the current price "
                f"(max {rails.max_discount_pct:g}%)",
            )
        )
        checks.append(
            GuardrailCheck(
                name="reference_price",
                passed=True,
                detail="no reference (划线) price shown",
            )
        )
    else:
        pct = 100.0 * (1 - price_minor / reference_minor) if reference_minor > 0 else 100.0
        checks.append(
            GuardrailCheck(
                name="max_discount",
                passed=pct <= rails.max_discount_pct + 1e-9,
                detail=(
                    f"{pct:.1f}% off reference {reference_minor} (max {rails.max_discount_pct:g}%)"
                ),
            )
        )
        real = real_transaction_prices(history, as_of, rails.lookback)
        checks.append(
            GuardrailCheck(
                name="reference_price",
                passed=reference_minor in real,
                detail=f"reference {reference_minor}; prices paid in the last "
                f"{_days(rails.lookback)}: {real[:5] or 'none'}",
            )
        )
    raises = raises_in_window(history, as_of, rails.lookback)
    is_cut = price_minor < current_minor
    checks.append(
        GuardrailCheck(
            name="no_raise_then_discount",
            passed=not (is_cut and raises),
            detail=(
                f"{len(raises)} raise(s) in the last {_days(rails.lookback)}"
                + (
                    f" (latest {raises[-1][1]} → {raises[-1][0].price_minor} at "
                    f"{raises[-1][0].ts.isoformat()})"
                    if raises
                    else ""
                )
                + ("; the suggestion is a cut" if is_cut else "; the suggestion is not a cut")
            ),
        )
    )
    return checks


def price_history(events: pa.Table, product_id: str) -> PriceHistory:
    """The product's live prices (``price.change``) and paid unit prices (``order.paid``)."""
    mine = events.filter(pc.equal(events["product_id"], product_id))
    live = mine.filter(pc.equal(mine["type"], "price.change")).sort_by("ts")
    paid = mine.filter(pc.equal(mine["type"], "order.paid"))
    paid = paid.filter(pc.greater(paid["quantity"], 0))
    return PriceHistory(
        live=tuple(
            PricePoint(ts, int(price))
            for ts, price in zip(
                live["ts"].to_pylist(), live["price_minor"].to_pylist(), strict=True
            )
        ),
        paid=tuple(
            PricePoint(ts, int(amount) // int(quantity))
            for ts, amount, quantity in zip(
                paid["ts"].to_pylist(),
                paid["amount_minor"].to_pylist(),
                paid["quantity"].to_pylist(),
                strict=True,
            )
        ),
    )
