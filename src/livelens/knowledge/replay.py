"""The replay sandbox over the store: a stored session, its catalog, licences, price changes and
the ledger's estimates gathered into a :class:`~livelens.knowledge.recommender.Context`, then
:func:`~livelens.knowledge.recommender.replay_session` minute by minute."""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow.compute as pc

from livelens.comments.analyze import CommentAnalyzer
from livelens.errors import InvalidInput, NotFound
from livelens.governance.licence_registry import LicenceRegistry
from livelens.information.compute import compute_session_metrics
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.playbooks import Playbook
from livelens.knowledge.recommender import Context, Replay, replay_session
from livelens.store.duckdb import DuckDBStore


def _price_changes(
    store: DuckDBStore, session_id: str, started_us: int
) -> dict[str, list[tuple[int, int]]]:
    events = store.events(session_id)
    changes = events.filter(pc.equal(events["type"], "price.change"))
    prices: dict[str, list[tuple[int, int]]] = {}
    for row in changes.select(["ts", "product_id", "price_minor"]).to_pylist():
        minute = int((row["ts"].timestamp() * 1_000_000 - started_us) // 60_000_000)
        prices.setdefault(row["product_id"], []).append((minute, int(row["price_minor"])))
    for changes_of_product in prices.values():
        changes_of_product.sort()
    return prices


def recommend_session(store: DuckDBStore, session_id: str, playbooks: Sequence[Playbook]) -> Replay:
    """What the playbooks would have recommended, minute by minute, in a stored session."""
    if session_id not in {s.session_id for s in store.sessions()}:
        msg = f"session {session_id!r} is not in the store; `livelens sessions` lists them"
        raise NotFound(msg)
    reference = store.reference()
    if not reference.products:
        msg = "the store has no catalog: load one with `livelens ingest --catalog FILE --db …`"
        raise InvalidInput(msg)
    names = store.display_names()
    analyzer = CommentAnalyzer(names.values())
    metrics = compute_session_metrics(store.events(session_id), comment_intents=analyzer.intents)
    context = Context(
        room_id=metrics.room_id,
        platform=metrics.platform,
        session_id=session_id,
        started_at=metrics.started_at,
        products={p.product_id: p for p in reference.products},
        personas={p.persona_id: p for p in reference.personas},
        licences=LicenceRegistry(store).licences(),
        prices=_price_changes(store, session_id, int(metrics.started_at.timestamp() * 1_000_000)),
        uplift=Ledger(store.con).estimates(),
    )
    return replay_session(playbooks, metrics, reference, context, names)
