"""What exactly a question asks: a topic finer than the comment layer's intent label.

The comment layer says a comment is about shipping; the host needs to know whether it asks the
fee (包邮吗), the dispatch time (什么时候发货), the carrier (发什么快递), a region (新疆包邮吗) or
the arrival date (明天能到吗) — the catalog may hold the first and never the last. Topics are
found by cue patterns on the normalized text (:func:`livelens.comments.normalize.normalize`);
when none matches, the comment layer's label gives the default topic. Each topic belongs to one
intent family (:data:`INTENT_OF`), which is what answers report as ``intent``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Final


class Topic(StrEnum):
    MEDICAL = "medical"  # a health or treatment claim is asked for: never answered by the AI
    COMPARISON = "comparison"
    FUTURE = "future"  # tomorrow's price, the next restock: the catalog only knows now
    PRICE = "price"
    DISCOUNT = "discount"
    COUPON = "coupon"
    GIFT = "gift"
    STOCK = "stock"
    SIZE_ADVICE = "size_advice"  # which size fits me
    SIZES = "sizes"  # which sizes are there
    COLOURS = "colours"
    VARIANT = "variant"  # is there this size / colour
    SPEC = "spec"  # capacity, weight, battery life, age range, origin …
    MATERIAL = "material"
    SHELF_LIFE = "shelf_life"
    PRODUCTION_DATE = "production_date"  # 新日期吗: the batch date, not the shelf life
    SHIPPING_FEE = "shipping_fee"
    DISPATCH = "dispatch"
    CARRIER = "carrier"
    REGION = "region"
    ARRIVAL = "arrival"  # a delivery date: only answered when the catalog states one
    AUTHENTICITY = "authenticity"
    HOW_TO_BUY = "how_to_buy"
    RETURNS = "returns"
    WARRANTY = "warranty"
    QUALITY = "quality"  # anything else about the product: answered from its FAQ
    OTHER = "other"  # answered from the room's or product's FAQ, or escalated


INTENT_OF: Final[dict[Topic, str]] = {
    Topic.MEDICAL: "quality",
    Topic.COMPARISON: "comparison",
    Topic.FUTURE: "other",
    Topic.PRICE: "price",
    Topic.DISCOUNT: "discount",
    Topic.COUPON: "discount",
    Topic.GIFT: "discount",
    Topic.STOCK: "stock",
    Topic.SIZE_ADVICE: "size",
    Topic.SIZES: "size",
    Topic.COLOURS: "stock",
    Topic.VARIANT: "stock",
    Topic.SPEC: "quality",
    Topic.MATERIAL: "quality",
    Topic.SHELF_LIFE: "quality",
    Topic.PRODUCTION_DATE: "quality",
    Topic.SHIPPING_FEE: "shipping",
    Topic.DISPATCH: "shipping",
    Topic.CARRIER: "shipping",
    Topic.REGION: "shipping",
    Topic.ARRIVAL: "shipping",
    Topic.AUTHENTICITY: "authenticity",
    Topic.HOW_TO_BUY: "how_to_buy",
    Topic.RETURNS: "after_sales",
    Topic.WARRANTY: "after_sales",
    Topic.QUALITY: "quality",
    Topic.OTHER: "other",
}

# The default topic of a comment-layer label when no cue pattern matched. Only labels narrow
# enough to say what to answer: "after_sales" also covers invoices, "how_to_buy" payment methods,
# "shipping" rush orders, "stock" a future restock — those are OTHER (an FAQ entry, or a human).
_DEFAULT_OF_LABEL: Final[dict[str, Topic]] = {
    "price": Topic.PRICE,
    "size": Topic.SIZES,
    "quality": Topic.QUALITY,
    "authenticity": Topic.AUTHENTICITY,
    "comparison": Topic.COMPARISON,
}

# Size words: letter sizes and two-digit sizes followed by 码 (waist, shoe).
SIZE_MENTION: Final = re.compile(
    r"(?<![a-z0-9])(xxxl|xxl|xl|xs|[2-6]xl|s|m|l)(?:码|号)?(?![a-z])|(?<!\d)(\d{2})码"
)
# A colour word: one of the basic colour characters followed by 色.
COLOUR_MENTION: Final = re.compile(r"[红橙黄绿青蓝紫黑白灰粉棕咖米杏驼金银藏酒卡]+色")

# (topic, cue pattern) in priority order: the first two distinct topics found are kept.
_CUES: Final[tuple[tuple[Topic, str], ...]] = (
    (Topic.MEDICAL, r"治|疗效|痘|药|病|炎|癌|湿疹|血压|血糖|失眠|祛斑|减肥|瘦身|排毒|伤口|疤"),
    (Topic.COMPARISON, r"哪个好|哪个更|哪款好|哪个划算|区别|差别|对比|比较好|有什么不同|一样吗"),
    (
        Topic.PRICE,
        r"多少钱|价格|价钱|价位|几块钱|到手|怎么卖|咋卖|啥价|什么价|单价|原价|贵不贵|贵吗|(?<![再更能])便宜吗"
        r"|卖多少|要多少",
    ),
    (Topic.FUTURE, r"明天|后天|下次|下周|过几天|改天|返场|下一场|下场|下个月"),
    (Topic.COUPON, r"券|优惠码|红包|满减|满\d+减"),
    (Topic.GIFT, r"赠品|送什么|有送|送不送|赠送|小样|送吗|有没有送|会送"),
    (
        Topic.DISCOUNT,
        r"优惠|打折|折扣|几折|活动|便宜点|便宜些|再便宜|更便宜|福利|秒杀|降价|特价|能便宜|少点"
        r"|划算|折吗",
    ),
    (
        Topic.STOCK,
        r"有货|没货|还有吗|还有没有|库存|售罄|卖完|卖光|补货|还能抢|还能买|剩多少|剩几|还剩|现货"
        r"|断货|抢得到|没了吗|抢完|还有吧|还有么|有库存|多少件|几件",
    ),
    (
        Topic.SIZE_ADVICE,
        r"身高|体重|\d斤|\d\s*kg|公斤|穿什么码|选什么码|穿多大|拍什么码|拍多大|买什么码|选哪个码"
        r"|拍哪个码|穿哪个码|偏大|偏小|码数准|标准码|正码|尺码怎么选|怎么选码|码怎么选|选码|胖|瘦"
        r"|腰围|胸围|肩宽|^1[4-9]\d\W|^1[4-9]\d$",
    ),
    (Topic.SIZES, r"尺码|码数|几个码|什么码|哪些码|多大码|大码|有几码|码全|码子|哪几个码|几种码"),
    (Topic.COLOURS, r"颜色|色号|什么色|几个色|哪些色|配色|几种色|几色|哪几个色"),
    (
        Topic.MATERIAL,
        r"材质|面料|什么料|成分|纯棉|羊绒|羊毛|含量|什么做的|材料|含棉|棉的|涤纶|料子|配料|真丝"
        r"|蚕丝|亚麻|聚酯|氨纶|锦纶|纯[^\W\d]{1,2}的",
    ),
    (Topic.SHELF_LIFE, r"保质期|过期|能放多久|放多久|保存多久|放几天"),
    (Topic.PRODUCTION_DATE, r"生产日期|新日期|日期新|几月份?生产|哪天生产|什么时候生产|新鲜的吗"),
    (
        Topic.ARRIVAL,
        r"(?:几天|多久|多长时间|哪天|什么时候|啥时候|明天|后天|今天|当天|周[一二三四五六日末]"
        r"|礼拜.|\d+号)(?:能|可以|会|就)?(?:送到|收到|到货|送达|到(?!手))|能到(?!手)|到货|送达|几天到"
        r"|多久到|收到|到吗|次日达|隔日达|多久能到|几天能到|寄到.{0,8}几天|要几天到",
    ),
    (Topic.REGION, r"新疆|西藏|青海|内蒙|宁夏|甘肃|海南|港澳台|香港|澳门|台湾|偏远|海外|国外|出国"),
    (Topic.SHIPPING_FEE, r"包邮|运费(?!险)|邮费|邮吗|免邮|邮不邮"),
    (
        Topic.DISPATCH,
        r"发货|发出|几时发|什么时候发|啥时候发|多久发|今天发|今天能发|马上发|现在发|发吗|能发|先发"
        r"|预售|几天发",
    ),
    (Topic.CARRIER, r"快递|顺丰|中通|圆通|韵达|申通|极兔|京东物流|邮政|ems|发什么|冷链"),
    (Topic.AUTHENTICITY, r"正品|真的假的|真货|假货|保真|授权|专柜|官方|旗舰|山寨|假的|高仿"),
    (Topic.WARRANTY, r"保修|质保|保固|坏了|维修|修吗|保多久|保几年"),
    (
        Topic.RETURNS,
        r"退|换货|能换|可以换|换吗|无理由|运费险|不合适怎么办|不喜欢怎么办|不满意",
    ),
    (
        Topic.HOW_TO_BUY,
        r"链接|link|小黄车|购物车|怎么抢|(?:哪里|哪儿|在哪|在哪里|怎么|如何)(?:下单|买|拍|购买)"
        r"|哪个链接|几号链接",
    ),
    (
        Topic.SPEC,
        r"容量|多大|多少ml|毫升|规格|多重|几斤|多少斤|重量|多少克|几克|净含量|分量|续航|用多久"
        r"|待机|充满|几片|几袋|几包|几瓶|几盒|几支|多少片|多少袋|几岁|年龄|产地|哪里产|哪产"
        r"|哪里的|进口|spf|指数|倍数|肤质|油皮|干皮|毫安|mah|功率|快充|几寸|尺寸|屏幕|内存",
    ),
)

# Weak cues count only when no cue above matched: a bare "多少" asks the price, but "腰围多少"
# asks a size; "卫衣几号" asks the link, "几号发货" the dispatch day.
_WEAK_CUES: Final[tuple[tuple[Topic, str], ...]] = (
    (Topic.PRICE, r"多少|几块|几米"),
    (Topic.HOW_TO_BUY, r"几号"),
)

_CUE_PATTERNS: Final = tuple((topic, re.compile(pattern)) for topic, pattern in _CUES)
_WEAK_PATTERNS: Final = tuple((topic, re.compile(pattern)) for topic, pattern in _WEAK_CUES)
_PRIORITY: Final = list(Topic)  # the order of the enum: specific and live facts first

# Reductions: when the key topic is found, the listed ones say the same or less.
_SUBSUMES: Final[dict[Topic, frozenset[Topic]]] = {
    Topic.PRICE: frozenset({Topic.DISCOUNT}),
    Topic.SIZE_ADVICE: frozenset({Topic.SIZES, Topic.VARIANT, Topic.SPEC}),
    Topic.STOCK: frozenset({Topic.VARIANT, Topic.COLOURS}),
    Topic.REGION: frozenset({Topic.SHIPPING_FEE}),
    Topic.ARRIVAL: frozenset({Topic.DISPATCH}),
    Topic.COUPON: frozenset({Topic.DISCOUNT}),
    Topic.GIFT: frozenset({Topic.DISCOUNT}),
    Topic.MATERIAL: frozenset({Topic.SPEC}),
    Topic.SHELF_LIFE: frozenset({Topic.SPEC}),
    Topic.WARRANTY: frozenset({Topic.RETURNS}),
    Topic.RETURNS: frozenset({Topic.SHIPPING_FEE}),  # 退货要运费吗: the return terms answer it
    Topic.PRODUCTION_DATE: frozenset({Topic.SHELF_LIFE}),
}
_SHIPPING_TOPICS: Final = frozenset(
    {Topic.ARRIVAL, Topic.DISPATCH, Topic.SHIPPING_FEE, Topic.CARRIER, Topic.REGION}
)
# Across clauses only an answer that states the other's facts covers it ("多少钱 有优惠吗").
_SUBSUMES_ACROSS: Final[dict[Topic, frozenset[Topic]]] = {
    Topic.PRICE: frozenset({Topic.DISCOUNT}),
    Topic.COUPON: frozenset({Topic.DISCOUNT}),
    Topic.GIFT: frozenset({Topic.DISCOUNT}),
}
MAX_TOPICS: Final = 3
_CLAUSE_BREAK: Final = re.compile(r"[\s,，。.!！?？~～、;；]+")


def clause_topics(
    clause: str, labels: Mapping[str, float], *, variant_found: bool = False
) -> list[Topic]:
    """The topics one clause asks, reduced within the clause; ``[Topic.OTHER]`` when none.

    ``labels`` are the comment layer's intents of the clause; ``variant_found`` says whether it
    names a colour the catalog has ("雾霾蓝"); size words and "X色" words are found here. Within
    a clause, a topic whose answer covers another drops it ("退货要运费吗" asks the returns terms).
    """
    found = [topic for topic, pattern in _CUE_PATTERNS if pattern.search(clause)]
    if not found:
        found = [topic for topic, pattern in _WEAK_PATTERNS if pattern.search(clause)]
    if variant_found or SIZE_MENTION.search(clause) or COLOUR_MENTION.search(clause):
        found.append(Topic.VARIANT)
    if not found:
        found = [_DEFAULT_OF_LABEL[label] for label in labels if label in _DEFAULT_OF_LABEL]
    if Topic.FUTURE in found:
        # "明天能到吗" asks a delivery date; "明天还有这个价吗" asks what the catalog cannot know
        found = [t for t in found if t in _SHIPPING_TOPICS] or [Topic.FUTURE]
    kept = set(found)
    for topic in found:
        kept -= _SUBSUMES.get(topic, frozenset())
    return sorted(kept, key=_PRIORITY.index) or [Topic.OTHER]


def reduce_topics(found: Sequence[tuple[Topic, str]]) -> list[tuple[Topic, str]]:
    """(topic, clause) pairs of a whole comment, reduced and ordered (at most :data:`MAX_TOPICS`).

    A medical question is only medical, a comparison only a comparison; each topic is kept
    once, with the first clause that asked it; OTHER only when nothing else was asked.
    """
    first: dict[Topic, str] = {}
    for topic, clause in found:
        first.setdefault(topic, clause)
    for only in (Topic.MEDICAL, Topic.COMPARISON):
        if only in first:
            return [(only, first[only])]
    kept = set(first)
    for topic in first:
        kept -= _SUBSUMES_ACROSS.get(topic, frozenset())
    if len(kept) > 1:
        kept.discard(Topic.OTHER)
    ordered = sorted(kept, key=_PRIORITY.index)[:MAX_TOPICS]
    return [(topic, first[topic]) for topic in ordered]


def split_clauses(normalized_text: str) -> list[str]:
    """The clauses of a comment: "多少钱 还有货吗" asks two things."""
    return [c for c in _CLAUSE_BREAK.split(normalized_text) if c] or [normalized_text]


def detect_topics(
    normalized_text: str, labels: Mapping[str, float], *, variant_found: bool = False
) -> list[Topic]:
    """The topics a one-clause question asks (what FAQ entries are indexed by). Never empty."""
    found = clause_topics(normalized_text, labels, variant_found=variant_found)
    return [topic for topic, _ in reduce_topics([(t, normalized_text) for t in found])]
