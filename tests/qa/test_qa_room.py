"""The room: merging askers, autonomy levels, operator takeover, the human queue, the log."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from qa_evaluation import T0_MS

from livelens.errors import InvalidInput, NotFound
from livelens.events.schema import PriceChange
from livelens.qa.answer_store import DuckDBAnswerLog
from livelens.qa.answerer import Answerer
from livelens.qa.knowledge import Catalog
from livelens.qa.queue import Autonomy, RoomControl
from livelens.qa.room import QaRoom
from livelens.store.duckdb import DuckDBStore

RoomFactory = Callable[..., QaRoom]


@pytest.fixture
def make_room(catalog: Catalog, make_answerer: Callable[[Catalog], Answerer]) -> RoomFactory:
    def make(autonomy: Autonomy = Autonomy.FULL_AUTO, **options: object) -> QaRoom:
        catalog.pin("sku-hoodie")
        control = RoomControl(autonomy, undo_window_ms=5_000)
        return QaRoom(make_answerer(catalog), control=control, **options)  # type: ignore[arg-type]

    return make


def test_first_asker_now_later_askers_by_reference_then_one_answer_for_several(
    make_room: RoomFactory,
) -> None:
    room = make_room()
    first = room.ask("多少钱", T0_MS + 10_000, viewer_id="v1")
    second = room.ask("多少钱？", T0_MS + 11_000, viewer_id="v2")
    third = room.ask("多少錢", T0_MS + 12_000, viewer_id="v3")
    fourth = room.ask("主播多少钱呀", T0_MS + 13_000, viewer_id="v4")
    assert first is not None
    assert second is not None
    assert third is not None
    assert fourth is not None
    assert first.say == "宝宝，卫衣现在到手价99元，原价189元，限时还剩5分钟哦"
    assert second.say is None  # by reference: the answer was said a second ago
    assert second.record is first.record
    assert third.say == (
        "好几位宝宝都在问卫衣的价格，卫衣现在到手价99元，原价189元，限时还剩5分钟哦"
    )
    assert third.record.merged
    assert third.record.follows == first.record.answer_id
    assert fourth.say is None
    assert fourth.record is third.record
    records = room.log.records()
    assert [[q.viewer_id for q in r.questions] for r in records] == [["v1", "v2"], ["v3", "v4"]]


def test_a_closed_window_or_a_changed_answer_starts_a_new_answer(make_room: RoomFactory) -> None:
    room = make_room(merge_window_ms=10_000)
    first = room.ask("毛衣多少钱", T0_MS + 1_000)
    later = room.ask("毛衣多少钱", T0_MS + 12_000)
    assert first is not None
    assert later is not None
    assert later.record is not first.record
    assert later.say == "宝宝，毛衣现在399元哦"

    def change(price_minor: int, at_ms: int) -> None:
        room.apply(
            PriceChange(ts=at_ms, room_id="r", session_id="s", platform="sim",
                        product_id="sku-sweater", price_minor=price_minor, currency="CNY")
        )  # fmt: skip

    change(29900, T0_MS + 13_000)
    after = room.ask("毛衣多少钱", T0_MS + 14_000)
    assert after is not None
    assert after.record is not later.record
    assert after.say == "宝宝，毛衣直播间价299元，原价399元哦"
    assert after.record.catalog_version > later.record.catalog_version
    # a change that leaves the answer as it was (another product's price) keeps merging
    room.apply(
        PriceChange(ts=T0_MS + 15_000, room_id="r", session_id="s", platform="sim",
                    product_id="sku-jeans", price_minor=12900, currency="CNY")
    )  # fmt: skip
    again = room.ask("毛衣多少钱", T0_MS + 16_000)
    assert again is not None
    assert (again.record, again.say) == (after.record, None)


def test_escalations_merge_into_one_queue_item(make_room: RoomFactory) -> None:
    room = make_room()
    for n in range(4):
        room.ask("明天能到吗", T0_MS + 1_000 + n, viewer_id=f"v{n}")
    pending = room.control.queue.pending()
    assert len(pending) == 1
    assert pending[0].reason == "fact_missing:delivery_date"
    assert len(pending[0].questions) == 4
    assert pending[0].delivery == "queued"


def test_suggest_mode_waits_for_the_operator(make_room: RoomFactory) -> None:
    room = make_room(Autonomy.SUGGEST)
    decision = room.ask("包邮吗", T0_MS + 1_000)
    assert decision is not None
    assert decision.say is None
    assert decision.record.delivery == "suggested"
    sent = room.approve(decision.record.answer_id, T0_MS + 4_000)
    assert (sent.delivery, sent.delivered_at_ms) == ("sent", T0_MS + 4_000)
    with pytest.raises(NotFound):
        room.approve(decision.record.answer_id, T0_MS + 5_000)


def test_auto_answers_wait_out_the_undo_window(make_room: RoomFactory) -> None:
    room = make_room(Autonomy.AUTO_UNDO)
    kept = room.ask("包邮吗", T0_MS + 1_000)
    undone = room.ask("有什么颜色", T0_MS + 2_000)
    assert kept is not None
    assert undone is not None
    assert kept.record.delivery == undone.record.delivery == "pending"
    room.undo(undone.record.answer_id)
    assert undone.record.delivery == "undone"
    assert room.tick(T0_MS + 5_999) == []
    assert room.tick(T0_MS + 6_000) == [kept.record]
    assert kept.record.delivered_at_ms == T0_MS + 6_000
    with pytest.raises(NotFound):
        room.undo(kept.record.answer_id)  # said already
    again = room.ask("有什么颜色", T0_MS + 6_500)  # undone: the next asker is not merged into it
    assert again is not None
    assert again.record is not undone.record


def test_takeover_turns_drafts_into_suggestions_and_operator_text_is_checked(
    make_room: RoomFactory,
) -> None:
    room = make_room()
    room.takeover()
    decision = room.ask("多少钱", T0_MS + 1_000)
    assert decision is not None
    assert decision.record.delivery == "suggested"
    with pytest.raises(InvalidInput, match="最好"):
        room.approve(decision.record.answer_id, T0_MS + 2_000, text="这是全网最好的卫衣")
    record = room.approve(decision.record.answer_id, T0_MS + 2_000, text="99元，今天下单就发")
    assert (record.delivery, record.operator_answer) == ("operator", "99元，今天下单就发")
    room.release()
    after = room.ask("有什么颜色", T0_MS + 3_000)
    assert after is not None
    assert after.record.delivery == "sent"


def test_an_escalation_needs_the_operators_own_words(make_room: RoomFactory) -> None:
    room = make_room()
    decision = room.ask("明天能到吗", T0_MS + 1_000)
    assert decision is not None
    with pytest.raises(InvalidInput, match="must write the answer"):
        room.approve(decision.record.answer_id, T0_MS + 2_000)
    answered = room.approve(decision.record.answer_id, T0_MS + 2_000, text="一般两到三天")
    assert answered.delivery == "operator"
    rejected_room = make_room(Autonomy.SUGGEST)
    suggestion = rejected_room.ask("包邮吗", T0_MS)
    assert suggestion is not None
    assert rejected_room.reject(suggestion.record.answer_id).delivery == "rejected"


def test_the_log_keeps_the_catalog_version_and_redacted_questions_in_duckdb(
    make_room: RoomFactory, store: DuckDBStore
) -> None:
    log = DuckDBAnswerLog(store.con, room_id="room-1", flush_at=2)
    room = make_room(log=log)
    room.ask("我手机13912345678 多少钱", T0_MS + 1_000, viewer_id="v1")
    room.ask("多少钱", T0_MS + 1_500, viewer_id="v2")
    room.ask("明天能到吗", T0_MS + 2_000, viewer_id="v3")
    records = log.records()
    assert [r.status for r in records] == ["answered", "escalated"]
    assert records[0].questions[0].text == "我手机[手机号] 多少钱"
    assert [q.viewer_id for q in records[0].questions] == ["v1", "v2"]
    assert records[0].catalog_version == room.catalog.version
    stored = store.con.execute("SELECT count(*), sum(askers) FROM qa_answers").fetchone()
    assert stored == (2, 3)
    texts = [t for (t,) in store.con.execute("SELECT text FROM qa_questions").fetchall()]
    assert len(texts) == 3
    assert not [t for t in texts if "13912345678" in t]
    assert log.get(records[1].answer_id) == records[1]
    reopened = DuckDBAnswerLog(store.con, room_id="room-1")
    assert reopened.records() == records
