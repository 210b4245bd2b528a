"""The catalog facts that answer one topic about one product (or the room), or what is missing.

:func:`gather` returns :class:`Found` — the name of the template to fill and the facts to fill it
with, every one read from the catalog state — or :class:`Missing` with the reason, which sends
the question to a human. A fact the catalog does not state is never filled in: a shipping text
that names no arrival time cannot answer "明天能到吗"; a price below the product's floor price is
treated as a data error, not quoted.
"""

from __future__ import annotations

import math
import re
from typing import Final, NamedTuple

from livelens.qa.faq import FaqIndex, FaqMatch
from livelens.qa.knowledge import Catalog, ProductState, RoomPolicy, yuan
from livelens.qa.resolve import COLOUR_KEYS, SIZE_KEYS, Variants, mentioned_variants
from livelens.qa.topics import Topic

Facts = dict[str, str]


class Found(NamedTuple):
    template: str
    facts: Facts


class Missing(NamedTuple):
    reason: str


# Topics a room policy or the room FAQ can answer without knowing the product.
ROOM_TOPICS: Final = frozenset(
    {
        Topic.COUPON,
        Topic.GIFT,
        Topic.SHIPPING_FEE,
        Topic.DISPATCH,
        Topic.CARRIER,
        Topic.REGION,
        Topic.AUTHENTICITY,
        Topic.HOW_TO_BUY,
        Topic.RETURNS,
        Topic.WARRANTY,
        Topic.OTHER,
    }
)

MATERIAL_KEYS: Final = ("材质", "面料", "成分", "主要成分", "配料", "材料", "填充物")
_SHELF_LIFE_KEYS: Final = ("保质期",)
_PRODUCTION_DATE_KEYS: Final = ("生产日期",)
_SIZE_CHART_KEYS: Final = ("尺码建议", "尺码表", "尺码参考")
_WARRANTY_KEYS: Final = ("保修", "质保", "保修期")
_GIFT_KEYS: Final = ("赠品",)
# Spec questions: cue → the attribute keys that answer it, in preference order.
_SPEC_CUES: Final[tuple[tuple[re.Pattern[str], tuple[str, ...]], ...]] = tuple(
    (re.compile(cue), keys)
    for cue, keys in (
        (r"续航|待机|充满", ("续航",)),
        (r"用多久|能用几|放多久", ("续航", "保质期")),
        (r"容量|毫升|ml|mah|毫安", ("容量", "规格", "净含量")),
        (r"多重|几斤|多少斤|重量|多少克|几克|净含量|分量", ("净含量", "重量", "规格")),
        (r"几片|几袋|几包|几瓶|几盒|几支|多少片|多少袋|多少支|几个", ("规格", "数量")),
        (r"几岁|年龄", ("适用年龄", "适读年龄")),
        (r"产地|哪里产|哪产|哪里的|进口", ("产地",)),
        (r"spf|防晒指数|倍数", ("防晒指数",)),
        (r"肤质|油皮|干皮", ("适用肤质",)),
        (r"功率|快充", ("输出功率", "快充")),
        (r"几寸|尺寸|屏幕", ("屏幕", "尺寸")),
        (r"内存|存储", ("存储", "内存")),
        (r"多大", ("规格", "容量", "尺寸")),
    )
)
_FEE: Final = re.compile(r"包邮|运费|邮费|免邮")
_DISPATCH: Final = re.compile(r"发货|发出|当天发|现货|预售|发走")
_CARRIER: Final = re.compile(r"快递|顺丰|中通|圆通|韵达|申通|极兔|京东|邮政|ems|冷链")
_ARRIVAL: Final = re.compile(r"次日达|隔日达|当日达|送达|天内?到|到货|天可到")
_REGIONS: Final = re.compile(
    r"新疆|西藏|青海|内蒙古?|宁夏|甘肃|海南|港澳台|香港|澳门|台湾|偏远|海外|国外|出国"
)
_REMOTE: Final = re.compile(r"偏远|除外|不发|不包邮")
# Beyond the mainland: "全国包邮（偏远地区除外）" says nothing about them; only naming them does.
_ABROAD: Final = re.compile(r"港澳台|香港|澳门|台湾|海外|国外|出国")
_END: Final = "。.!！；;，, "


class Context(NamedTuple):
    catalog: Catalog
    state: ProductState | None  # None: no product resolved (room-level answers only)
    text: str  # the question, normalized
    at_ms: int
    faq: FaqIndex
    variants: Variants | None
    other_colours: frozenset[str] = frozenset()


def _joined(value: list[str] | str, sep: str = "、") -> str:
    return sep.join(value) if isinstance(value, list) else value


def _attribute(state: ProductState, keys: tuple[str, ...]) -> tuple[str, str] | None:
    attributes = state.item.product.attributes
    for key in keys:
        if key in attributes:
            return key, _joined(attributes[key])
    return None


def _base(state: ProductState) -> Facts:
    return {"product": state.item.name}


def _said(text: str) -> str:
    """A catalog text as the host says it: without its closing punctuation."""
    return text.strip().rstrip(_END)


def _faq(match: FaqMatch | None, state: ProductState | None) -> Found | None:
    if match is None:
        return None
    facts = {"faq_question": match.entry.question, "faq_answer": _said(match.entry.answer)}
    if match.product_id is not None and state is not None:
        return Found("faq", _base(state) | facts)
    return Found("room_faq", facts)


def _policy(policy: RoomPolicy, field: str) -> Found | None:
    text = getattr(policy, field)
    return Found("policy", {"policy": _said(text)}) if text else None


def _unit(currency: str) -> str:
    return "元" if currency == "CNY" else currency


def _price(ctx: Context, state: ProductState, topic: Topic) -> Found | Missing:
    """Price and discount answers: the promo price and its remaining time, else the live price."""
    quote = ctx.catalog.quote(state.item.product_id, ctx.at_ms)
    if quote.price_minor < quote.floor_price_minor:
        return Missing("price_below_floor")
    facts = _base(state) | {"price_yuan": yuan(quote.price_minor), "unit": _unit(quote.currency)}
    prefix = "discount" if topic is Topic.DISCOUNT else "price"
    if quote.price_minor >= quote.list_price_minor:
        return Found(f"{prefix}_none" if topic is Topic.DISCOUNT else "price_plain", facts)
    facts["list_price_yuan"] = yuan(quote.list_price_minor)
    promo = quote.promo
    if promo is not None and quote.promo_remaining_s is not None:
        facts["promo_remaining_min"] = str(max(1, math.ceil(quote.promo_remaining_s / 60)))
        if promo.product_id is None and promo.discount_pct is not None:
            facts["discount"] = _discount_words(promo.discount_pct)
            return Found(f"{prefix}_room_promo", facts)
        return Found(f"{prefix}_promo", facts)
    facts["saving_yuan"] = yuan(quote.list_price_minor - quote.price_minor)
    return Found(f"{prefix}_reduced", facts)


def _discount_words(pct: float) -> str:
    """20 → "8折", 15 → "8.5折": how a Chinese host says a percentage off."""
    tenths = round((100.0 - pct) / 10.0, 1)
    return f"{tenths:g}折"


def _variants(ctx: Context, state: ProductState, with_stock: bool) -> Found | Missing:
    variants = ctx.variants or Variants({}, {})
    mentions = mentioned_variants(ctx.text, variants, ctx.other_colours)
    facts = _base(state)
    if with_stock:
        if state.stock <= 0:
            return Found("stock_out", facts)
        facts["stock"] = str(state.stock)
    for mention in mentions:
        options = variants.sizes if mention.kind == "size" else variants.colours
        if not options:
            return Missing(f"fact_missing:{mention.kind}s")
        listing = _listing(state, mention.kind)
        if mention.value is None:
            facts[f"{mention.kind}s"] = listing
            if mention.kind == "colour":
                facts["asked"] = mention.asked
                return Found("colour_absent", facts)
            return Found("size_absent", facts)
        facts["variant"] = mention.value + ("码" if mention.kind == "size" else "")
        return Found("stock_variant" if with_stock else "variant_has", facts)
    if with_stock:
        return Found("stock", facts)
    return Missing("intent_unclear")


def _listing(state: ProductState, kind: str) -> str:
    keys = SIZE_KEYS if kind == "size" else COLOUR_KEYS
    found = _attribute(state, keys)
    if found is None:
        return ""
    return _joined(state.item.product.attributes[found[0]], "/" if kind == "size" else "、")


def _shipping(ctx: Context, state: ProductState | None, topic: Topic) -> Found | Missing:
    texts = []
    if state is not None and state.item.product.shipping:
        texts.append(("product", state.item.product.shipping))
    if ctx.catalog.room.policy.shipping:
        texts.append(("room", ctx.catalog.room.policy.shipping))
    for scope, text in texts:
        if topic is Topic.SHIPPING_FEE:
            ok = _FEE.search(text) is not None
        elif topic is Topic.DISPATCH:
            ok = _DISPATCH.search(text) is not None
        elif topic is Topic.CARRIER:
            ok = _CARRIER.search(text) is not None
        elif topic is Topic.ARRIVAL:
            ok = _ARRIVAL.search(text) is not None
        else:  # REGION: the region asked is named, or the terms say which areas are excluded
            asked = _REGIONS.search(ctx.text)
            named = asked is not None and asked.group() in text
            abroad = asked is not None and _ABROAD.match(asked.group()) is not None
            ok = named or (not abroad and _REMOTE.search(text) is not None)
        if ok:
            if scope == "product" and state is not None:
                return Found("shipping", _base(state) | {"shipping": _said(text)})
            return Found("policy", {"policy": _said(text)})
    reasons = {
        Topic.SHIPPING_FEE: "shipping_fee",
        Topic.DISPATCH: "dispatch_time",
        Topic.CARRIER: "carrier",
        Topic.ARRIVAL: "delivery_date",
        Topic.REGION: "shipping_region",
    }
    return Missing(f"fact_missing:{reasons[topic]}")


def _spec(ctx: Context, state: ProductState) -> Found | None:
    attributes = state.item.product.attributes
    keys: list[str] = [key for key in attributes if len(key) >= 2 and key in ctx.text]
    for cue, cue_keys in _SPEC_CUES:
        if cue.search(ctx.text):
            keys += [k for k in cue_keys if k in attributes]
    if not keys:
        return None
    key = keys[0]
    if key in _SHELF_LIFE_KEYS:  # "口红能用多久": the shelf life, said as the shelf-life answer
        return Found("shelf_life", _base(state) | {"shelf_life": _joined(attributes[key])})
    return Found("spec", _base(state) | {"spec_key": key, "spec_value": _joined(attributes[key])})


def _product_fact(
    state: ProductState, keys: tuple[str, ...], template: str, name: str
) -> Found | None:
    found = _attribute(state, keys)
    if found is None:
        return None
    return Found(template, _base(state) | {f"{name}_key": found[0], name: found[1]})


def gather(topic: Topic, ctx: Context) -> Found | Missing:
    """The facts answering ``topic`` for the context's product (or room), or why there are none."""
    result = _gather(topic, ctx)
    if ctx.state is None and isinstance(result, Missing) and result.reason.startswith("fact_"):
        return Missing("product_unresolved")  # the room does not know; the product might
    return result


def _gather(topic: Topic, ctx: Context) -> Found | Missing:
    state = ctx.state
    policy = ctx.catalog.room.policy
    pid = state.item.product_id if state is not None else None
    if topic is Topic.MEDICAL:
        return Missing("medical_claim")
    if topic is Topic.COMPARISON:
        return Missing("comparison")
    if topic is Topic.FUTURE:
        return Missing("fact_missing:future_terms")
    if state is None and topic not in ROOM_TOPICS:
        return Missing("product_unresolved")
    faq = ctx.faq.match(ctx.text, pid, topic)
    if topic in (Topic.SHIPPING_FEE, Topic.DISPATCH, Topic.CARRIER, Topic.ARRIVAL, Topic.REGION):
        return _shipping(ctx, state, topic)
    if topic is Topic.HOW_TO_BUY:
        if state is not None:
            facts = _base(state) | {"link_no": str(state.item.link_no)}
            if policy.how_to_buy:
                return Found("link_policy", facts | {"policy": policy.how_to_buy})
            return Found("link", facts)
        return _policy(policy, "how_to_buy") or Missing("product_unresolved")
    if topic in (Topic.AUTHENTICITY, Topic.RETURNS, Topic.COUPON):
        field = {Topic.AUTHENTICITY: "authenticity", Topic.RETURNS: "after_sales"}.get(
            topic, "coupon"
        )
        return _faq(faq, state) or _policy(policy, field) or Missing(f"fact_missing:{field}")
    if topic is Topic.WARRANTY:
        found = (
            _product_fact(state, _WARRANTY_KEYS, "warranty", "warranty")
            if state is not None
            else None
        )
        return found or _faq(faq, state) or _policy(policy, "warranty") or _missing("warranty")
    if topic is Topic.GIFT:
        found = _product_fact(state, _GIFT_KEYS, "gift", "gift") if state is not None else None
        return found or _faq(faq, state) or _policy(policy, "gift") or _missing("gift")
    if topic is Topic.OTHER:
        return _faq(faq, state) or Missing("intent_unclear")
    if state is None:  # every other topic needs a product (checked above; for mypy)
        return Missing("product_unresolved")
    if topic in (Topic.PRICE, Topic.DISCOUNT):
        return _price(ctx, state, topic)
    if topic is Topic.STOCK:
        return _variants(ctx, state, with_stock=True)
    if topic is Topic.VARIANT:
        return _variants(ctx, state, with_stock=False)
    if topic is Topic.SIZES:
        listing = _listing(state, "size")
        return Found("sizes", _base(state) | {"sizes": listing}) if listing else _missing("sizes")
    if topic is Topic.COLOURS:
        listing = _listing(state, "colour")
        if listing:
            return Found("colours", _base(state) | {"colours": listing})
        return _missing("colours")
    if topic is Topic.SIZE_ADVICE:
        chart = _product_fact(state, _SIZE_CHART_KEYS, "size_chart", "size_chart")
        return _faq(faq, state) or chart or _missing("size_chart")
    if topic is Topic.MATERIAL:
        material = _product_fact(state, MATERIAL_KEYS, "material", "material")
        return material or _faq(faq, state) or _missing("material")
    if topic is Topic.PRODUCTION_DATE:
        made = _product_fact(state, _PRODUCTION_DATE_KEYS, "production_date", "production_date")
        return made or _faq(faq, state) or _missing("production_date")
    if topic is Topic.SHELF_LIFE:
        shelf = _product_fact(state, _SHELF_LIFE_KEYS, "shelf_life", "shelf_life")
        return shelf or _faq(faq, state) or _missing("shelf_life")
    if topic is Topic.SPEC:
        return _spec(ctx, state) or _faq(faq, state) or _missing("spec")
    return _faq(faq, state) or _missing("faq")  # QUALITY


def _missing(fact: str) -> Missing:
    return Missing(f"fact_missing:{fact}")
