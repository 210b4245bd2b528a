"""One row per customer as of a date: the aggregate that RFM and the CLV models share.

Purchases are counted per calendar day: several purchases by one customer on one day are one
transaction whose amount is their sum (the convention of Fader, Hardie & Lee 2005). Purchases
after ``as_of`` are ignored (and counted), so the same transactions give the view of any date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Final

import duckdb
import numpy as np
import numpy.typing as npt
import pyarrow as pa

from livelens.errors import InvalidInput

EPOCH: Final = date(1970, 1, 1)

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass(frozen=True, slots=True, eq=False)
class CustomerSummary:
    """Per customer (sorted by id): first and last purchase day (days since 1970-01-01),
    purchase days, total spend and the spend of the first purchase day."""

    as_of: date
    customer_id: pa.Array
    first_day: IntArray
    last_day: IntArray
    purchase_days: IntArray
    total_amount: FloatArray
    first_amount: FloatArray
    after_as_of: int

    def __len__(self) -> int:
        return len(self.customer_id)

    @property
    def as_of_day(self) -> int:
        return (self.as_of - EPOCH).days

    @property
    def repeat_purchases(self) -> IntArray:
        """Purchase days after the first: BG/NBD's frequency ``x``."""
        return self.purchase_days - 1

    @property
    def repeat_spend_mean(self) -> FloatArray:
        """Mean spend per repeat purchase day (0 where there is none): Gamma-Gamma's ``m_x``."""
        repeat = self.repeat_purchases
        spend = self.total_amount - self.first_amount
        return np.divide(spend, repeat, out=np.zeros_like(spend), where=repeat > 0)


def summarise(transactions: pa.Table, as_of: date) -> CustomerSummary:
    """Aggregate ``customer_id, day, amount`` rows into one row per customer as of ``as_of``."""
    missing = {"customer_id", "day", "amount"} - set(transactions.column_names)
    if missing:
        msg = f"transactions lack the columns {sorted(missing)}; expected customer_id, day, amount"
        raise InvalidInput(msg)
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    con.register("transactions", transactions)
    after = con.execute("SELECT count(*) FROM transactions WHERE day > ?", [as_of]).fetchall()
    result = con.sql(
        """
        WITH daily AS (
            SELECT customer_id, CAST(day - DATE '1970-01-01' AS BIGINT) AS day,
                   sum(amount) AS amount
            FROM transactions WHERE day <= ? GROUP BY customer_id, day)
        SELECT customer_id, min(day) AS first_day, max(day) AS last_day,
               count(*) AS purchase_days, sum(amount) AS total_amount,
               arg_min(amount, day) AS first_amount
        FROM daily GROUP BY customer_id ORDER BY customer_id
        """,
        params=[as_of],
    ).to_arrow_table()
    con.close()

    def ints(name: str) -> IntArray:
        return np.asarray(result.column(name).to_numpy(), dtype=np.int64)

    def floats(name: str) -> FloatArray:
        return np.asarray(result.column(name).to_numpy(), dtype=np.float64)

    return CustomerSummary(
        as_of=as_of,
        customer_id=result.column("customer_id").combine_chunks(),
        first_day=ints("first_day"),
        last_day=ints("last_day"),
        purchase_days=ints("purchase_days"),
        total_amount=floats("total_amount"),
        first_amount=floats("first_amount"),
        after_as_of=int(after[0][0]),
    )
