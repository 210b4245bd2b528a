"""Purchases from the store: ``order.paid`` events net of ``order.refunded``, per order.

The same :class:`~livelens.crm.transactions.Transactions` table as a file gives, so RFM and CLV
do not care where the orders came from.
"""

from __future__ import annotations

from typing import Final

import duckdb
import pyarrow.compute as pc

from livelens.crm.transactions import TRANSACTIONS_SCHEMA, Transactions
from livelens.errors import InvalidInput

_ZERO_DECIMAL_CURRENCIES: Final = frozenset({"JPY", "KRW", "VND", "CLP", "ISK", "HUF", "TWD"})


def read_store_transactions(
    con: duckdb.DuckDBPyConnection, *, timezone: str = "UTC"
) -> Transactions:
    """Purchases from a store connection: ``order.paid`` net of ``order.refunded`` per order.

    A fully refunded order is not a purchase (counted as ``refunded``); a partial refund lowers the
    amount. Refunds apply whatever their date. Amounts become major units (``amount_minor / 100``;
    zero-decimal currencies such as JPY as they are); orders in more than one currency are refused.
    The purchase day is the calendar day of ``ts`` in ``timezone``.
    """
    currencies = [
        row[0]
        for row in con.execute(
            "SELECT DISTINCT currency FROM events WHERE type = 'order.paid' ORDER BY 1"
        ).fetchall()
    ]
    if len(currencies) > 1:
        msg = (
            f"the store's orders are in {len(currencies)} currencies "
            f"({', '.join(map(str, currencies))}); RFM and CLV need one currency: "
            "convert the orders first or use a file per currency"
        )
        raise InvalidInput(msg)
    scale = 1.0 if currencies and currencies[0] in _ZERO_DECIMAL_CURRENCIES else 100.0
    try:
        con.execute(
            "SELECT timezone(?, TIMESTAMPTZ '2026-01-01 00:00:00+00')", [timezone]
        ).fetchall()
    except duckdb.Error:
        msg = f"unknown time zone {timezone!r}; use an IANA name such as Asia/Shanghai or UTC"
        raise InvalidInput(msg) from None
    rows = con.sql(
        """
        WITH paid AS (
            SELECT order_id, any_value(viewer_id) AS viewer_id, min(ts) AS ts,
                   sum(amount_minor) AS amount_minor
            FROM events WHERE type = 'order.paid' GROUP BY order_id),
        refunds AS (
            SELECT order_id, sum(amount_minor) AS refunded
            FROM events WHERE type = 'order.refunded' GROUP BY order_id)
        SELECT viewer_id AS customer_id, CAST(timezone(?, ts) AS DATE) AS day,
               (amount_minor - coalesce(refunded, 0)) / ? AS amount,
               CASE WHEN viewer_id IS NULL THEN 'missing_customer'
                    WHEN refunded IS NOT NULL AND amount_minor - refunded <= 0 THEN 'refunded'
                    WHEN amount_minor <= 0 THEN 'zero_amount' END AS reason
        FROM paid LEFT JOIN refunds USING (order_id)
        ORDER BY customer_id, day
        """,
        params=[timezone, scale],
    ).to_arrow_table()
    reasons = rows.column("reason").to_pylist()
    excluded: dict[str, int] = {}
    for reason in reasons:
        if reason is not None:
            excluded[reason] = excluded.get(reason, 0) + 1
    kept = rows.filter(pc.is_null(rows.column("reason")))
    table = kept.select(["customer_id", "day", "amount"]).cast(TRANSACTIONS_SCHEMA)
    return Transactions(table, "store", dict(sorted(excluded.items())))
