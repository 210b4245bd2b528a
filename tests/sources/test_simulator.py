"""The session simulator: valid, deterministic, streaming events that show their ground truth.

The ground-truth checks re-derive each effect from the written events alone (decoded like any
other input) and compare it with ``<stem>.truth.json``: the hot product, the interaction peak,
the persona and discount lifts, the peak concurrency and the comment concerns.
"""

from __future__ import annotations

import csv
import itertools
import tracemalloc
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from livelens.errors import InvalidInput
from livelens.events.codec import decode_event
from livelens.events.reference import ReferenceData, load_reference
from livelens.events.schema import (
    CartAdd,
    Comment,
    Event,
    Like,
    OnlineCount,
    OrderPaid,
    OrderRefunded,
    PersonaSwitch,
    PriceChange,
    ProductClick,
    PromoEnd,
    PromoStart,
    ViewerEvent,
    ViewerJoin,
    ViewerLeave,
    event_type,
)
from livelens.sources.simulation.config import default_peak_window
from livelens.sources.simulation.schedule import discounted_price_minor
from livelens.sources.simulator import (
    GroundTruth,
    SimulationConfig,
    build_session,
    load_truth,
    session_paths,
    write_session,
)

REVIEWS = (
    Path(__file__).parents[2]
    / ".."
    / "shared"
    / "data"
    / "reviews"
    / "online_shopping_10_cats.train.csv"
)
STRONG_LIFTS = {"p-xiaoxue": 2.0, "p-aqiang": 1.0, "p-lingling": 0.5}


@dataclass(frozen=True)
class Written:
    path: Path
    truth: GroundTruth
    catalog: ReferenceData
    events: list[Event]

    def seconds(self, event: Event) -> float:
        assert isinstance(event.ts, datetime)
        return (event.ts - self.truth.start).total_seconds()


def simulate(directory: Path, **overrides: Any) -> Written:
    config = SimulationConfig(**{"minutes": 5, "peak_viewers": 50, "seed": 1, **overrides})
    path = directory / "session.jsonl"
    returned = write_session(config, path)
    truth_path, catalog_path = session_paths(path)
    assert load_truth(truth_path) == returned
    events = [decode_event(line) for line in path.read_bytes().splitlines()]
    return Written(path, returned, load_reference(catalog_path), events)


@pytest.fixture(scope="module")
def medium(tmp_path_factory: pytest.TempPathFactory) -> Written:
    """An hour with 5,000 peak viewers and non-default effects, so the truth is not the default."""
    return simulate(
        tmp_path_factory.mktemp("medium"),
        minutes=60,
        peak_viewers=5_000,
        seed=7,
        persona_lift=STRONG_LIFTS,
        hot_product_id="sku-sweater",
        peak_window=(30, 45),
        reviews_path=REVIEWS,
    )


def assert_consistent(written: Written) -> None:
    """The invariants every simulated session keeps, whatever its size."""
    events, truth = written.events, written.truth
    assert Counter(event_type(e) for e in events) == Counter(truth.event_counts)
    assert [e.event_id for e in events] == [
        f"{truth.session_id}-{n:09d}" for n in range(len(events))
    ]
    assert {(e.room_id, e.session_id, e.platform) for e in events} == {
        (truth.room_id, truth.session_id, "sim")
    }
    times = [written.seconds(e) for e in events]
    assert times == sorted(times)
    assert times[0] >= 0
    assert times[-1] < truth.minutes * 60

    joined: dict[str, float] = {}
    left: dict[str, float] = {}
    present = 0
    for event, at in zip(events, times, strict=True):
        if isinstance(event, ViewerJoin):
            assert event.viewer_id not in joined, "a viewer joins once"
            joined[event.viewer_id] = at
            present += 1
        elif isinstance(event, ViewerLeave):
            assert joined[event.viewer_id] < at, "a viewer leaves after joining"
            assert event.viewer_id not in left
            left[event.viewer_id] = at
            present -= 1
        elif isinstance(event, OnlineCount):
            assert event.count == present
        elif isinstance(event, ViewerEvent):
            assert joined[event.viewer_id] < at, f"{event.event_id} before its viewer joined"
            assert event.viewer_id not in left, f"{event.event_id} after its viewer left"
    assert joined.keys() == left.keys(), "everyone has left when the stream ends"

    product_ids = {p.product_id for p in written.catalog.products}
    persona_ids = {p.persona_id for p in written.catalog.personas}
    assert {getattr(e, "product_id", None) for e in events} - {None} <= product_ids
    assert {e.persona_id for e in events if isinstance(e, PersonaSwitch)} <= persona_ids
    assert_funnel_and_money(written)


def assert_funnel_and_money(written: Written) -> None:
    """Orders follow their own viewer's click and cart; amounts are the price then × quantity."""
    floors = {p.product_id: p.floor_price_minor for p in written.catalog.products}
    price: dict[str, int] = {}
    promo_pct: dict[str, tuple[str, float]] = {}  # product -> (promo id, discount) while running
    clicked: set[tuple[str, str]] = set()
    carted: set[tuple[str, str, int]] = set()
    orders: dict[str, int] = {}
    for event in written.events:
        if isinstance(event, PriceChange):
            price[event.product_id] = event.price_minor
        elif isinstance(event, PromoStart):
            assert event.product_id is not None
            assert event.discount_pct is not None
            promo_pct[event.product_id] = (event.promo_id, event.discount_pct)
        elif isinstance(event, PromoEnd):
            (product,) = [p for p, (pid, _) in promo_pct.items() if pid == event.promo_id]
            del promo_pct[product]
        elif isinstance(event, ProductClick):
            clicked.add((event.viewer_id, event.product_id))
        elif isinstance(event, CartAdd):
            assert (event.viewer_id, event.product_id) in clicked, "cart without a click"
            carted.add((event.viewer_id, event.product_id, event.quantity))
        elif isinstance(event, OrderPaid):
            key = (event.viewer_id, event.product_id, event.quantity)
            assert key in carted, f"order {event.order_id} without its click and cart"
            unit = price[event.product_id]
            if event.product_id in promo_pct:
                pct = int(promo_pct[event.product_id][1])
                unit = discounted_price_minor(unit, pct, floors[event.product_id])
            assert event.amount_minor == unit * event.quantity
            assert event.currency == "CNY"
            orders[event.order_id] = event.amount_minor
        elif isinstance(event, OrderRefunded):
            assert orders.pop(event.order_id) == event.amount_minor, "refund of an unpaid order"


@pytest.mark.parametrize(
    ("minutes", "peak_viewers"),
    [(5, 10), (1, 1), (3, 200)],
    ids=["tiny-room", "one-viewer", "small-room"],
)
def test_small_rooms_keep_every_invariant(tmp_path: Path, minutes: int, peak_viewers: int) -> None:
    written = simulate(tmp_path, minutes=minutes, peak_viewers=peak_viewers)
    assert_consistent(written)
    assert written.truth.event_counts["viewer.join"] >= 1
    assert written.truth.minutes == minutes


def test_tiny_room_reaches_its_ten_viewers(tmp_path: Path) -> None:
    written = simulate(tmp_path, minutes=5, peak_viewers=10)
    assert 7 <= max(e.count for e in written.events if isinstance(e, OnlineCount)) <= 13


def test_medium_session_keeps_every_invariant(medium: Written) -> None:
    assert_consistent(medium)


def test_same_seed_gives_the_same_bytes_and_another_seed_does_not(tmp_path: Path) -> None:
    runs = [simulate(tmp_path / name, seed=seed) for name, seed in [("a", 4), ("b", 4), ("c", 5)]]
    first, again, other = ([p.read_bytes() for p in (w.path, *session_paths(w.path))] for w in runs)
    assert first == again
    assert first[0] != other[0]
    assert first[1] != other[1]


def test_events_stream_from_a_million_viewer_room_without_simulating_it_all() -> None:
    session = build_session(SimulationConfig(minutes=60, peak_viewers=1_000_000, seed=2))
    first = list(itertools.islice(session.events(), 50_000))
    assert len(first) == 50_000
    assert session.truth.event_counts == {}  # counts come with a finished run


def test_session_without_reviews_uses_templates_and_keeps_everything_else(tmp_path: Path) -> None:
    room = {"minutes": 10, "peak_viewers": 300}
    missing = simulate(tmp_path / "missing", reviews_path=tmp_path / "no-such.csv", **room)
    none = simulate(tmp_path / "none", reviews_path=None, **room)
    assert missing.path.read_bytes() == none.path.read_bytes()
    real = simulate(tmp_path / "real", reviews_path=REVIEWS, **room)
    assert real.truth.event_counts == none.truth.event_counts
    assert real.truth.comment_concerns == none.truth.comment_concerns
    template_texts = {e.text for e in none.events if isinstance(e, Comment)}
    review_texts = {e.text for e in real.events if isinstance(e, Comment)} - template_texts
    assert review_texts


def test_hot_product_has_most_clicks_and_most_gmv(medium: Written) -> None:
    clicks = Counter(e.product_id for e in medium.events if isinstance(e, ProductClick))
    gmv: Counter[str] = Counter()
    for event in medium.events:
        if isinstance(event, OrderPaid):
            gmv[event.product_id] += event.amount_minor
    assert medium.truth.hot_product_id == "sku-sweater"
    assert clicks.most_common(1)[0][0] == "sku-sweater"
    assert gmv.most_common(1)[0][0] == "sku-sweater"
    assert sum(gmv.values()) == medium.truth.gmv_minor


def test_busiest_interaction_window_is_the_peak_window(medium: Written) -> None:
    per_minute = [0] * medium.truth.minutes
    for event in medium.events:
        if isinstance(event, Comment | Like):
            per_minute[int(medium.seconds(event) // 60)] += 1
    window = medium.truth.peak_window
    assert (window.start_minute, window.end_minute) == (30, 45)
    length = window.end_minute - window.start_minute
    best = max(
        range(len(per_minute) - length + 1),
        key=lambda start: sum(per_minute[start : start + length]),
    )
    overlap = min(best + length, window.end_minute) - max(best, window.start_minute)
    assert overlap > length / 2


def test_peak_window_boosts_interactions_per_present_viewer(medium: Written) -> None:
    window = medium.truth.peak_window
    interactions: Counter[bool] = Counter()
    viewer_seconds: Counter[bool] = Counter()  # each online.count stands for 5 seconds
    for event in medium.events:
        inside = window.start_minute * 60 <= medium.seconds(event) < window.end_minute * 60
        if isinstance(event, Comment | Like):
            interactions[inside] += 1
        elif isinstance(event, OnlineCount):
            viewer_seconds[inside] += event.count * 5
    rate_inside = interactions[True] / viewer_seconds[True]
    rate_outside = interactions[False] / viewer_seconds[False]
    assert rate_inside > 2 * rate_outside


def test_higher_persona_lift_converts_more_per_viewer_minute(medium: Written) -> None:
    def persona_at(second: float) -> str:
        (turn,) = [t for t in medium.truth.persona_turns if t.start_s <= second < t.end_s]
        return turn.persona_id

    viewer_seconds: Counter[str] = Counter()  # each online.count stands for 5 seconds
    orders: Counter[str] = Counter()
    for event in medium.events:
        if isinstance(event, OnlineCount):
            viewer_seconds[persona_at(medium.seconds(event))] += event.count * 5
        elif isinstance(event, OrderPaid):
            orders[persona_at(medium.seconds(event))] += 1
    conversion = {p: 60 * orders[p] / viewer_seconds[p] for p in STRONG_LIFTS}  # per minute
    assert medium.truth.persona_lift == STRONG_LIFTS
    by_lift = sorted(STRONG_LIFTS, key=STRONG_LIFTS.__getitem__)
    assert sorted(conversion, key=conversion.__getitem__) == by_lift


def test_promoted_product_converts_better_during_its_promo(medium: Written) -> None:
    """Orders per click in the promo vs. the same product under the same persona outside promos."""
    truth = medium.truth
    assert truth.promos
    assert all(p.end_s - p.start_s == 300 for p in truth.promos)

    def persona_at(second: float) -> str:
        (turn,) = [t for t in truth.persona_turns if t.start_s <= second < t.end_s]
        return turn.persona_id

    in_promo = Counter[str]()
    outside = Counter[str]()
    for promo in truth.promos:
        persona = persona_at(promo.start_s)
        for event in medium.events:
            if not isinstance(event, ProductClick | OrderPaid) or event.product_id != (
                promo.product_id
            ):
                continue
            at = medium.seconds(event)
            kind = event_type(event)
            if promo.start_s <= at < promo.end_s:
                in_promo[kind] += 1
            elif persona_at(at) == persona and not any(
                p.start_s <= at < p.end_s + 60 for p in truth.promos
            ):
                outside[kind] += 1
    rate_in = in_promo["order.paid"] / in_promo["product.click"]
    rate_out = outside["order.paid"] / outside["product.click"]
    assert rate_in > 1.2 * rate_out


def test_concurrency_reaches_the_peak_viewers(medium: Written) -> None:
    counts = [e.count for e in medium.events if isinstance(e, OnlineCount)]
    assert 0.7 * 5_000 <= max(counts) <= 1.3 * 5_000
    assert max(counts) == medium.truth.max_online
    assert counts[0] < 0.2 * max(counts), "the room fills up from empty"
    assert counts[-1] < 0.8 * max(counts), "and thins out towards the end"


# A phrase from each concern a viewer of a live-commerce room raises (and that livelens must find).
CONCERN_PHRASES = {
    "price": ("多少钱", "价格"),
    "discount": ("优惠", "券"),
    "size": ("码",),
    "shipping": ("发货", "包邮"),
    "stock": ("还有货", "补货"),
    "quality": ("质量", "材质"),
    "authenticity": ("正品",),
    "how_to_buy": ("怎么买", "链接"),
    "after_sales": ("能退吗", "七天无理由"),
    "chitchat": ("主播好", "晚上好"),
}


@pytest.mark.parametrize(("concern", "phrases"), CONCERN_PHRASES.items())
def test_comments_raise_every_concern(medium: Written, concern: str, phrases: tuple[str]) -> None:
    texts = [e.text for e in medium.events if isinstance(e, Comment)]
    assert medium.truth.comment_concerns[concern] > 0
    assert any(phrase in text for text in texts for phrase in phrases)


def test_praise_and_complaints_come_from_real_reviews(medium: Written) -> None:
    """Opinions are the opening words of real reviews, both positive (1) and negative (0)."""
    by_opening: dict[str, list[tuple[str, str]]] = {}
    with REVIEWS.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            review = row["review"].strip()
            by_opening.setdefault(review[:8], []).append((row["label"], review))
    labels: Counter[str] = Counter()
    for text in {e.text for e in medium.events if isinstance(e, Comment)}:
        for label, review in by_opening.get(text[:8], []):
            if len(text) >= 8 and review.startswith(text):
                labels[label] += 1
                break
    assert labels["1"] >= 20
    assert labels["0"] >= 20
    assert medium.truth.comment_concerns["praise"] > medium.truth.comment_concerns["complaint"] > 0


def test_truth_and_catalog_files_say_what_was_simulated(medium: Written) -> None:
    truth = medium.truth
    assert truth.session_id == "sim-7"
    assert truth.room_id == "sim-room-1"
    assert (truth.seed, truth.minutes, truth.peak_viewers) == (7, 60, 5_000)
    assert truth.start == datetime.fromisoformat("2026-11-11T20:00:00+08:00")
    assert truth.discount_lift == 1.8
    assert truth.orders == truth.event_counts["order.paid"]
    assert sum(truth.comment_concerns.values()) == truth.event_counts["comment"]
    catalog = medium.catalog
    assert 6 <= len(catalog.products) <= 10
    assert {p.persona_id for p in catalog.personas} == set(STRONG_LIFTS)
    for product in catalog.products:
        assert product.floor_price_minor <= product.list_price_minor
        assert product.stock > 0
        assert product.faq
        assert product.shipping


@pytest.mark.parametrize(
    ("minutes", "window"),
    [(60, (10, 25)), (120, (20, 50)), (30, (5, 12)), (5, (1, 2)), (1, (0, 1))],
)
def test_default_peak_window_scales_with_the_session(minutes: int, window: tuple[int, int]) -> None:
    assert default_peak_window(minutes) == window
    truth = build_session(SimulationConfig(minutes=minutes, peak_viewers=10)).truth
    assert (truth.peak_window.start_minute, truth.peak_window.end_minute) == window
    assert truth.persona_lift == {"p-xiaoxue": 1.5, "p-aqiang": 1.0, "p-lingling": 0.8}


@pytest.mark.parametrize(
    ("overrides", "parameter"),
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 2.5}, "minutes"),
        ({"peak_viewers": 0}, "peak_viewers"),
        ({"seed": -1}, "seed"),
        ({"peak_window": (50, 70)}, "peak_window"),
        ({"peak_window": (20, 20)}, "peak_window"),
        ({"peak_window": "10-25"}, "peak_window"),
        ({"hot_product_id": "sku-unknown"}, "hot_product_id"),
        ({"persona_lift": {"p-nobody": 1.2}}, "persona_lift"),
        ({"persona_lift": [("p-xiaoxue", 1.2)]}, "persona_lift"),
        ({"persona_lift": {"p-xiaoxue": 0.0}}, "persona_lift['p-xiaoxue']"),
        ({"discount_lift": -1.0}, "discount_lift"),
        ({"start": datetime(2026, 11, 11, 20)}, "start"),  # noqa: DTZ001 - naive on purpose
        ({"session_id": ""}, "session_id"),
    ],
)
def test_bad_config_names_the_parameter(overrides: dict[str, Any], parameter: str) -> None:
    with pytest.raises(InvalidInput, match=r"simulation parameter") as error:
        build_session(SimulationConfig(**overrides))
    message = str(error.value)
    assert message.startswith(f"simulation parameter {parameter}=")
    assert "expected" in message or "unknown" in message


@pytest.mark.slow
def test_large_room_streams_with_bounded_memory(tmp_path: Path) -> None:
    tracemalloc.start()
    try:
        truth = write_session(
            SimulationConfig(minutes=2, peak_viewers=200_000, seed=3), tmp_path / "big.jsonl"
        )
        _, peak_bytes = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = (tmp_path / "big.jsonl").stat().st_size
    assert 0.7 * 200_000 <= truth.max_online <= 1.3 * 200_000
    assert sum(truth.event_counts.values()) > 500_000
    assert peak_bytes < size / 4, f"peak {peak_bytes / 1e6:.0f} MB for {size / 1e6:.0f} MB written"


def test_event_times_are_timezone_aware_in_the_configured_zone(tmp_path: Path) -> None:
    start = datetime.fromisoformat("2026-06-18T19:30:00+08:00")
    written = simulate(tmp_path, start=start, minutes=2, peak_viewers=20)
    offsets = {e.ts.utcoffset() for e in written.events if isinstance(e.ts, datetime)}
    assert offsets == {timedelta(hours=8)}
    assert written.truth.start == start
    assert written.truth.event_counts["host.persona_switch"] >= 1
