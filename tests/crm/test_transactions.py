"""Loading purchases: files whose columns the caller names; store orders net of refunds."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from crm_data import day

from livelens.crm.store_orders import read_store_transactions
from livelens.crm.summary import summarise
from livelens.crm.transactions import Columns, read_transactions
from livelens.errors import InvalidInput
from livelens.store.duckdb import DuckDBStore

COLUMNS = Columns(customer="customer", date="date", amount="amount")
HEADER = "customer,date,amount\n"


def _csv(tmp_path: Path, body: str, header: str = HEADER) -> Path:
    path = tmp_path / "orders.csv"
    path.write_text(header + body, encoding="utf-8")
    return path


def test_csv_with_decimal_amounts_and_mixed_date_forms(tmp_path: Path) -> None:
    path = _csv(
        tmp_path,
        "c1,2026-11-01,12.50\nc1,2026-11-01 21:30:00,7.25\nc2,2026-11-02T09:00:00+08:00,99\n",
    )
    loaded = read_transactions(path, COLUMNS)
    assert loaded.excluded == {}
    assert loaded.table.to_pydict() == {
        "customer_id": ["c1", "c1", "c2"],
        "day": [date(2026, 11, 1), date(2026, 11, 1), date(2026, 11, 2)],
        "amount": [12.5, 7.25, 99.0],
    }


def test_parquet_with_float_customer_ids_unit_prices_and_cancellations(tmp_path: Path) -> None:
    """Online Retail's shape: float ids, price × quantity, 'C' invoices, rows without customer."""
    path = tmp_path / "lines.parquet"
    table = pa.table(
        {
            "Invoice": ["1", "1", "C2", "3", "4", "5"],
            "Customer ID": [13085.0, 13085.0, 13085.0, None, 12346.0, 12346.0],
            "InvoiceDate": ["2010-01-04 10:00:00"] * 4 + ["2010-01-05 11:00:00"] * 2,
            "Quantity": [2, 3, -2, 1, 1, 0],
            "Price": [1.5, 2.0, 1.5, 9.0, 4.0, 4.0],
        }
    )
    pq.write_table(table, path)
    columns = Columns("Customer ID", "InvoiceDate", "Price", quantity="Quantity", invoice="Invoice")
    loaded = read_transactions(path, columns)
    assert loaded.table.column("customer_id").to_pylist() == ["13085", "13085", "12346"]
    assert loaded.table.column("amount").to_pylist() == [3.0, 6.0, 4.0]
    assert loaded.excluded == {"cancellation": 1, "missing_customer": 1, "zero_amount": 1}


@pytest.mark.parametrize(
    ("body", "columns", "message"),
    [
        ("c1,2026-11-01,5\n", Columns("client", "date", "amount"), "no column 'client'"),
        ("c1,2026-11-01,5\n", Columns("Customer", "date", "amount"), "did you mean 'customer'"),
        ("c1,01/11/2026,5\n", COLUMNS, r"row 1: the date in 'date' cannot be read \(got '01/11"),
        ("c1,2026-11-01,5\nc2,,5\n", COLUMNS, "row 2: the date in 'date' is missing"),
        ("c1,2026-11-01,¥5\n", COLUMNS, "the amount in 'amount' cannot be read"),
        ("c1,2026-11-01,\"1,200.00\"\n", COLUMNS, "no currency sign"),
        ("c1,2026-11-01,\n", COLUMNS, "row 1: the amount in 'amount' is missing"),
        ("c1,2026-11-01,5\n", Columns("customer", "date", "amount", date_format="%d/%m/%Y"),
         "cannot be read"),
    ],
)  # fmt: skip
def test_bad_files_say_what_where_and_how_to_fix(
    tmp_path: Path, body: str, columns: Columns, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        read_transactions(_csv(tmp_path, body), columns)


@pytest.mark.parametrize(
    ("body", "reason"),
    [("c1,2026-11-01,-5\n", "return"), ("c1,2026-11-01,0\n", "zero_amount"), (",2026-11-01,5\n",
      "missing_customer")],
)  # fmt: skip
def test_rows_that_are_not_purchases_are_counted_or_refused_when_strict(
    tmp_path: Path, body: str, reason: str
) -> None:
    path = _csv(tmp_path, "c0,2026-10-01,1\n" + body)
    assert read_transactions(path, COLUMNS).excluded == {reason: 1}
    with pytest.raises(InvalidInput, match=f"row 2 is not a purchase \\({reason}\\)"):
        read_transactions(path, COLUMNS, strict=True)


def test_zero_amounts_can_count_as_purchases(tmp_path: Path) -> None:
    path = _csv(tmp_path, "c1,2026-11-01,0\n")
    columns = Columns("customer", "date", "amount", keep_zero_amounts=True)
    loaded = read_transactions(path, columns)
    assert (loaded.table.num_rows, loaded.excluded) == (1, {})


@pytest.mark.parametrize(
    ("name", "message"),
    [("orders.xlsx", "unknown file type '.xlsx'"), ("missing.csv", "does not exist")],
)
def test_unreadable_paths(tmp_path: Path, name: str, message: str) -> None:
    path = tmp_path / name
    if name.endswith("xlsx"):
        path.write_bytes(b"PK")
    with pytest.raises(InvalidInput, match=message):
        read_transactions(path, COLUMNS)


def test_numeric_dates_need_a_format(tmp_path: Path) -> None:
    path = tmp_path / "orders.parquet"
    pq.write_table(pa.table({"customer": ["a"], "date": [19970101], "amount": [1.0]}), path)
    with pytest.raises(InvalidInput, match=r"holds numbers .* pass --date-format"):
        read_transactions(path, COLUMNS)
    columns = Columns("customer", "date", "amount", date_format="%Y%m%d")
    assert read_transactions(path, columns).table.column("day").to_pylist() == [date(1997, 1, 1)]


def test_store_orders_net_of_refunds(order_store: Callable[..., Path]) -> None:
    path = order_store(
        [("v_a", day(0), 9900), ("v_a", day(1), 5000), ("v_b", day(2), 3000), ("v_b", day(2), 0)],
        refunds=[(1, 5000), (2, 1000)],  # o-1 in full, o-2 in part
    )
    with DuckDBStore(path) as store:
        loaded = read_store_transactions(store.con)
    assert loaded.table.to_pydict() == {
        "customer_id": ["v_a", "v_b"],
        "day": [date(2026, 11, 11), date(2026, 11, 13)],
        "amount": [99.0, 20.0],
    }
    assert loaded.excluded == {"refunded": 1, "zero_amount": 1}


def test_store_days_follow_the_time_zone(order_store: Callable[..., Path]) -> None:
    # 2026-11-11 20:00 +08:00 plus 5 h: 17:00 UTC the same day, 01:00 the next day in Shanghai.
    path = order_store([("v_a", day(0, hour=5), 100)])
    with DuckDBStore(path) as store:
        utc = read_store_transactions(store.con).table.column("day").to_pylist()
        shanghai = read_store_transactions(store.con, timezone="Asia/Shanghai")
        with pytest.raises(InvalidInput, match="unknown time zone 'Mars/Base'"):
            read_store_transactions(store.con, timezone="Mars/Base")
    assert utc == [date(2026, 11, 11)]
    assert shanghai.table.column("day").to_pylist() == [date(2026, 11, 12)]


def test_store_in_two_currencies_is_refused(order_store: Callable[..., Path]) -> None:
    path = order_store([("v_a", day(0), 100)], extra=[("order.paid", {"currency": "USD"})])
    with DuckDBStore(path) as store, pytest.raises(InvalidInput, match="2 currencies"):
        read_store_transactions(store.con)


def test_summary_counts_one_purchase_per_customer_day() -> None:
    table = pa.table(
        {
            "customer_id": ["a", "a", "a", "b"],
            "day": pa.array([date(2026, 1, d) for d in (1, 1, 5, 3)], pa.date32()),
            "amount": [1.0, 2.0, 4.0, 8.0],
        }
    )
    summary = summarise(table, date(2026, 1, 10))
    assert summary.purchase_days.tolist() == [2, 1]
    assert summary.first_amount.tolist() == [3.0, 8.0]
    assert summary.repeat_spend_mean.tolist() == [4.0, 0.0]
    with pytest.raises(InvalidInput, match="lack the columns"):
        summarise(table.drop_columns(["day"]), date(2026, 1, 10))
