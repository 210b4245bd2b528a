"""What viewers say: a concern taxonomy, Chinese comment templates and real review opinions.

Questions come from templates that name the pinned product, its sizes and its material, so that
each comment's concern is known (the ground truth for the concern detector). Praise and complaints
are short opinions taken from a real labelled review corpus (label 1 praise, label 0 complaint),
matched to the product's category, so that sentiment models meet real text; without the corpus
the built-in templates stand in.
"""

from __future__ import annotations

import csv
import functools
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import numpy.typing as npt

from livelens.sources.simulation.catalog import ProductSpec

IntArray = npt.NDArray[np.int64]

CONCERNS: Final = (
    "price",
    "discount",
    "size",
    "shipping",
    "stock",
    "quality",
    "authenticity",
    "how_to_buy",
    "after_sales",
    "praise",
    "complaint",
    "chitchat",
)
_BASE_WEIGHT: Final = {
    "price": 10,
    "discount": 8,
    "size": 7,
    "shipping": 7,
    "stock": 5,
    "quality": 6,
    "authenticity": 4,
    "how_to_buy": 7,
    "after_sales": 4,
    "praise": 12,
    "complaint": 5,
    "chitchat": 25,
}
# During a flash discount viewers ask about the deal, the stock and how to grab it.
_PROMO_BOOST: Final = {"discount": 2.5, "stock": 2.5, "how_to_buy": 2.0, "price": 1.5}
_PEAK_BOOST: Final = {"chitchat": 1.5, "praise": 1.5}

MAX_OPINION_CHARS: Final = 40
MIN_OPINION_CHARS: Final = 4
_OPINIONS_PER_POOL: Final = 400
_UNRELATED_CATEGORIES: Final = frozenset({"酒店"})  # hotel reviews say nothing about products
_SENTENCE_END: Final = re.compile(r"[。！？!?…\n]")
_CLAUSE_END: Final = re.compile(r"[，,；;：:～~]")

_TEMPLATES: Final[dict[str, tuple[str, ...]]] = {
    "price": (
        "多少钱",
        "价格多少",
        "{name}多少钱",
        "这个{name}什么价",
        "{name}价格能再低点吗",
        "现在拍是多少钱",
        "到手价多少",
    ),
    "discount": (
        "有优惠券吗",
        "优惠券在哪领",
        "能便宜点吗",
        "有没有满减",
        "主播再给点优惠吧",
        "秒杀什么时候开始",
        "还有折扣吗",
        "{name}有券吗",
        "福利价是多少",
    ),
    "shipping": (
        "什么时候发货",
        "包邮吗",
        "发什么快递",
        "几天能到",
        "偏远地区包邮吗",
        "今天下单明天能发吗",
        "{name}包邮吗",
        "新疆发货吗",
    ),
    "stock": (
        "还有货吗",
        "{name}还有吗",
        "没抢到，还会补货吗",
        "库存还有多少",
        "怎么显示已售罄",
        "还能拍吗",
    ),
    "authenticity": (
        "是正品吗",
        "{name}是正品吗",
        "是官方旗舰店吗",
        "有防伪码吗",
        "保真吗",
        "是品牌授权的吗",
    ),
    "how_to_buy": (
        "怎么买",
        "上链接",
        "链接在哪",
        "{name}是几号链接",
        "怎么拍",
        "快上链接",
        "小黄车里哪个是{name}",
    ),
    "after_sales": (
        "能退吗",
        "支持七天无理由吗",
        "七天无理由退货吗",
        "坏了能换吗",
        "退货运费谁出",
        "有运费险吗",
        "{name}不合适能退吗",
    ),
    "praise": (
        "主播讲得好",
        "{name}不错",
        "已下单",
        "买了，期待",
        "上次买的{name}很好用",
        "支持主播",
        "回购了",
    ),
    "complaint": (
        "上次买的{name}质量不行",
        "发货太慢了",
        "客服不回消息",
        "怎么又涨价了",
        "{name}和图片不一样",
        "等了好久还没发货",
    ),
    "chitchat": (
        "主播好",
        "来了来了",
        "晚上好",
        "这是AI主播吗",
        "哈哈哈",
        "666",
        "刚来，讲的什么",
        "背景音乐是什么",
        "打卡",
        "主播几点下播",
        "主播声音好好听",
        "第一次来",
    ),
}
_SIZE_TEMPLATES: Final = (
    "有{size}码吗",
    "{size}码还有吗",
    "尺码怎么选",
    "160/50kg穿什么码",
    "偏大还是偏小",
    "尺码标准吗",
    "{size}码能穿吗",
)
_SPEC_TEMPLATES: Final = (
    "{name}是什么规格的",
    "规格是多少",
    "有没有大包装的",
    "{name}有几种规格",
    "一份有多少",
)
_QUALITY_TEMPLATES: Final = ("{name}质量怎么样", "是什么材质的", "{name}耐用吗", "质量好吗")


def short_opinion(review: str) -> str | None:
    """The review's first sentence, or its first clause, when that is 4 to 40 characters long."""
    sentence = _SENTENCE_END.split(review.strip().lstrip("\ufeff"), maxsplit=1)[0].strip()
    if len(sentence) > MAX_OPINION_CHARS:
        sentence = _CLAUSE_END.split(sentence, maxsplit=1)[0].strip()
    return sentence if MIN_OPINION_CHARS <= len(sentence) <= MAX_OPINION_CHARS else None


@functools.lru_cache(maxsize=4)
def _read_opinions(path: Path, mtime_ns: int) -> dict[tuple[str, int], tuple[str, ...]]:
    """Short opinions per (category, label); cached because every simulated session reads them."""
    del mtime_ns  # part of the cache key only: a changed file is read again
    pools: defaultdict[tuple[str, int], list[str]] = defaultdict(list)
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            label, category = row.get("label"), row.get("cat") or ""
            opinion = short_opinion(row.get("review") or "")
            if opinion is None or label not in ("0", "1") or category in _UNRELATED_CATEGORIES:
                continue
            pools[(category, int(label))].append(opinion)
            pools[("", int(label))].append(opinion)
    return {key: tuple(dict.fromkeys(texts)) for key, texts in pools.items()}


def load_opinions(
    reviews_path: Path | None, rng: np.random.Generator
) -> dict[tuple[str, int], tuple[str, ...]]:
    """A sample of short opinions per (review category, label); category "" pools all of them.

    Empty when ``reviews_path`` is None or missing: the simulator then uses templates only.
    """
    if reviews_path is None or not reviews_path.is_file():
        return {}
    pools = _read_opinions(reviews_path.resolve(), reviews_path.stat().st_mtime_ns)
    sample: dict[tuple[str, int], tuple[str, ...]] = {}
    for key in sorted(pools):
        texts = pools[key]
        picks = rng.permutation(len(texts))[:_OPINIONS_PER_POOL]
        sample[key] = tuple(texts[int(i)] for i in np.sort(picks))
    return sample


def _fill(templates: Sequence[str], spec: ProductSpec) -> tuple[str, ...]:
    sizes = spec.sizes or ("",)
    return tuple(
        dict.fromkeys(
            template.format(name=spec.short_name, size=size)
            for template in templates
            for size in sizes
        )
    )


@dataclass(frozen=True, slots=True)
class CommentBank:
    """Texts per (concern, product) and the concern mix for each moment of the session."""

    texts: tuple[tuple[tuple[str, ...], ...], ...]  # [concern][product] -> candidate texts
    base_weights: npt.NDArray[np.float64]
    promo_weights: npt.NDArray[np.float64]
    peak_weights: npt.NDArray[np.float64]
    peak_promo_weights: npt.NDArray[np.float64]

    def weights(self, promo: bool, peak: bool) -> npt.NDArray[np.float64]:
        if promo:
            return self.peak_promo_weights if peak else self.promo_weights
        return self.peak_weights if peak else self.base_weights

    def draw(self, concerns: IntArray, products: IntArray, picks: IntArray) -> list[str]:
        """The text of each comment: ``picks`` are random integers choosing among candidates."""
        texts = self.texts
        out: list[str] = []
        for concern, product, pick in zip(
            concerns.tolist(), products.tolist(), picks.tolist(), strict=True
        ):
            candidates = texts[concern][product]
            out.append(candidates[pick % len(candidates)])
        return out


def _normalised(boosts: dict[str, float]) -> npt.NDArray[np.float64]:
    weights = np.array([_BASE_WEIGHT[c] * boosts.get(c, 1.0) for c in CONCERNS], dtype=np.float64)
    return np.asarray(weights / weights.sum(), dtype=np.float64)


def build_comment_bank(
    specs: Sequence[ProductSpec], opinions: dict[tuple[str, int], tuple[str, ...]]
) -> CommentBank:
    texts: list[tuple[tuple[str, ...], ...]] = []
    for concern in CONCERNS:
        per_product: list[tuple[str, ...]] = []
        for spec in specs:
            if concern == "size":
                candidates = _fill(_SIZE_TEMPLATES if spec.sizes else _SPEC_TEMPLATES, spec)
            elif concern == "quality":
                candidates = _fill(_QUALITY_TEMPLATES, spec) + spec.quality_questions
            else:
                candidates = _fill(_TEMPLATES[concern], spec)
            if concern in ("praise", "complaint"):
                label = 1 if concern == "praise" else 0
                category = spec.review_category or ""
                candidates += opinions.get((category, label)) or opinions.get(("", label), ())
            per_product.append(candidates)
        texts.append(tuple(per_product))
    return CommentBank(
        texts=tuple(texts),
        base_weights=_normalised({}),
        promo_weights=_normalised(_PROMO_BOOST),
        peak_weights=_normalised(_PEAK_BOOST),
        peak_promo_weights=_normalised({**_PROMO_BOOST, **_PEAK_BOOST}),
    )
