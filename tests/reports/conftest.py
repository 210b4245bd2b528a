"""Simulated sessions in real DuckDB stores, shared by the report tests.

One small session (20 minutes, 300 peak viewers; about a second to build) has products, three
personas, a promo, classified comments and five insights — and, as the only session of its room,
no baseline for its alerts. A second store holds two sessions of one room a day apart, so the
later one has a history (alerts), a price history and recommendations. Both are built once per
test run (session scope) and only read afterwards, so sharing them cannot couple the tests.
"""

from __future__ import annotations

import pytest
from report_session import (
    GENERATED_AT,
    StoredRoom,
    StoredSession,
    store_room_sessions,
    store_simulated_session,
)

from livelens.reports import Review, load_review, render_html
from livelens.store.duckdb import DuckDBStore


@pytest.fixture(scope="session")
def stored_session(tmp_path_factory: pytest.TempPathFactory) -> StoredSession:
    return store_simulated_session(tmp_path_factory.mktemp("report-session"))


@pytest.fixture(scope="session")
def stored_room(tmp_path_factory: pytest.TempPathFactory) -> StoredRoom:
    """Read only: a test that writes (a scan, a ledger fate) works on a copy of the file."""
    return store_room_sessions(tmp_path_factory.mktemp("report-room"))


@pytest.fixture(scope="session")
def room_review(stored_room: StoredRoom) -> Review:
    with DuckDBStore(stored_room.db) as store:
        return load_review(store, stored_room.second, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def review(stored_session: StoredSession) -> Review:
    with DuckDBStore(stored_session.db) as store:
        return load_review(store, stored_session.session_id, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def review_html(review: Review) -> str:
    return render_html(review)
