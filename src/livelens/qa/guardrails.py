"""What an answer may never do: state an unknown number, make a banned claim, echo personal data.

* Facts: answers are templates filled with catalog facts, and :func:`unsupported_numbers` checks
  it anyway — every number in the answer (Arabic, or Chinese before a unit: 七天, 两年) must be
  in the facts the answer was built from.
* Claims: :func:`banned_claims` finds the absolute terms the advertising law (《广告法》第九条)
  forbids — 最 (最好, 最低价 …; not 最近, 最后), 第一 (not 第一次, 第一件), 唯一, 国家级, 顶级,
  极品, 万能 … — and medical claims outside medicine (治疗, 治愈, 药效, 根治, 疗效, 消炎 …). The
  catalog's own FAQ text goes through the same filter, so a non-compliant FAQ answer is blocked,
  not repeated.
* Personal data: :func:`redact_personal_data` replaces phone numbers, WeChat and QQ ids, ID-card
  and bank-card numbers, e-mail addresses and street addresses with placeholders before a
  question is analysed, logged or stored; :func:`find_personal_data` checks answers too.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Final, NamedTuple

from livelens.comments.normalize import normalize

# (kind, placeholder, pattern), applied in order: longer digit runs before shorter ones.
_PERSONAL_DATA: Final[tuple[tuple[str, str, str], ...]] = (
    ("email", "[邮箱]", r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}"),
    (
        "id_number",
        "[身份证号]",
        r"(?<!\d)\d{6}(?:18|19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])\d{3}[\dXx](?![\dA-Za-z])",
    ),
    ("bank_card", "[银行卡号]", r"(?<!\d)(?:\d[ -]?){15,18}\d(?!\d)"),
    (
        "wechat",
        "[微信号]",
        r"(?i:微信|wechat|weixin|vx|wx|v信|薇信|威信|维信|卫星)\s*(?:号)?\s*[:：是为]?\s*"
        r"[A-Za-z0-9][-_A-Za-z0-9]{5,19}",
    ),
    ("qq", "[QQ号]", r"(?i:qq|扣扣|企鹅)\s*(?:号)?\s*[:：是为]?\s*\d{5,11}(?!\d)"),
    ("phone", "[手机号]", r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d(?:[- ]?\d{4}){2}(?!\d)"),
    ("phone", "[电话]", r"(?<!\d)0\d{2,3}-?\d{7,8}(?!\d)"),
    (
        "address",
        "[地址]",
        r"(?:[\u4e00-\u9fa5]{2,8}(?:省|市|自治区|区|县|旗|镇|乡|街道))*[\u4e00-\u9fa5\dA-Za-z]{1,12}"
        r"(?:路|街|道|巷|弄|胡同|大道|小区|花园|公寓|大厦|家园|村|苑)"
        r"[\dA-Za-z一二三四五六七八九十零]+(?:号楼|号院|号|栋|幢|座|单元|楼|室|弄)"
        r"(?:[\dA-Za-z\-一二三四五六七八九十零]+(?:号楼|号|栋|幢|座|单元|楼|室|层))*",
    ),
)
_PII_PATTERNS: Final = tuple(
    (kind, placeholder, re.compile(pattern)) for kind, placeholder, pattern in _PERSONAL_DATA
)


class Redaction(NamedTuple):
    text: str
    kinds: tuple[str, ...]  # what was removed, in order found (empty: nothing)


def redact_personal_data(text: str) -> Redaction:
    """``text`` with personal data replaced by placeholders ("[手机号]"), and the kinds found."""
    kinds: list[str] = []
    for kind, placeholder, pattern in _PII_PATTERNS:
        text, count = pattern.subn(placeholder, text)
        if count:
            kinds.append(kind)
    return Redaction(text, tuple(dict.fromkeys(kinds)))


def find_personal_data(text: str) -> list[str]:
    """The kinds of personal data in ``text`` (an answer must have none)."""
    return [kind for kind, _, pattern in _PII_PATTERNS if pattern.search(text)]


# Absolute and superlative terms (广告法第九条) and medical claims for non-medical goods.
_ABSOLUTE: Final = (
    "唯一 独一无二 国家级 世界级 全球级 宇宙级 顶级 顶尖 尖端 极品 极致 万能 全能 首选 首个 首家 "
    "王牌 领袖品牌 绝对 永久 史无前例 空前绝后 无敌 全网最低 销量冠军 独家 特供 专供 100%有效"
)
_MEDICAL: Final = (
    "治疗 治愈 药效 根治 疗效 医治 消炎 抗炎 杀菌 祛痘 除痘 治痘 抗癌 防癌 降血压 降血糖 降血脂 "
    "减肥 瘦身 排毒 包治 特效 药用 处方 医用级 增强免疫力"
)
_BANNED_WORDS: Final = tuple(sorted({*_ABSOLUTE.split(), *_MEDICAL.split()}, key=len, reverse=True))
_BANNED: Final = re.compile(
    "|".join(
        [
            *(re.escape(word) for word in _BANNED_WORDS),
            # 最 + anything but the non-superlative words (最近, 最后, 最终, 最初, 最少, 最多)
            r"最(?![近后终初少多])\w?",
            r"第一(?![次件步天个单位批期名称款种])",
        ]
    )
)


def banned_claims(text: str) -> list[str]:
    """Banned terms in ``text`` (Traditional characters are read as Simplified)."""
    return list(dict.fromkeys(m.group() for m in _BANNED.finditer(normalize(text))))


_ARABIC: Final = re.compile(r"\d+(?:\.\d+)?")
_CHINESE_NUMBER: Final = re.compile(
    r"[零一二两三四五六七八九十百千万半]+(?=[天年月周个件元块小时分钟折斤克袋片瓶盒支册寸倍])"
)


def _canonical(number: str) -> str:
    if number[0].isdigit():
        return format(Decimal(number).normalize(), "f")
    return number


def numbers_in(text: str) -> set[str]:
    """Every number stated in ``text``: Arabic (canonical form), and Chinese before a unit."""
    found = {_canonical(m.group()) for m in _ARABIC.finditer(text)}
    found |= {m.group() for m in _CHINESE_NUMBER.finditer(text)}
    return found


def unsupported_numbers(
    answer: str, facts: Mapping[str, str], extra: Iterable[str] = ()
) -> list[str]:
    """Numbers in ``answer`` that are in none of the facts (``extra``: other allowed text)."""
    allowed: set[str] = set()
    for value in (*facts.values(), *extra):
        allowed |= numbers_in(value)
    return sorted(numbers_in(answer) - allowed)


def check_answer(answer: str, facts: Mapping[str, str]) -> str | None:
    """The reason an answer must not be said, or None when it passes every guardrail."""
    personal = find_personal_data(answer)
    if personal:
        return "personal_data:" + ",".join(personal)
    claims = banned_claims(answer)
    if claims:
        return "banned_claim:" + ",".join(claims)
    numbers = unsupported_numbers(answer, facts)
    if numbers:
        return "number_not_in_catalog:" + ",".join(numbers)
    return None
