"""Every kind of evidence item says itself in Chinese and English (``knowledge.evidence_text``)."""

from __future__ import annotations

from typing import Any

import pytest

from livelens.events.reference import Persona, Product
from livelens.knowledge.evidence_text import UpliftFigure, Wording, explain, worded

NAMES = {"sku-hoodie": "加绒卫衣", "p-aqiang": "阿强", "p-xiaoxue": "小雪"}
WORDING = Wording(names=NAMES)


def condition(fact: str, op: str, value: Any, observed: Any) -> dict[str, Any]:
    return {"check": "condition", "fact": fact, "op": op, "value": value, "observed": observed}


@pytest.mark.parametrize(
    ("check", "zh", "en"),
    [
        (
            condition("interaction_peak", "==", True, True),
            "互动高峰：是（条件：是）",
            "Interaction peak: yes (needs: yes)",
        ),
        (
            condition("hot_product.stock", ">", 100, 3942),
            "爆款商品库存 3942（条件 > 100）",
            "Hot product stock 3,942 (needs > 100)",
        ),
        (
            condition("concern_share.price", ">=", 0.15, 0.155),
            "价格关注占比 15.5%（条件 ≥ 15%）",
            "Share of questions about price 15.5% (needs ≥ 15%)",
        ),
        (
            condition("concern_share.size", ">=", 0.25, 0.4),
            "尺码关注占比 40%（条件 ≥ 25%）",
            "Share of questions about size and fit 40% (needs ≥ 25%)",
        ),
        (
            condition("minute", ">=", 15, 21),
            "已开播 21 分钟（条件 ≥ 15 分钟）",
            "On air for 21 min (needs ≥ 15 min)",
        ),
        (
            condition("interaction_index", "<", 0.7, 0.685),
            "互动为本场平均的 0.685 倍（条件 < 0.7 倍）",
            "Interaction vs the session's usual 0.685× (needs < 0.7×)",
        ),
        (
            condition("promo_running", "!=", True, False),
            "促销进行中：否（条件：不是是）",
            "Promotion running: no (needs: not yes)",
        ),
        (
            condition("alert_open.conversion", "==", "below", "below"),
            "转化率异常告警：低于预期（条件：低于预期）",
            "Open alert on conversion: below expected (needs: below expected)",
        ),
        (
            condition("hot_product", "==", "sku-hoodie", "sku-hoodie"),
            "爆款商品：加绒卫衣（条件：加绒卫衣）",
            "Hot product: 加绒卫衣 (needs: 加绒卫衣)",
        ),
        (
            condition("hot_product.gmv_share", ">=", 0.3, None),
            "爆款商品 GMV 占比 暂无数据（条件 ≥ 30%）",
            "Hot product's share of GMV no data yet (needs ≥ 30%)",
        ),
    ],
)
def test_a_condition_names_the_fact_what_it_was_and_what_it_needs(
    check: dict[str, Any], zh: str, en: str
) -> None:
    assert explain(check, WORDING) == (zh, en)


def test_an_unknown_fact_is_named_by_its_key_and_still_reads() -> None:
    assert explain(condition("returns_rate_10m", "<=", 0.05, 0.031), WORDING) == (
        "指标 returns_rate_10m：0.031（条件 ≤ 0.05）",
        "returns_rate_10m: 0.031 (needs ≤ 0.05)",
    )
    assert explain(condition("vip_in_room", "==", True, True), WORDING) == (
        "指标 vip_in_room：是（条件：是）",
        "vip_in_room: yes (needs: yes)",
    )
    # an unknown concern label and alert metric are named by their suffix
    zh, en = explain(condition("concern_share.colour", ">=", 0.2, 0.25), WORDING)
    assert (zh, en) == (
        "「colour」关注占比 25%（条件 ≥ 20%）",
        "Share of questions about colour 25% (needs ≥ 20%)",
    )
    zh, en = explain(condition("alert_open.returns", "==", "above", "above"), WORDING)
    assert zh == "returns异常告警：高于预期（条件：高于预期）"


def test_a_licence_says_whose_and_who_was_passed_over() -> None:
    check = {"check": "licence", "persona": "p-aqiang", "passed": True, "refused": {}}
    assert explain(check, WORDING) == (
        "阿强的肖像许可有效（本直播间、平台、品类、时间）",
        "The likeness licence of 阿强 is valid (this room, platform, category and time)",
    )
    replaced = {**check, "refused": {"p-xiaoxue": ["revoked"]}}
    zh, en = explain(replaced, WORDING)
    assert zh.endswith("；小雪不能上播（授权已撤销），改用阿强")
    assert en.endswith("; 小雪 may not appear (the licence was revoked), so 阿强 instead")
    human = Wording(names=NAMES, exempt={"p-aqiang"})
    assert explain(check, human)[0] == "阿强是真人主播，无需肖像许可"


PASSED = [
    {"name": "floor_price", "passed": True, "detail": "price 5571 vs floor 4990"},
    {"name": "max_discount", "passed": True, "detail": "10.0% off reference 6190 (max 20%)"},
    {"name": "reference_price", "passed": True, "detail": "reference 6190; …"},
    {"name": "no_raise_then_discount", "passed": True, "detail": "0 raise(s) …"},
]
DISCOUNT = {
    "check": "price",
    "price_minor": 6_190,
    "floor_price_minor": 4_990,
    "asked_percent": 10.0,
    "max_discount_percent": 20.0,
    "offered_percent": 10.0,
    "new_price_minor": 5_571,
    "reference_price_minor": 6_190,
    "guardrails": PASSED,
    "passed": True,
}


def test_a_price_check_that_passed_gives_the_floor_the_new_price_and_the_reference() -> None:
    assert explain(DISCOUNT, WORDING) == (
        "价格检查通过：底价 49.90 元，折后 55.71 元（9折，上限 20%），划线价 61.90 元为真实成交价，"
        "近30天未先涨后降",
        "Price checks passed: floor ¥49.90, ¥55.71 after 10% off (max 20%), the struck-through "
        "price ¥61.90 was really paid, no raise-then-discount in the last 30 days",
    )
    unreferenced = {**DISCOUNT, "reference_price_minor": None}
    assert "不显示划线价" in explain(unreferenced, WORDING)[0]
    assert "no struck-through price shown" in explain(unreferenced, WORDING)[1]


def test_a_failed_price_check_says_which_guardrail_failed() -> None:
    rails = list(PASSED)
    rails[3] = {"name": "no_raise_then_discount", "passed": False, "detail": "1 raise(s) …"}
    rails[0] = {"name": "floor_price", "passed": False, "detail": "price 4500 vs floor 4990"}
    failed = {**DISCOUNT, "new_price_minor": 4_500, "guardrails": rails, "passed": False}
    assert explain(failed, WORDING) == (
        "价格检查未通过：45.00 元低于底价 49.90 元；近30天内涨过价，不能再降价（先涨后降）",
        "Price check failed: ¥45.00 is below the floor ¥49.90; the price was raised in the last "
        "30 days: no discount after a raise",
    )


def test_a_coupon_price_check_names_the_product_and_the_price_left_to_pay() -> None:
    coupon = {
        "check": "price",
        "product": "sku-hoodie",
        "price_minor": 9_900,
        "amount_minor": 2_000,
        "effective_price_minor": 7_900,
        "floor_price_minor": 6_000,
        "guardrails": [{"name": "floor_price", "passed": True, "detail": "price 7900 vs floor"}],
        "passed": True,
    }
    assert explain(coupon, WORDING) == (
        "价格检查通过：「加绒卫衣」减 20.00 元后 79.00 元，不低于底价 60.00 元，近30天未先涨后降",
        'Price checks passed: "加绒卫衣" at ¥79.00 after ¥20.00 off, not below the floor ¥60.00, '
        "no raise-then-discount in the last 30 days",
    )
    dollars = Wording(names=NAMES, currencies={"sku-hoodie": "USD"})
    assert "$79.00" in explain(coupon, dollars)[0]
    below = {
        **coupon,
        "effective_price_minor": 5_000,
        "guardrails": [{"name": "floor_price", "passed": False, "detail": "price 5000 vs 6000"}],
        "passed": False,
    }
    assert explain(below, WORDING)[0] == "价格检查未通过（「加绒卫衣」）：50.00 元低于底价 60.00 元"


def test_the_uplift_is_the_ledgers_figure_or_honestly_none() -> None:
    unknown = {"check": "uplift", "source": "unknown", "basis": "no measured outcome …"}
    assert explain(unknown, WORDING) == (
        "预期提升：暂无测量（接受后可测量）",
        "Expected uplift: not measured yet (accept it to measure it)",
    )
    ledger = {"check": "uplift", "source": "ledger", "basis": "4 measured outcome(s), …"}
    figure = Wording(uplift=UpliftFigure(value=0.08, low=0.01, high=0.15, outcomes=4))
    assert explain(ledger, figure) == (
        "预期提升：每分钟 GMV +8.0%（95% 区间 +1.0% ~ +15.0%，来自提升台账 4 次实测，向零收缩）",
        "Expected uplift: +8.0% GMV per minute (95% interval +1.0% to +15.0%; 4 measured "
        "outcomes in the ledger, shrunk toward no effect)",
    )
    assert explain(ledger)[0] == "预期提升：来自提升台账（4 measured outcome(s), …）"


def test_worded_keeps_the_data_and_the_wording_knows_the_catalog() -> None:
    products = {
        "sku-hoodie": Product(
            product_id="sku-hoodie",
            title="加绒卫衣",
            category="服饰",
            list_price_minor=9_900,
            floor_price_minor=6_000,
        )
    }
    personas = {"p-li": Persona(persona_id="p-li", display_name="李姐", kind="human")}
    wording = Wording.of(products, personas, {"p-li": "主播李姐"})
    assert wording.names == {"sku-hoodie": "加绒卫衣", "p-li": "主播李姐"}
    assert set(wording.exempt) == {"p-li"}
    check = condition("pinned_product", "==", "sku-hoodie", "sku-hoodie")
    item = worded(check, wording)
    assert {k: v for k, v in item.items() if k not in ("zh", "en")} == check
    assert item["zh"] == "讲解中的商品：加绒卫衣（条件：加绒卫衣）"
    odd = {"check": "stock_reserved", "units": 3}
    assert explain(odd) == ("检查「stock_reserved」：units=3", 'Check "stock_reserved": units=3')
