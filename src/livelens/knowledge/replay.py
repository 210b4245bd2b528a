"""The replay sandbox over the store: a stored session, its catalog, licences, price changes, the
prices its orders paid, the room's earlier sessions (:func:`read_room_past`) and the ledger's
estimates gathered into a :class:`~livelens.knowledge.recommender.Context`, then
:func:`~livelens.knowledge.recommender.replay_session` minute by minute."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import pyarrow as pa
import pyarrow.compute as pc

from livelens.comments.analyze import CommentAnalyzer
from livelens.errors import InvalidInput, NotFound
from livelens.events.reference import Product
from livelens.governance.licence_registry import LicenceRegistry
from livelens.information.compute import compute_session_metrics
from livelens.intelligence.alert_scan import session_alert_changes
from livelens.intelligence.elasticity import PRICE_RESPONSE_TYPES
from livelens.intelligence.stock import StockMoves
from livelens.knowledge.facts import AlertSpan, alert_spans
from livelens.knowledge.ledger import Ledger
from livelens.knowledge.playbooks import Playbook
from livelens.knowledge.price_checks import by_minute
from livelens.knowledge.recommender import Context, Replay, replay_session
from livelens.knowledge.room_past import RoomPast, room_past
from livelens.store.base import SessionSummary
from livelens.store.duckdb import DuckDBStore

MAX_PAST_SESSIONS: Final = 20  # the room's latest earlier sessions the recommender reads
PRICED_ACTIONS: Final = ("flash_discount", "coupon_drop", "lucky_bag")  # the model prices these
_PRICE_TYPES: Final = ("price.change", "order.paid")  # what the guardrails' history reads


def needs_price_model(playbooks: Sequence[Playbook]) -> bool:
    """Whether any playbook's action is one the uplift model prices."""
    return any(p.action.kind in PRICED_ACTIONS for p in playbooks)


def read_room_past(
    store: DuckDBStore,
    session_id: str,
    products: Sequence[Product],
    *,
    with_responses: bool = True,
    summaries: Sequence[SessionSummary] | None = None,
) -> RoomPast:
    """The room's earlier sessions as the recommender reads them
    (:func:`~livelens.knowledge.room_past.room_past`): the latest ``MAX_PAST_SESSIONS`` of the
    same room and platform that started before ``session_id``, only the event types the price
    history (and, ``with_responses``, the price response) read. Call with the store's session
    table up to date (the live hub summarises first); ``summaries``: that table, when at hand."""
    if summaries is None:
        summaries = store.sessions()
    this = next((s for s in summaries if s.session_id == session_id), None)
    if this is None:
        return RoomPast()
    candidates = [
        s
        for s in summaries
        if s.session_id != session_id
        and (s.room_id, s.platform) == (this.room_id, this.platform)
        and s.started_at < this.started_at
    ][-MAX_PAST_SESSIONS:]
    if not candidates:
        return RoomPast()
    types = PRICE_RESPONSE_TYPES if with_responses else _PRICE_TYPES
    current = store.events(session_id, types)
    if current.num_rows == 0:  # nothing priced yet: the session's span from all its events
        current = store.events(session_id)
    earlier = [store.events(s.session_id, types) for s in candidates]
    return room_past(earlier, current, products, with_responses=with_responses)


def _minutely(rows: pa.Table, started_us: int, price: str) -> dict[str, list[tuple[int, int]]]:
    """Per product, (minute, price) in order; ``price`` names the price column."""
    return by_minute(
        zip(
            rows["ts"].cast(pa.int64()).to_pylist(),
            rows["product_id"].to_pylist(),
            (int(p) for p in rows[price].to_pylist()),
            strict=True,
        ),
        started_us,
    )


def session_prices(
    events: pa.Table, started_us: int
) -> tuple[dict[str, list[tuple[int, int]]], dict[str, list[tuple[int, int]]]]:
    """The session's live prices (``price.change``) and the unit prices its orders paid
    (``order.paid``, amount over quantity), per product by minute since ``started_us``."""
    changes = events.filter(pc.equal(events["type"], "price.change"))
    paid = events.filter(
        pc.and_(pc.equal(events["type"], "order.paid"), pc.greater(events["quantity"], 0))
    )
    paid = paid.append_column(
        "unit_minor", pc.divide(paid["amount_minor"], paid["quantity"]).cast(pa.int64())
    )
    return _minutely(changes, started_us, "price_minor"), _minutely(paid, started_us, "unit_minor")


def recommend_session(store: DuckDBStore, session_id: str, playbooks: Sequence[Playbook]) -> Replay:
    """What the playbooks would have recommended, minute by minute, in a stored session."""
    summaries = store.sessions()
    this = next((s for s in summaries if s.session_id == session_id), None)
    if this is None:
        msg = f"session {session_id!r} is not in the store; `livelens sessions` lists them"
        raise NotFound(msg)
    # the ledger outcomes its live could have known: not its own, not a later session's
    started_before = {s.session_id for s in summaries if s.started_at < this.started_at}
    reference = store.reference()
    if not reference.products:
        msg = "the store has no catalog: load one with `livelens ingest --catalog FILE --db …`"
        raise InvalidInput(msg)
    names = store.display_names()
    analyzer = CommentAnalyzer(names.values())
    events = store.events(session_id)
    metrics = compute_session_metrics(events, comment_intents=analyzer.intents)
    prices, paid = session_prices(events, int(metrics.started_at.timestamp() * 1_000_000))
    stock = StockMoves()
    stock.add(events)
    context = Context(
        room_id=metrics.room_id,
        platform=metrics.platform,
        session_id=session_id,
        started_at=metrics.started_at,
        products={p.product_id: p for p in reference.products},
        personas={p.persona_id: p for p in reference.personas},
        licences=LicenceRegistry(store).licences(),
        prices=prices,
        paid=paid,
        stock=stock,
        uplift=Ledger(store.con).estimates(sessions=started_before),
        past=read_room_past(
            store,
            session_id,
            reference.products,
            with_responses=needs_price_model(playbooks),
            summaries=summaries,
        ),
    )
    reads_alerts = any(c.fact.startswith("alert_open") for p in playbooks for c in p.when)
    alerts: list[AlertSpan] = (
        alert_spans(session_alert_changes(store, session_id, metrics=metrics))
        if reads_alerts
        else []  # scoring reads the room's earlier sessions: only when a condition needs it
    )
    return replay_session(playbooks, metrics, reference, context, names, alerts)
