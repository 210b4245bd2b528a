"""Purchases as one columnar table: ``customer_id``, ``day`` (date32), ``amount`` (float64).

Transactions come from a CSV or Parquet file whose columns the caller names (here), or from the
store's ``order.paid`` events net of ``order.refunded`` (:mod:`livelens.crm.store_orders`).
Parsing and validation run in DuckDB, so a file of millions of rows is never walked row by row
in Python.

Rules (documented in docs/crm.md):

* a missing column, an unparseable date or amount, or a missing date or amount is an error
  (:class:`~livelens.errors.InvalidInput` naming the file, the row and the fix);
* rows without a customer, cancellations (an invoice starting with ``C`` when ``invoice`` is
  named), returns (negative amounts) and zero amounts are not purchases: they are excluded and
  counted by reason in :attr:`Transactions.excluded` — or, with ``strict``, refused;
* with ``keep_zero_amounts`` a zero amount is a purchase (a free item or a fully discounted order:
  the CDNOW sample has eight such customers) that counts for recency and frequency only;
* with ``quantity`` named, the amount column is a unit price and a row's amount is price × quantity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import duckdb
import pyarrow as pa

from livelens.errors import InvalidInput

TRANSACTIONS_SCHEMA: Final = pa.schema(
    [
        pa.field("customer_id", pa.string(), nullable=False),
        pa.field("day", pa.date32(), nullable=False),
        pa.field("amount", pa.float64(), nullable=False),
    ]
)
EXCLUSION_REASONS: Final = ("missing_customer", "cancellation", "return", "zero_amount", "refunded")
_NUMERIC: Final = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT")


@dataclass(frozen=True, slots=True)
class Columns:
    """Which columns of a file hold the customer, the date and the amount (and optional extras)."""

    customer: str
    date: str
    amount: str
    quantity: str | None = None
    invoice: str | None = None
    date_format: str | None = None
    cancel_prefix: str = "C"
    keep_zero_amounts: bool = False


@dataclass(frozen=True, slots=True)
class Transactions:
    """Purchases in :data:`TRANSACTIONS_SCHEMA` plus the rows that were not purchases, by reason."""

    table: pa.Table
    source: str
    excluded: dict[str, int] = field(default_factory=dict)


def read_transactions(path: Path, columns: Columns, *, strict: bool = False) -> Transactions:
    """Load purchases from a ``.csv``/``.tsv`` or ``.parquet`` file (see the module rules)."""
    if not path.is_file():
        msg = f"transactions file {path} does not exist; pass an existing CSV or Parquet file"
        raise InvalidInput(msg)
    con = _connect()
    quoted = str(path).replace("'", "''")
    suffix = path.suffix.lower()
    if suffix in {".parquet", ".pq"}:
        reader = f"read_parquet('{quoted}')"
    elif suffix in {".csv", ".tsv", ".txt"}:
        reader = f"read_csv('{quoted}', all_varchar = true, header = true)"
    else:
        msg = f"{path}: unknown file type {suffix!r}; expected .csv, .tsv or .parquet"
        raise InvalidInput(msg)
    try:
        con.execute(f"CREATE TEMP VIEW raw AS SELECT * FROM {reader}").fetchall()  # noqa: S608
        types = _types(con)
    except duckdb.Error as error:
        first = str(error).strip().splitlines()[0]
        msg = (
            f"cannot read {path}: {first}; expected a CSV with a header row, one delimiter, "
            "consistent quoting and one kind of line ending (or a Parquet file)"
        )
        raise InvalidInput(msg) from None
    return _prepare(con, types, columns, source=str(path), strict=strict)


def transactions_from_arrow(
    table: pa.Table, columns: Columns, *, source: str = "table", strict: bool = False
) -> Transactions:
    """Validate an in-memory table with the same rules as :func:`read_transactions`."""
    con = _connect()
    con.register("raw", table)
    return _prepare(con, _types(con), columns, source, strict)


def _connect() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'").fetchall()
    return con


def _types(con: duckdb.DuckDBPyConnection) -> dict[str, str]:
    relation = con.sql("SELECT * FROM raw")
    return dict(zip(relation.columns, (str(t) for t in relation.types), strict=True))


def _prepare(
    con: duckdb.DuckDBPyConnection,
    types: dict[str, str],
    columns: Columns,
    source: str,
    strict: bool,
) -> Transactions:
    wanted = {"customer": columns.customer, "date": columns.date, "amount": columns.amount}
    if columns.quantity:
        wanted["quantity"] = columns.quantity
    if columns.invoice:
        wanted["invoice"] = columns.invoice
    for role, name in wanted.items():
        if name not in types:
            close = [c for c in types if c.lower() == name.lower()]
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            msg = (
                f"{source}: no column {name!r} for the {role}{hint}; the columns are "
                f"{', '.join(map(repr, types))}; pass --{role}-col with one of them"
            )
            raise InvalidInput(msg)
    day = _date_sql(columns.date, types[columns.date], columns.date_format, source)
    amount = _number_sql(columns.amount, types[columns.amount])
    quantity_raw = _ident(columns.quantity) if columns.quantity else "1"
    quantity = _number_sql(columns.quantity, types[columns.quantity]) if columns.quantity else "1"
    invoice = f"CAST({_ident(columns.invoice)} AS VARCHAR)" if columns.invoice else "NULL"
    customer = _customer_sql(columns.customer, types[columns.customer])
    parse = (
        "CREATE TEMP TABLE parsed AS SELECT row_number() OVER () AS row, "  # noqa: S608 - quoted
        f"{customer} AS customer_id, CAST({_ident(columns.date)} AS VARCHAR) AS date_raw, "
        f"{day} AS day, CAST({_ident(columns.amount)} AS VARCHAR) AS amount_raw, "
        f"{amount} AS price, CAST({quantity_raw} AS VARCHAR) AS quantity_raw, "
        f"{quantity} AS quantity, {invoice} AS invoice FROM raw"
    )
    try:
        con.execute(parse).fetchall()
    except duckdb.Error as error:
        msg = f"{source}: cannot read the named columns: {' '.join(str(error).split())}"
        raise InvalidInput(msg) from None
    _refuse_unparseable(con, source, columns)
    prefix = columns.cancel_prefix.replace("'", "''")
    zero = "FALSE" if columns.keep_zero_amounts else "price * quantity = 0"
    classify = (
        "CREATE TEMP TABLE classified AS SELECT row, customer_id, day, "  # noqa: S608 - quoted
        "price * quantity AS amount, CASE WHEN customer_id IS NULL THEN 'missing_customer' "
        f"WHEN starts_with(invoice, '{prefix}') THEN 'cancellation' "
        f"WHEN price * quantity < 0 THEN 'return' WHEN {zero} THEN 'zero_amount' "
        "END AS reason FROM parsed"
    )
    con.execute(classify).fetchall()
    excluded = {
        str(reason): int(n)
        for reason, n in con.execute(
            "SELECT reason, count(*) FROM classified WHERE reason IS NOT NULL "
            "GROUP BY reason ORDER BY reason"
        ).fetchall()
    }
    if strict and excluded:
        reason, row = con.execute(
            "SELECT reason, row FROM classified WHERE reason IS NOT NULL ORDER BY row LIMIT 1"
        ).fetchall()[0]
        msg = (
            f"{source}: row {row} is not a purchase ({reason}); {sum(excluded.values())} such "
            f"rows ({_counts(excluded)}); fix them or drop --strict to exclude and count them"
        )
        raise InvalidInput(msg)
    table = con.sql(
        "SELECT customer_id, day, amount FROM classified WHERE reason IS NULL"
    ).to_arrow_table()
    return Transactions(table.cast(TRANSACTIONS_SCHEMA), source, excluded)


def _ident(name: str) -> str:
    """A column name as a quoted SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def _customer_sql(name: str, sql_type: str) -> str:
    column = _ident(name)
    if sql_type in {"DOUBLE", "FLOAT"} or sql_type.startswith("DECIMAL"):
        # Spreadsheet exports store integer ids as floats (Online Retail's 13085.0).
        return (
            f"CASE WHEN {column} = trunc({column}) THEN CAST(CAST({column} AS BIGINT) AS VARCHAR) "
            f"ELSE CAST({column} AS VARCHAR) END"
        )
    text = f"nullif(trim(CAST({column} AS VARCHAR)), '')"
    return f"regexp_replace({text}, '^([0-9]+)\\.0+$', '\\1')"


def _date_sql(name: str, sql_type: str, date_format: str | None, source: str) -> str:
    column = _ident(name)
    if date_format:
        fmt = date_format.replace("'", "''")
        return f"CAST(try_strptime(CAST({column} AS VARCHAR), '{fmt}') AS DATE)"
    if sql_type == "DATE":
        return column
    if sql_type.startswith("TIMESTAMP"):
        return f"CAST({column} AS DATE)"
    if sql_type in _NUMERIC:
        msg = (
            f"{source}: the date column {name!r} holds numbers ({sql_type}); pass "
            "--date-format (e.g. %Y%m%d) to say how to read them"
        )
        raise InvalidInput(msg)
    return f"CAST(try_cast(trim(CAST({column} AS VARCHAR)) AS TIMESTAMP) AS DATE)"


def _number_sql(name: str, sql_type: str) -> str:
    column = _ident(name)
    if sql_type == "VARCHAR":
        return f"try_cast(trim({column}) AS DOUBLE)"
    return f"CAST({column} AS DOUBLE)"


def _refuse_unparseable(con: duckdb.DuckDBPyConnection, source: str, columns: Columns) -> None:
    """The first row whose date, amount or quantity is missing or cannot be read, as an error."""
    checks = (
        (
            "date_raw",
            "day",
            f"the date in {columns.date!r}",
            "YYYY-MM-DD[ HH:MM:SS] or --date-format",
        ),
        (
            "amount_raw",
            "price",
            f"the amount in {columns.amount!r}",
            "a plain decimal such as 12.50 (no currency sign)",
        ),
        ("quantity_raw", "quantity", f"the quantity in {columns.quantity!r}", "a plain number"),
    )
    for raw, parsed, what, expected in checks:
        query = (
            f"SELECT row, {raw}, count(*) OVER () FROM parsed "  # noqa: S608 - fixed names
            f"WHERE {parsed} IS NULL ORDER BY row LIMIT 1"
        )
        rows = con.execute(query).fetchall()
        if rows:
            row, value, count = rows[0]
            problem = "is missing" if value is None else f"cannot be read (got {value!r})"
            msg = f"{source}: row {row}: {what} {problem}; {count} such rows; expected {expected}"
            raise InvalidInput(msg)


def _counts(excluded: dict[str, int]) -> str:
    return ", ".join(f"{reason} {n}" for reason, n in sorted(excluded.items()))
