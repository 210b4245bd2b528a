"""Answers as templates filled with catalog facts, in the persona's voice. No free text.

Each template names the facts it states (``{price_yuan}``, ``{stock}`` …) and nothing else can
appear in it: :func:`render` fills one and returns the facts it used, which is what an answer
record reports. :func:`phrase` wraps the bodies in the persona's style — a greeting for one
asker, "好几位宝宝都在问…" when one answer covers several — from :data:`STYLES`, a small table
(persona id → greeting, greeting for many, closing particle). Chinese first; the styles and
templates hold no digits, so every number said comes from a fact.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from typing import Final, NamedTuple

from livelens.qa.facts import Facts, Found
from livelens.qa.topics import Topic

TEMPLATES: Final[dict[str, str]] = {
    "price_plain": "{product}现在{price_yuan}{unit}",
    "price_reduced": "{product}直播间价{price_yuan}{unit}，原价{list_price_yuan}{unit}",
    "price_promo": (
        "{product}现在到手价{price_yuan}{unit}，原价{list_price_yuan}{unit}，"
        "限时还剩{promo_remaining_min}分钟"
    ),
    "price_room_promo": (
        "现在全场{discount}，{product}到手价{price_yuan}{unit}，原价{list_price_yuan}{unit}，"
        "限时还剩{promo_remaining_min}分钟"
    ),
    "discount_none": "{product}现在没有限时活动，直播间价{price_yuan}{unit}",
    "discount_reduced": (
        "{product}直播间价{price_yuan}{unit}，比原价{list_price_yuan}{unit}便宜{saving_yuan}{unit}"
    ),
    "discount_promo": (
        "{product}正在限时优惠，到手价{price_yuan}{unit}，原价{list_price_yuan}{unit}，"
        "还剩{promo_remaining_min}分钟"
    ),
    "discount_room_promo": (
        "现在全场{discount}，{product}到手价{price_yuan}{unit}，还剩{promo_remaining_min}分钟"
    ),
    "stock": "{product}还有货，库存{stock}件",
    "stock_out": "{product}已经卖完了，暂时没有库存",
    "stock_variant": "{product}有{variant}，目前总库存{stock}件",
    "variant_has": "有的，{product}有{variant}",
    "size_absent": "{product}没有这个码，现在有{sizes}码",
    "colour_absent": "{product}没有{asked}，现在有{colours}",
    "sizes": "{product}有{sizes}码",
    "colours": "{product}有{colours}",
    "size_chart": "{product}尺码参考：{size_chart}",
    "spec": "{product}{spec_key}：{spec_value}",
    "material": "{product}{material_key}：{material}",
    "shelf_life": "{product}保质期{shelf_life}",
    "production_date": "{product}{production_date_key}：{production_date}",
    "warranty": "{product}{warranty_key}：{warranty}",
    "gift": "{product}赠品：{gift}",
    "shipping": "{product}{shipping}",
    "policy": "{policy}",
    "faq": "{product}：{faq_answer}",
    "room_faq": "{faq_answer}",
    "link": "{product}在小黄车{link_no}号链接",
    "link_policy": "{product}在小黄车{link_no}号链接，{policy}",
}

# What several viewers asked, for the merged answer ("好几位宝宝都在问卫衣的价格").
SUBJECTS: Final[dict[Topic, str]] = {
    Topic.PRICE: "{product}的价格",
    Topic.DISCOUNT: "{product}的优惠",
    Topic.STOCK: "{product}还有没有货",
    Topic.SIZES: "{product}的尺码",
    Topic.SIZE_ADVICE: "{product}的尺码",
    Topic.VARIANT: "{product}的款式",
    Topic.COLOURS: "{product}的颜色",
    Topic.SHIPPING_FEE: "{product}包不包邮",
    Topic.DISPATCH: "{product}什么时候发货",
    Topic.CARRIER: "{product}发什么快递",
    Topic.REGION: "{product}的发货地区",
    Topic.MATERIAL: "{product}的材质",
    Topic.SPEC: "{product}的规格",
    Topic.SHELF_LIFE: "{product}的保质期",
    Topic.PRODUCTION_DATE: "{product}的生产日期",
    Topic.HOW_TO_BUY: "{product}怎么买",
    Topic.RETURNS: "退换货",
    Topic.WARRANTY: "{product}的保修",
    Topic.AUTHENTICITY: "是不是正品",
}
_DEFAULT_SUBJECT: Final = "这个问题"
_TRAILING: Final = "。.!！~～ ；;，,"


class Style(NamedTuple):
    greeting: str  # to one asker
    many: str  # to several askers at once
    particle: str  # closing particle


STYLES: Final[dict[str, Style]] = {
    "default": Style("宝宝", "好几位宝宝", "哦"),
    "p-xiaoxue": Style("宝宝", "好几位宝宝", "呀"),
    "p-aqiang": Style("家人", "好几位家人", "哈"),
    "p-lingling": Style("亲", "好几位亲", "哦"),
}


def style_for(persona_id: str | None) -> Style:
    return STYLES.get(persona_id or "default", STYLES["default"])


def _fields(template: str) -> list[str]:
    return [name for _, name, _, _ in string.Formatter().parse(template) if name]


class Rendered(NamedTuple):
    body: str
    facts: Facts  # exactly the facts the body states


def render(found: Found) -> Rendered:
    """Fill a template with its facts; the facts returned are the ones it states."""
    template = TEMPLATES[found.template]
    used = {name: found.facts[name] for name in _fields(template)}
    body = template.format_map(used).strip().rstrip(_TRAILING)
    return Rendered(body, used)


def phrase(
    bodies: Sequence[str],
    style: Style,
    *,
    askers: int = 1,
    topic: Topic | None = None,
    facts: Mapping[str, str] | None = None,
) -> str:
    """The sentence the host says: greeting (or "好几位…都在问…"), the bodies, the particle."""
    body = "；".join(b.rstrip(_TRAILING) for b in bodies)
    if askers > 1:
        subject = SUBJECTS.get(topic, _DEFAULT_SUBJECT) if topic is not None else _DEFAULT_SUBJECT
        if "{product}" in subject:
            product = (facts or {}).get("product")
            subject = subject.format(product=product) if product else _DEFAULT_SUBJECT
        return f"{style.many}都在问{subject}，{body}{style.particle}"
    return f"{style.greeting}，{body}{style.particle}"
