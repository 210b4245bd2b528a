"""Matching trend keywords to the catalog: products, categories and brands, with the reason.

A hot-search title ("羽绒服怎么选不踩雷") is segmented with the comment layer's
:class:`~livelens.comments.segment.Segmenter`; each word is compared with the catalog's brands,
categories and title words, directly and through the shipped synonym groups (羽绒服 / 羽绒 /
down jacket, 卫衣 / 连帽衫, ...). Every match keeps its reason, so a reader can check it.
Pure: no clock, no files (the segmenter's dictionary is the comment layer's own).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Final

import msgspec

from livelens.comments.normalize import normalize
from livelens.comments.segment import Segmenter
from livelens.events.reference import Product

# Groups of words that name the same kind of goods; the first is the group's name.
SYNONYM_GROUPS: Final[tuple[tuple[str, ...], ...]] = (
    ("羽绒服", "羽绒", "羽绒马甲", "羽绒背心", "鸭绒", "鹅绒", "down jacket", "down vest"),
    ("卫衣", "连帽衫", "连帽卫衣", "帽衫", "hoodie", "sweatshirt"),
    ("毛衣", "针织衫", "羊绒衫", "羊毛衫", "羊绒", "sweater"),
    ("面膜", "补水面膜", "贴片面膜", "face mask"),
    ("洗发水", "洗发露", "洗头膏", "shampoo"),
    ("口红", "唇膏", "唇釉", "lipstick"),
    ("防晒", "防晒霜", "防晒衣", "sunscreen"),
    ("牛奶", "纯牛奶", "全脂牛奶", "奶粉", "milk"),
    ("苹果", "红富士", "富士苹果", "apple"),
    ("平板", "平板电脑", "学习平板", "学习机", "tablet"),
    ("绘本", "童书", "科普绘本", "儿童绘本", "picture book"),
    ("羽绒被", "蚕丝被", "棉被"),
    ("黄金", "金饰", "金价", "金条", "gold"),
)

# Group name → catalog categories the goods usually sit in (a weaker, documented hint).
CATEGORY_HINTS: Final[dict[str, tuple[str, ...]]] = {
    "羽绒服": ("服装", "女装", "男装", "服饰"),
    "卫衣": ("服装", "女装", "男装", "服饰"),
    "毛衣": ("服装", "女装", "男装", "服饰"),
    "面膜": ("美妆", "护肤", "个护"),
    "洗发水": ("个护", "洗护"),
    "口红": ("美妆", "彩妆"),
    "防晒": ("美妆", "护肤", "个护"),
    "牛奶": ("乳品", "食品"),
    "苹果": ("生鲜水果", "水果"),
    "平板": ("数码", "电子"),
    "绘本": ("图书", "童书"),
    "黄金": ("珠宝", "黄金"),
}

SCORE_BRAND: Final = 1.0
SCORE_CATEGORY: Final = 1.0
SCORE_TITLE_WORD: Final = 0.9
SCORE_CATEGORY_SYNONYM: Final = 0.8
SCORE_TITLE_SYNONYM: Final = 0.7
SCORE_CATEGORY_HINT: Final = 0.5
SCORE_WEAK_TITLE_WORD: Final = 0.4  # a title word in no synonym group (a place, a number)
MIN_TOKEN_CHARS: Final = 2


class TrendMatch(msgspec.Struct, kw_only=True, frozen=True):
    """One trend keyword tied to one catalog target (exactly one of product, category, brand)."""

    keyword: str
    product_id: str | None = None
    category: str | None = None
    brand: str | None = None
    reason: str
    score: float
    token: str = ""  # the keyword's word that matched (what a lead-lag scan follows on the board)

    @property
    def target(self) -> str:
        if self.product_id is not None:
            return f"product {self.product_id}"
        if self.category is not None:
            return f"category {self.category}"
        return f"brand {self.brand}"


def _synonym_index(groups: Sequence[Sequence[str]]) -> dict[str, tuple[str, ...]]:
    index: dict[str, tuple[str, ...]] = {}
    for group in groups:
        words = tuple(normalize(w) for w in group)
        for word in words:
            index[word] = words
    return index


class TrendMatcher:
    """Matches keywords against one catalog; build once, call :meth:`match` per keyword."""

    def __init__(
        self,
        products: Sequence[Product],
        *,
        synonyms: Sequence[Sequence[str]] = SYNONYM_GROUPS,
        category_hints: dict[str, tuple[str, ...]] | None = None,
        segmenter: Segmenter | None = None,
    ) -> None:
        self.products = list(products)
        self._synonyms = _synonym_index(synonyms)
        hints = CATEGORY_HINTS if category_hints is None else category_hints
        self._hints = {normalize(k): v for k, v in hints.items()}
        self._brands = {normalize(p.brand): p.brand for p in self.products if p.brand}
        self._categories = {normalize(p.category): p.category for p in self.products}
        terms = [*self._brands, *self._categories, *self._synonyms]
        self._segmenter = segmenter or Segmenter(terms)
        self._titles = {p.product_id: normalize(p.title) for p in self.products}

    def tokens(self, keyword: str) -> list[str]:
        """The content words of a keyword that matching looks at (two characters or more)."""
        words = self._segmenter.tokens(normalize(keyword))
        return list(
            dict.fromkeys(
                w for w in words if len(w) >= MIN_TOKEN_CHARS and any(c.isalpha() for c in w)
            )
        )

    def match(self, keyword: str) -> list[TrendMatch]:
        """Every catalog target the keyword names, best reason per target, best score first."""
        best: dict[tuple[str, str], TrendMatch] = {}

        def keep(found: TrendMatch) -> None:
            key = (found.target, "")
            if key not in best or found.score > best[key].score:
                best[key] = found

        for token in self.tokens(keyword):
            group = self._synonyms.get(token, ())
            if token in self._brands:
                brand = self._brands[token]
                keep(
                    TrendMatch(
                        keyword=keyword,
                        token=token,
                        brand=brand,
                        reason=f"token {token} = brand",
                        score=SCORE_BRAND,
                    )
                )
            for norm, category in self._categories.items():
                if token == norm:
                    reason, score = f"token {token} = category", SCORE_CATEGORY
                elif norm in group:
                    reason = f"token {token} = category synonym ({norm})"
                    score = SCORE_CATEGORY_SYNONYM
                elif group and category in self._hints.get(group[0], ()):
                    reason = f"token {token} → category {category} (hint for {group[0]})"
                    score = SCORE_CATEGORY_HINT
                else:
                    continue
                keep(
                    TrendMatch(
                        keyword=keyword, token=token, category=category, reason=reason, score=score
                    )
                )
            for product_id, title in self._titles.items():
                if token in title and group:
                    reason, score = f"token {token} in product title", SCORE_TITLE_WORD
                elif token in title:
                    reason = f"token {token} in product title (weak: not a known goods word)"
                    score = SCORE_WEAK_TITLE_WORD
                else:
                    synonym = next(
                        (w for w in group if len(w) >= MIN_TOKEN_CHARS and w in title), None
                    )
                    if synonym is None:
                        continue
                    reason = f"token {token} = title synonym ({synonym})"
                    score = SCORE_TITLE_SYNONYM
                keep(
                    TrendMatch(
                        keyword=keyword,
                        token=token,
                        product_id=product_id,
                        reason=reason,
                        score=score,
                    )
                )
        return sorted(best.values(), key=lambda m: (-m.score, m.target))


def match_trends(keywords: Iterable[str], products: Sequence[Product]) -> list[TrendMatch]:
    """Matches of every distinct keyword against the catalog, in keyword order."""
    matcher = TrendMatcher(products)
    out: list[TrendMatch] = []
    for keyword in dict.fromkeys(keywords):
        out.extend(matcher.match(keyword))
    return out
