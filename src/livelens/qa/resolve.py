"""Which product a question means: named, by link number, pinned, or by an attribute.

In order: a product the question names (its aliases, title, brand or head noun, matched on the
segmenter's tokens — the aliases are in the segmenter's dictionary, so they come out whole —
with a substring scan as the fallback); a shopping-cart link number ("3号链接多少钱"); the
product the host has pinned (``host.product_pin``: "the one being explained now"); and, with
nothing pinned, a size, colour or other attribute value that only one product has ("雾霾蓝还有
吗"). Two products named, or an attribute several products share, is ambiguous: the question
goes to a human rather than to a guess.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Final, NamedTuple

from livelens.comments.normalize import normalize
from livelens.qa.knowledge import CatalogProduct
from livelens.qa.topics import COLOUR_MENTION, SIZE_MENTION

SIZE_KEYS: Final = ("尺码", "码数", "鞋码", "尺寸码", "码")
COLOUR_KEYS: Final = ("颜色", "色号", "配色", "颜色分类")
_LINK: Final = re.compile(r"(\d{1,2})号链接|链接(\d{1,2})|^(\d{1,2})号(?![码能到发前之半])")
_SIZE_ALIASES: Final = {"2xl": "xxl", "3xl": "xxxl", "xxl": "xxl", "xxxl": "xxxl"}
_COLOUR_CODE: Final = re.compile(r"^#?(\d{1,3})\s*")
_MIN_ATTRIBUTE_CHARS: Final = 2


def _values(value: list[str] | str) -> list[str]:
    return list(value) if isinstance(value, list) else [value]


def size_key(token: str) -> str:
    """One spelling per size: "XXL", "2xl", "xxl码" → "xxl"; "27码" → "27"."""
    text = normalize(token).removesuffix("码").removesuffix("号").strip()
    return _SIZE_ALIASES.get(text, text)


def colour_aliases(value: str) -> list[str]:
    """How viewers name a colour value: "燕麦色" → 燕麦色, 燕麦; "#01 正红" → 正红, 01号."""
    text = normalize(value).strip()
    out = [text]
    code = _COLOUR_CODE.match(text)
    if code:
        rest = text[code.end() :].strip()
        out += [rest, f"{code.group(1)}号"] if rest else [f"{code.group(1)}号"]
    for alias in list(out):
        if alias.endswith("色") and len(alias) > _MIN_ATTRIBUTE_CHARS:  # 燕麦色 → 燕麦; 灰色 stays
            out.append(alias[:-1])
    return [a for a in dict.fromkeys(out) if a]


class Variants(NamedTuple):
    """A product's sizes and colours as viewers type them, each mapped to the catalog's spelling."""

    sizes: dict[str, str]
    colours: dict[str, str]


def product_variants(item: CatalogProduct) -> Variants:
    attributes = item.product.attributes
    sizes = {
        size_key(v): v for key in SIZE_KEYS if key in attributes for v in _values(attributes[key])
    }
    colours = {
        alias: v
        for key in COLOUR_KEYS
        if key in attributes
        for v in _values(attributes[key])
        for alias in colour_aliases(v)
    }
    return Variants(sizes, colours)


class Mention(NamedTuple):
    """A size or colour the question names, and the catalog's spelling if the product has it."""

    kind: str  # "size" | "colour"
    asked: str  # as asked, normalized
    value: str | None  # the catalog's value, None when the product does not have it


def mentioned_variants(
    text: str, variants: Variants, other_colours: Iterable[str] = ()
) -> list[Mention]:
    """Sizes and colours named in ``text`` (normalized), checked against one product.

    ``other_colours`` are the colour names of the rest of the catalog: "雾霾蓝" asked about a
    product without it is a colour this product does not have, like any "X色" word.
    """
    out: list[Mention] = []
    words = {*variants.colours, *other_colours}
    found = _longest(
        [w for w in words if w in text] + [m.group() for m in COLOUR_MENTION.finditer(text)]
    )
    own = [alias for alias in found if alias in variants.colours]
    for value in dict.fromkeys(variants.colours[alias] for alias in own):
        out.append(Mention("colour", value, value))
    if not own:
        out.extend(Mention("colour", alias, None) for alias in found[:1])
    for match in SIZE_MENTION.finditer(text):
        key = size_key(match.group(1) or match.group(2))
        out.append(Mention("size", key, variants.sizes.get(key)))
    return out


def _longest(found: list[str]) -> list[str]:
    """Drop words found inside a longer found word ("雾霾蓝" keeps out "蓝")."""
    return [a for a in dict.fromkeys(found) if not any(a != b and a in b for b in found)]


class Resolution(NamedTuple):
    product_id: str | None
    how: str | None  # named | link | pinned | attribute
    reason: str | None = None  # product_unresolved | product_ambiguous
    candidates: tuple[str, ...] = ()


class ProductResolver:
    """Built once per catalog (names and attributes are static; prices and pins are not)."""

    def __init__(self, products: Sequence[CatalogProduct]) -> None:
        self._by_alias: dict[str, set[str]] = defaultdict(set)
        for item in products:
            for alias in item.aliases:
                key = normalize(alias).strip()
                if len(key) >= _MIN_ATTRIBUTE_CHARS:
                    self._by_alias[key].add(item.product_id)
        self._alias_scan = _alternation(self._by_alias)
        self._links = {item.link_no: item.product_id for item in products}
        self.variants = {item.product_id: product_variants(item) for item in products}
        self.colour_words = frozenset(
            alias for variants in self.variants.values() for alias in variants.colours
        )
        self._by_value: dict[str, set[str]] = defaultdict(set)
        for item in products:
            for key, value in item.product.attributes.items():
                if key in SIZE_KEYS or key in COLOUR_KEYS:
                    continue
                for v in _values(value):
                    text = normalize(v).strip()
                    if len(text) >= _MIN_ATTRIBUTE_CHARS and not text.isdigit():
                        self._by_value[text].add(item.product_id)
        self._value_scan = _alternation(self._by_value)

    def strip_names(self, text: str) -> str:
        """``text`` without product names and link numbers: what is asked about the product."""
        if self._alias_scan is not None:
            text = self._alias_scan.sub("", text)
        return _LINK.sub("", text).strip()

    def terms(self) -> list[str]:
        """Words for the segmenter's dictionary: every alias, so names come out as one token."""
        return sorted(self._by_alias)

    def named(self, text: str, tokens: Sequence[str]) -> set[str]:
        """Products named in the question: tokens (and runs of 2–3 tokens), then substrings."""
        found: set[str] = set()
        by_alias = self._by_alias
        for start in range(len(tokens)):
            for end in range(start + 1, min(start + 3, len(tokens)) + 1):
                hit = by_alias.get("".join(tokens[start:end]))
                if hit:
                    found |= hit
        if not found and self._alias_scan is not None:
            for match in self._alias_scan.finditer(text):
                found |= by_alias[match.group()]
        return found

    def by_attribute(self, text: str) -> set[str]:
        """Products having a size, colour or other attribute value the question names."""
        found: set[str] = set()
        colours = _longest([w for w in self.colour_words if w in text])
        sizes = [size_key(m.group(1) or m.group(2)) for m in SIZE_MENTION.finditer(text)]
        for product_id, variants in self.variants.items():
            if any(c in variants.colours for c in colours) or any(
                s in variants.sizes for s in sizes
            ):
                found.add(product_id)
        if self._value_scan is not None:
            for match in self._value_scan.finditer(text):
                found |= self._by_value[match.group()]
        return found

    def resolve(self, text: str, tokens: Sequence[str], pinned: str | None) -> Resolution:
        """The product ``text`` (normalized) means, given the pinned product (or None)."""
        named = self.named(text, tokens)
        if len(named) == 1:
            return Resolution(next(iter(named)), "named")
        if len(named) > 1:
            return Resolution(None, None, "product_ambiguous", tuple(sorted(named)))
        link = _LINK.search(text)
        if link:
            number = int(next(g for g in link.groups() if g))
            product_id = self._links.get(number)
            if product_id is None:
                return Resolution(None, None, "product_unresolved")
            return Resolution(product_id, "link")
        if pinned is not None:
            return Resolution(pinned, "pinned")
        by_attribute = self.by_attribute(text)
        if len(by_attribute) == 1:
            return Resolution(next(iter(by_attribute)), "attribute")
        if by_attribute:
            return Resolution(None, None, "product_ambiguous", tuple(sorted(by_attribute)))
        return Resolution(None, None, "product_unresolved")


def _alternation(words: Iterable[str]) -> re.Pattern[str] | None:
    ordered = sorted(words, key=len, reverse=True)
    if not ordered:
        return None
    return re.compile("|".join(re.escape(w) for w in ordered))
