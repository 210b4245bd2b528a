"""The simulated room's catalog and persona registry, and how strongly each product draws clicks.

Prices span one order of magnitude (¥49.9 to ¥899) as in a typical mixed-category AI-host room.
Every product carries what viewers ask about (sizes or specifications, material, shipping, FAQ)
so that simulated questions can be answered from the catalog it ships with.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Final

import msgspec
import numpy as np
import numpy.typing as npt

from livelens.events.reference import FaqEntry, Persona, Product

# Stock is sized so that no product sells out: a sell-out would cap the hot product's orders
# and blur the ground truth that detectors are tested against.
_VIEWERS_PER_STOCK_UNIT: Final = 2_000
# How far the hot product's expected clicks and expected GMV lead the next product's. GMV needs
# the wider lead: price cuts, promos and pins fall unevenly on products within one session.
HOT_CLICK_MARGIN: Final = 2.0
HOT_GMV_MARGIN: Final = 3.0

PERSONAS: Final[tuple[Persona, ...]] = (
    Persona(
        persona_id="p-xiaoxue",
        display_name="小雪",
        talent="talent-7f3a",
        licence_id="lic-2026-0101",
        kind="virtual",
    ),
    Persona(
        persona_id="p-aqiang",
        display_name="阿强",
        talent="talent-91c2",
        licence_id="lic-2026-0102",
        kind="face_swap",
    ),
    Persona(
        persona_id="p-lingling",
        display_name="玲玲",
        talent="talent-3d08",
        licence_id="lic-2026-0103",
        kind="virtual",
    ),
)

_SEVEN_DAYS = FaqEntry(question="能退吗？", answer="支持七天无理由退换，赠送运费险。")
_GENUINE = FaqEntry(question="是正品吗？", answer="品牌官方授权，假一赔十。")


@dataclass(frozen=True, slots=True)
class ProductSpec:
    """A catalog product plus what the simulator needs to make viewers talk about it."""

    product: Product
    short_name: str  # how viewers call it in comments
    review_category: str | None  # the `cat` of the reviews corpus whose opinions fit it
    appeal: float  # relative click-through when shown, before the hot product is boosted
    sizes: tuple[str, ...] = ()
    quality_questions: tuple[str, ...] = ()


def _clothing_faq(material: str) -> list[FaqEntry]:
    return [
        FaqEntry(question="尺码怎么选？", answer="按平时尺码拍，160cm/50kg 选 M。"),
        FaqEntry(question="是什么材质？", answer=material),
        _SEVEN_DAYS,
    ]


_SPECS: Final[tuple[ProductSpec, ...]] = (
    ProductSpec(
        product=Product(
            product_id="sku-sweater",
            title="女士羊绒混纺高领毛衣",
            category="女装",
            brand="暖织",
            list_price_minor=39_900,
            floor_price_minor=25_900,
            stock=800,
            attributes={"尺码": ["S", "M", "L", "XL"], "颜色": ["燕麦色", "黑色", "雾霾蓝"]},
            shipping="48小时内发货，全国包邮（偏远地区除外）",
            faq=_clothing_faq("30%羊绒，70%羊毛"),
        ),
        short_name="毛衣",
        review_category="衣服",
        appeal=1.0,
        sizes=("S", "M", "L", "XL"),
        quality_questions=("会起球吗", "毛衣扎不扎", "羊绒含量多少", "洗了会缩水吗"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-hoodie",
            title="男女同款加绒连帽卫衣",
            category="服装",
            brand="野径",
            list_price_minor=18_900,
            floor_price_minor=11_900,
            stock=1_500,
            attributes={"尺码": ["S", "M", "L", "XL", "XXL"], "颜色": ["灰色", "黑色", "奶白"]},
            shipping="24小时内发货，包邮",
            faq=_clothing_faq("80%棉，20%聚酯纤维，内里加绒"),
        ),
        short_name="卫衣",
        review_category="衣服",
        appeal=1.2,
        sizes=("S", "M", "L", "XL", "XXL"),
        quality_questions=("卫衣掉毛吗", "加绒厚不厚", "是纯棉的吗", "会褪色吗"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-down-vest",
            title="轻薄白鸭绒羽绒马甲",
            category="服装",
            brand="暖织",
            list_price_minor=25_900,
            floor_price_minor=16_900,
            stock=900,
            attributes={"尺码": ["M", "L", "XL", "XXL"], "充绒量": "90%白鸭绒"},
            shipping="48小时内发货，包邮",
            faq=_clothing_faq("面料锦纶，填充90%白鸭绒"),
        ),
        short_name="马甲",
        review_category="衣服",
        appeal=0.9,
        sizes=("M", "L", "XL", "XXL"),
        quality_questions=("会钻绒吗", "保暖吗", "含绒量多少"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-shampoo",
            title="氨基酸控油蓬松洗发水 500ml×2瓶",
            category="个护",
            brand="清屿",
            list_price_minor=8_900,
            floor_price_minor=5_900,
            stock=3_000,
            attributes={"规格": "500ml×2", "适用发质": ["油性", "中性"]},
            shipping="当天发货，包邮",
            faq=[
                FaqEntry(question="孕妇能用吗？", answer="温和配方，孕期可用。"),
                _GENUINE,
                _SEVEN_DAYS,
            ],
        ),
        short_name="洗发水",
        review_category="洗发水",
        appeal=1.1,
        quality_questions=("洗发水成分安全吗", "有硅油吗", "孕妇能用吗", "去屑效果怎么样"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-apple",
            title="烟台红富士苹果 5斤装",
            category="生鲜水果",
            list_price_minor=4_990,
            floor_price_minor=3_290,
            stock=5_000,
            attributes={"规格": ["5斤装", "10斤装"], "果径": "80-85mm", "产地": "山东烟台"},
            shipping="产地直发，48小时内发货，坏果包赔",
            faq=[FaqEntry(question="坏果怎么办？", answer="拍照联系客服，坏果包赔。")],
        ),
        short_name="苹果",
        review_category="水果",
        appeal=1.3,
        quality_questions=("苹果甜不甜", "脆不脆", "新鲜吗", "有没有打蜡"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-milk",
            title="全脂纯牛奶 250ml×24盒",
            category="乳品",
            brand="草原晨",
            list_price_minor=6_990,
            floor_price_minor=4_990,
            stock=4_000,
            attributes={"规格": "250ml×24", "保质期": "6个月"},
            shipping="48小时内发货，包邮",
            faq=[FaqEntry(question="保质期多久？", answer="6个月，均为近一个月生产。"), _GENUINE],
        ),
        short_name="牛奶",
        review_category="蒙牛",
        appeal=1.0,
        quality_questions=("牛奶保质期多久", "是新日期吗", "蛋白质含量多少"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-tablet",
            title="护眼学习平板 10.1英寸 4+64G",
            category="数码",
            brand="启学",
            list_price_minor=89_900,
            floor_price_minor=69_900,
            stock=300,
            attributes={"存储": ["4+64G", "6+128G"], "屏幕": "10.1英寸护眼屏"},
            shipping="顺丰发货，包邮",
            faq=[FaqEntry(question="保修多久？", answer="整机一年保修。"), _GENUINE, _SEVEN_DAYS],
        ),
        short_name="平板",
        review_category="平板",
        appeal=0.5,
        quality_questions=("平板屏幕清晰吗", "卡不卡", "电池能用多久", "护眼是真的吗"),
    ),
    ProductSpec(
        product=Product(
            product_id="sku-picture-books",
            title="儿童科普绘本（全10册）",
            category="图书",
            list_price_minor=9_900,
            floor_price_minor=5_900,
            stock=2_000,
            attributes={"适读年龄": "3-8岁", "册数": "10册"},
            shipping="24小时内发货，包邮",
            faq=[FaqEntry(question="适合几岁？", answer="3到8岁。"), _GENUINE],
        ),
        short_name="绘本",
        review_category="书籍",
        appeal=0.8,
        quality_questions=("纸张厚吗", "是正版吗", "字大不大", "适合几岁看"),
    ),
)


def catalog_specs(peak_viewers: int) -> tuple[ProductSpec, ...]:
    """The catalog of a room with ``peak_viewers``; stock grows with the room so none sells out."""
    scale = max(1, math.ceil(peak_viewers / _VIEWERS_PER_STOCK_UNIT))
    return tuple(
        dataclasses.replace(
            spec, product=msgspec.structs.replace(spec.product, stock=spec.product.stock * scale)
        )
        for spec in _SPECS
    )


def click_appeal(specs: tuple[ProductSpec, ...], hot_index: int) -> npt.NDArray[np.float64]:
    """Relative click-through per product, with the hot product lifted above every other.

    The hot product must win on clicks and on GMV, so its appeal beats the best other product's
    appeal by ``HOT_CLICK_MARGIN`` and the best other product's appeal × price by
    ``HOT_GMV_MARGIN``.
    """
    appeal = np.array([spec.appeal for spec in specs], dtype=np.float64)
    price = np.array([spec.product.list_price_minor for spec in specs], dtype=np.float64)
    others = np.arange(len(specs)) != hot_index
    appeal[hot_index] = max(
        appeal[hot_index],
        HOT_CLICK_MARGIN * float(appeal[others].max()),
        HOT_GMV_MARGIN * float((appeal * price)[others].max()) / float(price[hot_index]),
    )
    return appeal
