"""Lookalike rooms: flag a room name that imitates a verified brand room without being it.

A name is reduced to a *skeleton*, after Unicode's UTS #39: NFKC; invisible characters removed
(zero-width characters, bidi controls, variation selectors, fillers, every other format or
control character); traditional characters folded to simplified (OpenCC ``t2s``); combining marks,
whitespace, punctuation and symbols (【】「」·•-_★ …) removed; every character mapped to the
representative of its confusable class (``data/confusables.txt``, reduced from Unicode's table:
Cyrillic ``і`` → ``i``, Greek ``Ν`` → ``N``, ``0`` → ``O``) and of its look-alike Chinese group
(``data/cjk_similar.txt``: 宫 → 官, 祺 → 旗, 庄 → 店); then case-folded. Because UTS #39 is
case-sensitive (``I`` and ``l`` share a class), a second skeleton folds case *before* mapping,
and two names share a skeleton when either form matches.

Shop names share generic words (官方旗舰店, 专卖店, 直播间, official store), so comparing whole
skeletons would make every 官方旗舰店 look like every other. The *core* of a skeleton is what is
left after stripping generic words from both ends (the whole skeleton when nothing is left), and
the similarity of two names is:

* 1.0 when their skeletons are equal (same look, different code points: 官方旗艦店, Nіke);
* 0.9 when their cores are equal (same brand, other wrapper: 耐克旗舰店 vs 耐克官方旗舰店);
* else 1 − Levenshtein(core₁, core₂) / the longer core's length (李宁 vs 安踏: 0.0).

A name is a lookalike when its best similarity to a verified name other than itself reaches
:data:`THRESHOLD` (0.75: equal skeletons, equal cores, or one edit in a core of four or more
characters, such as Nikke or 三只松树 for 三只松鼠). Limits: a swap of a look-alike character
missing from the tables in a core of two or three characters is missed, and so is a brand name
embedded in a longer one (安踏 in 平安踏实); the tables are the place to extend.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable
from pathlib import Path
from typing import Final, NamedTuple

import msgspec
import opencc

from livelens.errors import InvalidInput

DATA_DIR: Final = Path(__file__).resolve().parent / "data"
THRESHOLD: Final = 0.75
SAME_SKELETON: Final = 1.0
SAME_CORE: Final = 0.9
_MAX_PASSES: Final = 4

# Stripped from either end of a skeleton, longest first; the single characters only at the end.
_GENERIC_WORDS: Final = (
    "官方旗舰店",
    "官方直播间",
    "官方旗舰",
    "官方账号",
    "官方店",
    "官方号",
    "旗舰店",
    "专卖店",
    "专营店",
    "直营店",
    "体验店",
    "自营店",
    "直播间",
    "官方",
    "旗舰",
    "自营",
    "直播",
    "正品",
    "小店",
    "店铺",
    "商城",
    "official",
    "flagship",
    "store",
    "shop",
    "live",
    "studio",
)
_GENERIC_ENDINGS: Final = ("店", "的")

# Default-ignorable code points (UTS #39 removes them) beyond the Cf/Cc categories.
_INVISIBLE_RANGES: Final = (
    (0x00AD, 0x00AD),
    (0x034F, 0x034F),
    (0x115F, 0x1160),
    (0x17B4, 0x17B5),
    (0x180B, 0x180F),
    (0x200B, 0x200F),
    (0x202A, 0x202E),
    (0x2060, 0x206F),
    (0x3164, 0x3164),
    (0xFE00, 0xFE0F),
    (0xFEFF, 0xFEFF),
    (0xFFA0, 0xFFA0),
    (0x1BCA0, 0x1BCA3),
    (0xE0000, 0xE0FFF),
)
_DROPPED_CATEGORIES: Final = frozenset(
    {"Cc", "Cf", "Cs", "Co", "Cn", "Mn", "Me", "Zs", "Zl", "Zp"}
    | {"Pc", "Pd", "Ps", "Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So"}
)


class LookalikeResult(msgspec.Struct, frozen=True):
    """``lookalike_of``: the verified name imitated, or ``None``; ``score``: the best similarity
    (0..1) to a verified name other than the checked name itself."""

    lookalike_of: str | None
    score: float


class _Form(NamedTuple):
    skeleton: str
    core: str


def _table(name: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        fields = line.split("#", 1)[0].split(";")
        if len(fields) == 2:
            source, target = fields
            mapping[int(source, 16)] = "".join(chr(int(code, 16)) for code in target.split())
    return mapping


def _groups(name: str) -> dict[int, str]:
    mapping: dict[int, str] = {}
    for line in (DATA_DIR / name).read_text(encoding="utf-8").splitlines():
        group = line.split("#", 1)[0].split()
        for member in group[1:]:
            mapping[ord(member)] = group[0]
    return mapping


class _Tables(NamedTuple):
    confusables: dict[int, str]
    cjk: dict[int, str]
    t2s: opencc.OpenCC


@functools.cache
def _tables() -> _Tables:
    return _Tables(_table("confusables.txt"), _groups("cjk_similar.txt"), opencc.OpenCC("t2s"))


def _invisible(char: str) -> bool:
    code = ord(char)
    return any(low <= code <= high for low, high in _INVISIBLE_RANGES)


def _visible_letters(text: str) -> str:
    return "".join(
        char
        for char in text
        if unicodedata.category(char) not in _DROPPED_CATEGORIES and not _invisible(char)
    )


def _letters(text: str) -> str:
    """Combining marks, spaces, punctuation, symbols and invisibles removed (NFD, then NFC)."""
    return unicodedata.normalize("NFC", _visible_letters(unicodedata.normalize("NFD", text)))


def _clean(text: str) -> str:
    """NFKC; invisibles removed; traditional → simplified; marks, spaces, punctuation removed."""
    text = unicodedata.normalize("NFKC", text)
    text = "".join(char for char in text if not _invisible(char))
    return _letters(str(_tables().t2s.convert(text)))


def _settle(text: str) -> str:
    """Map to class representatives, fold to simplified and lower case until nothing changes
    (Μ → M → m → rn)."""
    tables = _tables()
    for _ in range(_MAX_PASSES):
        mapped = text.translate(tables.confusables).translate(tables.cjk)
        settled = _letters(str(tables.t2s.convert(mapped)).casefold())
        if settled == text:
            break
        text = settled
    return text


def skeleton(text: str) -> str:
    """The UTS #39-style skeleton of ``text`` (see the module docstring), case-folded last."""
    return _settle(_clean(text))


def _folded_skeleton(text: str) -> str:
    """The skeleton with case folded first, so that ``NIKE`` and ``Nike`` meet (I ≠ l here)."""
    return _settle(_clean(text).casefold())


@functools.cache
def _generic(variant: int) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The generic words (both ends) and endings as skeletons of the given variant."""
    make = (skeleton, _folded_skeleton)[variant]
    words = sorted({make(word) for word in _GENERIC_WORDS}, key=len, reverse=True)
    return tuple(words), tuple(make(ending) for ending in _GENERIC_ENDINGS)


def _core(skel: str, variant: int) -> str:
    words, endings = _generic(variant)
    core, changed = skel, True
    while changed and core:
        changed = False
        for word in words:
            if core.endswith(word):
                core, changed = core[: -len(word)], True
            if core.startswith(word):
                core, changed = core[len(word) :], True
        for ending in endings:
            if core.endswith(ending):
                core, changed = core[: -len(ending)], True
    return core or skel


def _forms(name: str) -> tuple[_Form, _Form]:
    mapped, folded = skeleton(name), _folded_skeleton(name)
    return _Form(mapped, _core(mapped, 0)), _Form(folded, _core(folded, 1))


def levenshtein(a: str, b: str) -> int:
    """Edit distance (insertions, deletions, substitutions of one character each)."""
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, start=1):
        current = [i]
        for j, char_b in enumerate(b, start=1):
            cost = 0 if char_a == char_b else 1
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost))
        previous = current
    return previous[-1]


def _similarity(left: tuple[_Form, _Form], right: tuple[_Form, _Form]) -> float:
    best = 0.0
    for one, other in zip(left, right, strict=True):
        if not one.skeleton or not other.skeleton:
            continue
        if one.skeleton == other.skeleton:
            return SAME_SKELETON
        if one.core == other.core:
            best = max(best, SAME_CORE)
            continue
        longest = max(len(one.core), len(other.core))
        best = max(best, 1.0 - levenshtein(one.core, other.core) / longest)
    return best


def similarity(name: str, other: str) -> float:
    """How alike two room names look, 0..1 (see the module docstring)."""
    return _similarity(_forms(name), _forms(other))


def _exact(name: str) -> str:
    return unicodedata.normalize("NFC", name.strip())


class VerifiedRooms:
    """A registry of verified room names, prepared once for many :meth:`check` calls."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = [name.strip() for name in names if name.strip()]
        self._exact = {_exact(name) for name in self.names}
        self._forms = [_forms(name) for name in self.names]

    def check(self, name: str) -> LookalikeResult:
        """The verified name that ``name`` imitates (score ≥ :data:`THRESHOLD`), if any.

        A verified name itself is never a lookalike (its score compares it with the others).
        """
        exact = _exact(name)
        forms = _forms(name)
        best_name: str | None = None
        best = 0.0
        for verified, verified_forms in zip(self.names, self._forms, strict=True):
            if _exact(verified) == exact:
                continue
            score = _similarity(forms, verified_forms)
            if score > best:
                best_name, best = verified, score
        flagged = best >= THRESHOLD and exact not in self._exact
        return LookalikeResult(best_name if flagged else None, round(best, 3))


def check_name(name: str, verified: Iterable[str]) -> LookalikeResult:
    """:meth:`VerifiedRooms.check` for one name."""
    return VerifiedRooms(verified).check(name)


def parse_verified_names(text: str, where: str) -> list[str]:
    """Verified names from a file's text: one a line; blank lines and ``#`` comments skipped."""
    names = [line.strip() for line in text.splitlines()]
    names = [name for name in names if name and not name.startswith("#")]
    if not names:
        msg = f"{where}: no verified room names (expected one name a line)"
        raise InvalidInput(msg)
    return names
