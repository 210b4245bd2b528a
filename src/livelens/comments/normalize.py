"""One spelling per meaning: the first step of every comment analysis.

Live-room chat mixes Traditional and Simplified characters, full-width and half-width letters,
pinyin shorthands and typing slang ("多少q", "99米", "lian接", "包油"). Every later stage (the
segmenter's dictionary, the intent lexicon, spam rules, hot words, near-duplicate keys) matches
one canonical spelling, so this module maps the variants onto it once, here, and nowhere else.

The variant table below is deliberately small and contextual: each rule rewrites a form only
where it almost always means the canonical one in a live-commerce room (``1.8米的床`` keeps its
metres; ``99米`` becomes ``99元``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Final

import opencc

# Creating a converter loads its dictionaries (~ms); one shared instance serves every call.
_T2S: Final = opencc.OpenCC("t2s")

# Full-width ASCII (U+FF01-U+FF5E) is what Chinese IMEs type by default; the ideographic space too.
_HALF_WIDTH: Final = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}
_FULL_WIDTH: Final = re.compile("[\uff01-\uff5e\u3000]")
_SPACES: Final = re.compile(r"\s+")
# "？？？", "！！！", "。。。", "~~~", "👏👏👏": a run of one symbol says the same as one of it.
_REPEATED_SYMBOL: Final = re.compile(r"([^\w\s])\1+")
_SPACE_OR_REPEAT: Final = re.compile(r"\s|([^\w\s])\1")  # the two passes have work to do

Rule = tuple[str, str]

# Each group: (pattern, replacement). One pass after t2s, width and case folding; where two rules
# could start at the same position, the earlier one wins.
_VARIANTS: Final[tuple[tuple[str, tuple[Rule, ...]], ...]] = (
    (
        # Price: viewers type the first pinyin letter of 钱, or say 米/块 for 元. "多少米" asks
        # for the price unless a length word follows; "几块" is the price unless 钱 is there.
        "price",
        (
            (r"多少(?:qian|q)(?![a-z])", "多少钱"),
            (r"(?<!多)多钱", "多少钱"),
            (r"多少米(?![长宽高的])", "多少钱"),
            (r"几块(?![钱肉糖])", "几块钱"),
            # 米 for 元 after a whole number of at least 10 ("99米", "199米"); a metre count
            # ("1.8米的床", "1米5", "3米长") is short, has a decimal, or is followed by a length.
            (r"(?<![\d.])([1-9]\d+)米(?![\d长宽高的])", r"\1元"),
            (r"(\d)\s*(?:块钱|块|rmb)(?![a-z])", r"\1元"),
        ),
    ),
    (
        # How to buy: 链接 is mistyped by sound (连接, 连结, 链结) or half in pinyin. 连接 stays
        # where it means a connection (蓝牙连接, 连接手机).
        "link",
        (
            (r"(?<=蓝牙|无线|有线|网络)[连链]接", "连接"),
            (r"(?<!公主)(?:lian|连|链)(?:jie|接|结)(?![手电网])", "链接"),  # not the game 公主连结
        ),
    ),
    (
        # Shipping: 包油 is the common mistype of 包邮 (same pinyin, the IME's first choice).
        "shipping",
        ((r"包油", "包邮"),),
    ),
    (
        # Size letters: "s号" and "s码" mean the same size; canonical is 码.
        "size",
        ((r"(?<![a-z])(xs|s|m|l|xl|xxl|xxxl|[2-6]xl)号", r"\1码"),),
    ),
    (
        # Question particles and internet slang that only respell common words:
        # 么 at the end of a question is 吗 ("有货么"); 木有 = 没有, 肿么 = 怎么, 神马 = 什么.
        "slang",
        (
            (r"(?<![什怎那这多要])么(?=$|[\s?!,.~。、])", "吗"),
            (r"木有", "没有"),
            (r"肿么", "怎么"),
            (r"神马", "什么"),
        ),
    ),
    (
        # Pinyin abbreviations common in live rooms: zb = 主播 (the host), zbj = 直播间,
        # dd = 滴滴 (pinging the host), jms = 姐妹们, xswl = 笑死我了.
        "pinyin",
        (
            (r"(?<![a-z])zbj(?![a-z])", "直播间"),
            (r"(?<![a-z])zb(?![a-z])", "主播"),
            (r"(?<![a-z])dd(?![a-z])", "滴滴"),
            (r"(?<![a-z])jms(?![a-z])", "姐妹们"),
            (r"(?<![a-z])xswl(?![a-z])", "笑死我了"),
        ),
    ),
    (
        # Contact handles: ad posters disguise WeChat (薇信, 威信, v信, vx, wx) and links
        # ("www点xx点com") to dodge keyword filters; one spelling lets the spam rules see them.
        "contact",
        (
            (r"(?:薇|威|徽|维|v)信", "微信"),
            (r"(?<![a-z])(?:vx|wx)(?![a-z])", "微信"),
            (r"➕", "+"),
            (r"(?<=www)[点。]|[点。](?=(?:com|cn|net|top|xyz|cc)(?![a-z]))", "."),
        ),
    ),
)

VARIANT_GROUPS: Final = tuple(name for name, _ in _VARIANTS)
# The characters a variant can start at (rule starts, not their look-behinds): a comment with
# none of them skips the variant scan, which is most of them.
_TRIGGERS: Final = "多几米块连链包号么木肿神薇威徽维信➕点。0-9a-z"


def _compile(
    groups: tuple[tuple[str, tuple[Rule, ...]], ...], triggers: str
) -> Callable[[str], str]:
    """All rules as one alternation, so a comment without variants costs one regex scan.

    Each rule becomes a named group; the replacement is expanded with the rule's own pattern
    so that its back-references (``\\1``) still refer to its own groups.
    """
    rules = [rule for _, group in groups for rule in group]
    compiled = [re.compile(pattern) for pattern, _ in rules]
    alternatives = "|".join(f"(?P<r{i}>{p})" for i, (p, _) in enumerate(rules))
    combined = re.compile(f"(?=[{triggers}])(?:{alternatives})")
    has_trigger = re.compile(f"[{triggers}]").search
    first_group = [combined.groupindex[f"r{i}"] for i in range(len(rules))]

    def replace(match: re.Match[str]) -> str:
        index = int(match.lastgroup[1:]) if match.lastgroup else 0
        pattern, replacement = compiled[index], rules[index][1]
        if "\\" not in replacement:
            return replacement
        local = pattern.fullmatch(match.string, match.start(first_group[index]), match.end())
        return local.expand(replacement) if local else match.group()

    def apply(text: str) -> str:
        return combined.sub(replace, text) if has_trigger(text) else text

    return apply


_apply_variants: Final = _compile(_VARIANTS, _TRIGGERS)


def normalize(text: str) -> str:
    """The canonical form of a comment: Simplified, half-width, lower-case, variants resolved.

    Idempotent (``normalize(normalize(t)) == normalize(t)``) and pure; ~0.5M short comments/s.
    """
    if not text.isascii():
        if _FULL_WIDTH.search(text):
            text = text.translate(_HALF_WIDTH)
        text = _T2S.convert(text)
    text = text.lower()
    # Most chat is letters only, and most of the rest has no spaces or repeats: skip those passes.
    if not text.isalnum() and _SPACE_OR_REPEAT.search(text):
        text = _REPEATED_SYMBOL.sub(r"\1", _SPACES.sub(" ", text).strip())
    return _apply_variants(text)
