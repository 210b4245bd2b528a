"""Catalog knowledge: loading (JSON, CSV, room file), live updates, versions, price quotes."""

from __future__ import annotations

from pathlib import Path

import pytest
from qa_evaluation import CATALOG, T0_MS

from livelens.errors import InvalidEvent, InvalidReferenceData
from livelens.events.schema import (
    OrderPaid,
    PersonaSwitch,
    PriceChange,
    ProductPin,
    PromoEnd,
    PromoStart,
    StockSet,
)
from livelens.qa.catalog_files import build_products, load_catalog, load_products, load_room
from livelens.qa.knowledge import Catalog, Promo, yuan

ENVELOPE = {"room_id": "r", "session_id": "s", "platform": "sim"}


@pytest.mark.parametrize(
    ("minor", "said"),
    [(9900, "99"), (4990, "49.9"), (12345, "123.45"), (5, "0.05"), (100, "1"), (7920, "79.2")],
)
def test_yuan_is_how_a_host_says_a_price(minor: int, said: str) -> None:
    assert yuan(minor) == said


def test_every_change_bumps_the_version(plain_catalog: Catalog) -> None:
    versions = [plain_catalog.version]
    for event in (
        PriceChange(
            ts=T0_MS, product_id="sku-serum", price_minor=19900, currency="CNY", **ENVELOPE
        ),
        PromoStart(
            ts=T0_MS, promo_id="p1", product_id="sku-hoodie", price_minor=9900, duration_s=300,
            **ENVELOPE,
        ),
        ProductPin(ts=T0_MS, product_id="sku-hoodie", **ENVELOPE),
        PersonaSwitch(ts=T0_MS, persona_id="p-aqiang", **ENVELOPE),
        OrderPaid(
            ts=T0_MS, viewer_id="v1", order_id="o1", product_id="sku-hoodie", quantity=2,
            amount_minor=19800, currency="CNY", **ENVELOPE,
        ),
        PromoEnd(ts=T0_MS + 1000, promo_id="p1", **ENVELOPE),
        StockSet(ts=T0_MS + 2000, product_id="sku-jeans", stock=7, **ENVELOPE),
    ):  # fmt: skip
        assert plain_catalog.apply(event)
        versions.append(plain_catalog.version)
    assert versions == sorted(set(versions))  # strictly increasing
    hoodie = plain_catalog.get("sku-hoodie")
    assert hoodie is not None
    assert hoodie.stock == 1500 - 2
    assert plain_catalog.pinned == "sku-hoodie"
    assert plain_catalog.persona_id == "p-aqiang"
    jeans = plain_catalog.get("sku-jeans")
    assert jeans is not None
    assert (jeans.stock, jeans.version) == (7, plain_catalog.version)


def test_pinning_the_same_product_again_changes_nothing(plain_catalog: Catalog) -> None:
    plain_catalog.pin("sku-hoodie")
    version = plain_catalog.version
    plain_catalog.pin("sku-hoodie")
    assert plain_catalog.version == version


@pytest.mark.parametrize(
    "event",
    [
        PriceChange(ts=T0_MS, product_id="sku-x", price_minor=100, currency="CNY", **ENVELOPE),
        StockSet(ts=T0_MS, product_id="sku-x", stock=5, **ENVELOPE),
    ],
    ids=["price.change", "stock.set"],
)
def test_an_event_about_an_unknown_product_is_rejected(
    plain_catalog: Catalog, event: PriceChange | StockSet
) -> None:
    version = plain_catalog.version
    with pytest.raises(InvalidEvent) as caught:
        plain_catalog.apply(event)
    assert caught.value.reason == "unknown_product"
    assert "sku-x" in caught.value.detail
    assert plain_catalog.version == version


def test_a_promo_price_holds_only_while_the_promo_runs(plain_catalog: Catalog) -> None:
    plain_catalog.start_promo(
        Promo(promo_id="f", product_id="sku-hoodie", started_ms=T0_MS, ends_ms=T0_MS + 300_000,
              price_minor=9900)
    )  # fmt: skip
    during = plain_catalog.quote("sku-hoodie", T0_MS + 60_000)
    assert (during.price_minor, during.promo_remaining_s) == (9900, 240)
    after = plain_catalog.quote("sku-hoodie", T0_MS + 300_000)
    assert (after.price_minor, after.promo) == (18900, None)


def test_promo_end_stops_it_early_and_the_lowest_price_wins(plain_catalog: Catalog) -> None:
    room_wide = Promo(promo_id="all", product_id=None, started_ms=T0_MS, ends_ms=T0_MS + 600_000,
                      discount_pct=10.0)  # fmt: skip
    flash = Promo(promo_id="f", product_id="sku-nuts", started_ms=T0_MS, ends_ms=T0_MS + 600_000,
                  discount_pct=20.0)  # fmt: skip
    plain_catalog.start_promo(room_wide)
    plain_catalog.start_promo(flash)
    assert plain_catalog.quote("sku-nuts", T0_MS).price_minor == 7920
    assert plain_catalog.quote("sku-lipstick", T0_MS).price_minor == 11610  # 10% off 129
    assert plain_catalog.end_promo("f", T0_MS + 1000)
    assert plain_catalog.quote("sku-nuts", T0_MS + 2000).price_minor == 8910
    assert not plain_catalog.end_promo("f", T0_MS + 3000)  # ended already: no new version


def test_stock_set_then_orders_count_down_from_the_new_level(plain_catalog: Catalog) -> None:
    assert plain_catalog.apply(StockSet(ts=T0_MS, product_id="sku-hoodie", stock=3, **ENVELOPE))
    order = OrderPaid(
        ts=T0_MS + 1000, viewer_id="v1", order_id="o1", product_id="sku-hoodie", quantity=2,
        amount_minor=37800, currency="CNY", **ENVELOPE,
    )  # fmt: skip
    assert plain_catalog.apply(order)
    hoodie = plain_catalog.get("sku-hoodie")
    assert hoodie is not None
    assert hoodie.stock == 1
    assert plain_catalog.apply(StockSet(ts=T0_MS + 2000, product_id="sku-hoodie", stock=0,
                                        **ENVELOPE))  # fmt: skip
    hoodie = plain_catalog.get("sku-hoodie")
    assert hoodie is not None
    assert hoodie.stock == 0


def test_stock_updates_and_bad_stock(plain_catalog: Catalog) -> None:
    plain_catalog.set_stock("sku-jeans", 12)
    jeans = plain_catalog.get("sku-jeans")
    assert jeans is not None
    assert jeans.stock == 12
    with pytest.raises(InvalidEvent):
        plain_catalog.set_stock("sku-jeans", -1)


def test_names_come_from_aliases_title_brand_and_head_noun() -> None:
    products = load_products(CATALOG)
    items = {item.product_id: item for item in build_products(products)}
    hoodie = items["sku-hoodie"]
    assert hoodie.name == "卫衣"
    assert {"卫衣", "连帽衫", "男女同款加绒连帽卫衣", "野径"} <= set(hoodie.aliases)
    assert items["sku-powerbank"].link_no == 10
    # a product without explicit aliases is called by its title's head noun
    bare = [p for p in products if p.product_id == "sku-jeans"]
    bare[0].aliases.clear()
    assert build_products(bare)[0].name == "牛仔裤"


def test_csv_catalog(tmp_path: Path) -> None:
    path = tmp_path / "catalog.csv"
    path.write_text(
        "product_id,title,category,list_price,floor_price,stock,shipping,aliases,attr:尺码,"
        "faq:能机洗吗？\n"
        "sku-a,纯棉短袖T恤,服装,59.9,39.9,300,24小时内发货，包邮,T恤|短袖,S|M|L,可以机洗。\n"
        "sku-b,运动袜5双装,服装,29,,1000,,袜子,,\n",
        encoding="utf-8",
    )
    catalog = load_catalog(path)
    first = catalog.get("sku-a")
    second = catalog.get("sku-b")
    assert first is not None
    assert second is not None
    assert first.item.product.list_price_minor == 5990
    assert first.item.product.floor_price_minor == 3990
    assert first.item.product.attributes == {"尺码": ["S", "M", "L"]}
    assert first.item.product.faq[0].answer == "可以机洗。"
    assert first.item.name == "T恤"
    assert second.item.product.floor_price_minor == 2900  # no floor given: the list price


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("product_id,title,category,list_price\nsku-a,T恤,服装,abc\n", "is not a number"),
        ("product_id,title,category,list_price,floor_price\nsku-a,T恤,服装,10,20\n", "floor"),
    ],
)
def test_bad_csv_rows_name_their_line(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "c.csv"
    path.write_text(content, encoding="utf-8")
    with pytest.raises(InvalidReferenceData, match=message) as caught:
        load_catalog(path)
    assert f"{path}:2" in str(caught.value)


def test_room_file_and_missing_files(tmp_path: Path) -> None:
    room = load_room(CATALOG.parent / "room.json")
    assert room.policy.after_sales is not None
    assert len(room.faq) == 3
    with pytest.raises(InvalidReferenceData, match="does not exist"):
        load_catalog(tmp_path / "missing.json")
    bad = tmp_path / "room.json"
    bad.write_text('{"faq": "not a list"}', encoding="utf-8")
    with pytest.raises(InvalidReferenceData, match="room file"):
        load_room(bad)


def test_duplicate_products_are_refused() -> None:
    items = build_products(load_products(CATALOG))
    with pytest.raises(InvalidReferenceData, match="twice"):
        Catalog([items[0], items[0]])


def test_snapshot_lists_the_running_promos(catalog: Catalog) -> None:
    snapshot = catalog.snapshot(T0_MS + 60_000)
    assert {p.promo_id for p in snapshot.promos} == {"flash-hoodie", "flash-nuts"}
    assert catalog.snapshot(T0_MS + 400_000).promos[0].promo_id == "flash-nuts"
    assert snapshot.version == catalog.version
