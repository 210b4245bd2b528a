"""The recommendation ledger's bookkeeping at its edges."""

from __future__ import annotations

import duckdb

from livelens.knowledge.ledger import Ledger


def test_recording_nothing_adds_nothing() -> None:
    con = duckdb.connect()
    ledger = Ledger(con)
    assert ledger.record([]) == 0
    assert con.execute("SELECT count(*) FROM recommendation_ledger").fetchone() == (0,)
