"""CRM fixtures: the CDNOW sample (shipped in lifetimes' wheel) read by our own loader."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pytest
from crm_data import Order, write_store

from livelens.crm.transactions import Columns, Transactions, transactions_from_arrow

with warnings.catch_warnings():  # lifetimes 0.11 sets a pandas option that pandas 3 deprecates
    warnings.filterwarnings("ignore", message="The 'mode.chained_assignment' option")
    import lifetimes  # a dev dependency (ships the CDNOW sample): missing, it fails, not skips


@pytest.fixture(scope="session")
def cdnow() -> Transactions:
    """The CDNOW 1/10 sample's raw transactions (2,357 customers, 1997-01 to 1998-06). File
    columns: id in the master file, id in the sample (FHL's ID 1..2357, used here), yyyymmdd,
    number of CDs, dollar value."""
    path = Path(lifetimes.__file__).parent / "datasets" / "CDNOW_sample.txt"
    rows = np.loadtxt(path, dtype=str)
    table = pa.table({"customer": rows[:, 1], "date": rows[:, 2], "dollars": rows[:, 4]})
    columns = Columns("customer", "date", "dollars", date_format="%Y%m%d", keep_zero_amounts=True)
    return transactions_from_arrow(table, columns, source=str(path))


@pytest.fixture
def order_store(tmp_path: Path) -> Callable[..., Path]:
    """Build a store file of orders (see :func:`crm_data.write_store`)."""

    def build(orders: Sequence[Order], **kwargs: Any) -> Path:
        return write_store(tmp_path / "store.duckdb", orders, **kwargs)

    return build
