"""The decision sections' renderers on hand-made data: the cases a simulated room does not
produce on its own — a calm session, a price cut and a withheld price with a failing guardrail,
a discount recommendation and a ledger entry this replay did not make, playbooks flagged for
retirement for either reason."""

from __future__ import annotations

import msgspec
from report_session import GENERATED_AT

from livelens.intelligence.elasticity import Estimate, PriceResponse
from livelens.intelligence.price_guardrails import GuardrailCheck
from livelens.intelligence.pricing import PriceSuggestion
from livelens.knowledge.ledger import Entry
from livelens.knowledge.recommender import Recommendation, Uplift
from livelens.knowledge.uplift import Outcome, estimate_uplift
from livelens.reports.decisions.alerts import AlertsSection
from livelens.reports.decisions.pricing import PriceRow, PricingSection
from livelens.reports.decisions.recommendations import RecommendationsSection
from livelens.reports.sections.alerts import alerts as render_alerts
from livelens.reports.sections.pricing import pricing as render_pricing
from livelens.reports.sections.recommendations import recommendations as render_recommendations


def test_a_scored_session_without_alerts_says_nothing_left_its_band() -> None:
    calm = AlertsSection(history=["day-0"], minutes_scored=25, z=3.0, rows=[], stored_only=[])
    html = render_alerts(calm, "CNY")
    assert "已打分的 25 分钟里，没有指标离开预期区间" in html
    assert "No metric left its expected band in the 25 minutes scored" in html
    assert "<table" not in html


def test_a_price_cut_and_a_withheld_suggestion_are_shown_with_their_guardrails() -> None:
    effect = Estimate(value=1.8, low=1.3, high=2.5)
    response = PriceResponse(
        scope="sku-a",
        status="ok",
        reason=None,
        minutes=120,
        orders=80,
        price_changes=2,
        promos=3,
        discount_effect=effect,
        mean_discount_pct=10.0,
        notes=("price elasticity: one live price outside promos",),
    )
    passed = GuardrailCheck(name="floor_price", passed=True, detail="¥90.00 ≥ floor ¥60.00")
    cut = PriceSuggestion(
        product_id="sku-a",
        status="suggested",
        reason="10% off is expected to add the most margin",
        as_of=GENERATED_AT,
        horizon_minutes=15,
        current_price_minor=10_000,
        price_minor=9_000,
        discount_pct=10.0,
        delta_gmv_minor=Estimate(value=5_000, low=-1_000, high=12_000),
        delta_margin_minor=Estimate(value=2_000, low=-500, high=4_000),
        checks=(passed,),
    )
    refused = GuardrailCheck(name="floor_price", passed=False, detail="¥40.00 is below ¥45.00")
    within = GuardrailCheck(name="max_discount", passed=True, detail="20% ≤ 30%")
    withheld = PriceSuggestion(
        product_id="sku-b",
        status="withheld",
        reason="every candidate price fails a guardrail",
        as_of=GENERATED_AT,
        horizon_minutes=15,
        current_price_minor=5_000,
        checks=(within, refused),
    )
    held = msgspec.structs.replace(
        cut,
        product_id="sku-c",
        status="hold",
        reason="a cut to 9000 would be expected to add 300 of margin, but it fails …",
        price_minor=10_000,
        discount_pct=0.0,
        blocked_by=("no_raise_then_discount",),
    )
    section = PricingSection(
        sessions=["day-0", "day-1"],
        max_discount_pct=30.0,
        rows=[
            PriceRow(product_id="sku-a", title="毛衣", response=response, suggestion=cut),
            PriceRow(
                product_id="sku-b", title="<b>马甲</b>", response=response, suggestion=withheld
            ),
            PriceRow(product_id="sku-c", title="卫衣", response=response, suggestion=held),
        ],
    )
    html = render_pricing(section, "CNY")
    assert "×1.80 <small>[1.30 – 2.50]</small> <small>(10% off)</small>" in html
    assert "¥100.00 → ¥90.00 <small>(-10%)</small>" in html
    assert "¥50.00 <small>[¥-10.00 – ¥120.00]</small>" in html
    assert '全部通过 <span class="en">all 1 pass</span> ✓' in html
    assert "暂不建议" in html
    assert '折扣上限 <span class="en">max discount</span> ✓<br>' in html
    assert (
        '底价 <span class="en">floor</span> 未通过 <span class="en">FAIL</span>：¥40.00 is below'
        in html
    )
    assert "&lt;b&gt;马甲&lt;/b&gt;" in html
    # a hold says which guardrail stopped the cut, not "suggested" at 0% off
    assert (
        '维持现价 <span class="en">hold</span><br><small>护栏拦下降价 <span class="en">cut '
        'blocked by</span>：不先涨后降 <span class="en">no raise-then-cut</span></small>' in html
    )
    assert html.count("建议降价") == 1
    assert "基于 2 场直播（day-0, day-1）" in html


def test_a_discount_and_a_ledger_entry_the_replay_did_not_make_are_shown() -> None:
    def made(
        playbook: str,
        minute: int,
        target: dict[str, object],
        evidence: list[dict[str, object]] | None = None,
    ) -> Recommendation:
        return Recommendation(
            recommendation_id=f"s:{playbook}:{minute}",
            session_id="s",
            room_id="r",
            playbook=f"{playbook}@v2",
            priority=90,
            minute=minute,
            start=GENERATED_AT,
            action="flash_discount",
            target=target,
            duration_s=300,
            expected_uplift=Uplift(
                metric="gmv_per_minute",
                value=0.08,
                low=-0.02,
                high=0.18,
                source="ledger",
                basis="2 measured outcome(s), shrunk toward no effect",
            ),
            evidence=evidence or [],
            text_zh="限时9折",
            text_en="10% off for 5 minutes",
        )

    peak = {"check": "condition", "fact": "interaction_peak", "op": "==", "value": True}
    said = {**peak, "observed": True, "zh": "互动高峰：是（条件：是）", "en": "Peak: yes"}
    replayed = made("peak-flash-discount", 20, {"product": "sku-a", "percent": 10.0}, [said])
    # a ledger entry of an older livelens: its evidence without words is worded for the report
    hot = {"check": "condition", "fact": "hot_product", "op": "==", "value": "sku-a"}
    unsaid = {**hot, "observed": "sku-a"}
    older = made("peak-flash-discount", 40, {"product": "sku-a", "price_minor": 8_910}, [unsaid])
    entry = Entry(recommendation=older, fate="expired", fate_by=None, fate_at=None, outcome=None)
    section = RecommendationsSection(
        playbooks=["peak-flash-discount@v3"],
        recommendations=[replayed],
        withheld=[],
        ledger=[entry],
        estimates=[],
    )
    html = render_recommendations(section, {"sku-a": "毛衣"}, "CNY")
    assert "毛衣 <small>sku-a</small> · 9折 <small>10% off</small>" in html
    assert "+8.0% <small>[-2.0%, +18.0%]</small> (ledger)" in html
    assert "未记入台账" in html  # the replayed one was never recorded
    why = '<div class="why">为什么 <span class="en">why</span><ul>'
    assert f'{why}<li>互动高峰：是（条件：是） <span class="en">Peak: yes</span>' in html
    others = html.split("不在本次回放中", 1)[1]
    assert "第41分钟" in others
    assert "¥89.10" in others
    assert "已过期" in others
    assert "<li>爆款商品：毛衣（条件：毛衣） <span" in others
    assert "peak-flash-discount" in html.split("uplift-estimates", 1)[1]


def test_each_playbook_flagged_for_retirement_says_why() -> None:
    def measured(effect: float) -> Outcome:
        return Outcome(
            metric="gmv_per_minute",
            effect=effect,
            se=0.02,
            window_minutes=5,
            pre_minutes=10,
            design="before/after within the session",
        )

    estimates = [
        estimate_uplift("harmful", [measured(-0.3)] * 3),
        estimate_uplift("flat", [measured(0.0)] * 5),
        estimate_uplift("gain", [measured(0.15)] * 4),
    ]
    section = RecommendationsSection(
        playbooks=[], recommendations=[], withheld=[], ledger=[], estimates=estimates
    )
    rows = render_recommendations(section, {}, "CNY").split("uplift-estimates", 1)[1]
    rows_by_playbook = {
        pid: rows.split(pid, 1)[1].split("</tr>", 1)[0] for pid in ("harmful", "flat", "gain")
    }
    assert "retire: its effect is below zero</span>" in rows_by_playbook["harmful"]
    assert "retire: no worthwhile effect</span>" in rows_by_playbook["flat"]
    assert "建议停用" not in rows_by_playbook["gain"]
