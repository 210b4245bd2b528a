"""建议与结果 Recommendations and outcomes: what the playbooks recommended in the session, what
was withheld and why, what became of each recommendation in the uplift ledger, and every
playbook's running uplift estimate.

The recommendations are :func:`livelens.knowledge.replay.recommend_session` over the starter
playbooks (:func:`livelens.knowledge.playbooks.starter_playbooks`) unless others are given —
what ``livelens recommend`` shows. Fates, measured outcomes and estimates are read from the
:class:`~livelens.knowledge.ledger.Ledger`; nothing is recorded by writing a report.
"""

from __future__ import annotations

from collections.abc import Sequence

import msgspec

from livelens.errors import InvalidInput, NotFound
from livelens.knowledge.ledger import Entry, Ledger
from livelens.knowledge.playbooks import Playbook, starter_playbooks
from livelens.knowledge.recommender import Recommendation, Withheld
from livelens.knowledge.replay import recommend_session
from livelens.knowledge.uplift import UpliftEstimate
from livelens.reports.decisions import has_table
from livelens.store.duckdb import DuckDBStore


class RecommendationsSection(msgspec.Struct, frozen=True, kw_only=True):
    playbooks: list[str]  # id@vN of every playbook replayed
    recommendations: list[Recommendation]  # as the replay made them, minute by minute
    withheld: list[Withheld]  # each playbook and reason once, at its first minute
    ledger: list[Entry]  # this session's entries: fate, who decided, measured outcome
    estimates: list[UpliftEstimate]  # per playbook, over every measured outcome in the ledger
    unavailable: str | None = None  # why there is no replay (the ledger is still shown)


def _ledger(store: DuckDBStore) -> Ledger | None:
    """The ledger, where its table exists (the replay creates it, as ``livelens recommend`` does;
    without a catalog there is no replay, and the report creates nothing)."""
    return Ledger(store.con) if has_table(store, "recommendation_ledger") else None


def read_recommendations(
    store: DuckDBStore, session_id: str, playbooks: Sequence[Playbook] | None = None
) -> RecommendationsSection:
    """Replay ``playbooks`` (default: the starter library) over the session; join the ledger."""
    chosen = list(playbooks) if playbooks is not None else starter_playbooks()
    recommendations: list[Recommendation] = []
    withheld: list[Withheld] = []
    unavailable = None
    try:
        replay = recommend_session(store, session_id, chosen)
    except (InvalidInput, NotFound) as error:
        unavailable = str(error)
    else:
        recommendations, withheld = replay.recommendations, replay.withheld
    ledger = _ledger(store)
    return RecommendationsSection(
        playbooks=[p.key for p in chosen],
        recommendations=recommendations,
        withheld=withheld,
        ledger=ledger.entries(session_id) if ledger else [],
        estimates=list(ledger.estimates().values()) if ledger else [],
        unavailable=unavailable,
    )
