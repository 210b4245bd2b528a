"""One small simulated session in a real DuckDB store, shared by the report tests.

20 minutes and 300 peak viewers keep it fast (about a second to build); the session still has
products, three personas, a promo, classified comments and five insights. It is built once per
test run (session scope) and only read afterwards, so sharing it cannot couple the tests.
"""

from __future__ import annotations

import pytest
from report_session import GENERATED_AT, StoredSession, store_simulated_session

from livelens.reports import Review, load_review, render_html
from livelens.store.duckdb import DuckDBStore


@pytest.fixture(scope="session")
def stored_session(tmp_path_factory: pytest.TempPathFactory) -> StoredSession:
    return store_simulated_session(tmp_path_factory.mktemp("report-session"))


@pytest.fixture(scope="session")
def review(stored_session: StoredSession) -> Review:
    with DuckDBStore(stored_session.db) as store:
        return load_review(store, stored_session.session_id, generated_at=GENERATED_AT)


@pytest.fixture(scope="session")
def review_html(review: Review) -> str:
    return render_html(review)
