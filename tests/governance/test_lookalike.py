"""Lookalike room names: confusables, look-alike and traditional Chinese, invisible characters."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from livelens.cli import cli
from livelens.errors import InvalidInput
from livelens.governance.lookalike import (
    DATA_DIR,
    THRESHOLD,
    VerifiedRooms,
    check_name,
    levenshtein,
    parse_verified_names,
    similarity,
    skeleton,
)

VERIFIED = ("官方旗舰店", "Nike官方旗舰店", "安踏官方旗舰店", "三只松鼠旗舰店", "耐克官方旗舰店")
ZWJ, ZWSP, RLO, VS16 = "\u200d", "\u200b", "\u202e", "\ufe0f"

# (name, verified name it imitates or None) — the table first, then more attacks.
CASES = [
    ("官方旗艦店", "官方旗舰店"),  # traditional 艦
    ("宫方旗舰店", "官方旗舰店"),  # 宫 for 官
    ("Nіke官方旗舰店", "Nike官方旗舰店"),  # Cyrillic і
    (f"Ni{ZWJ}ke官方旗舰店", "Nike官方旗舰店"),  # zero-width joiner inside
    ("Nike官方旗舰店", None),  # the verified room itself
    ("张三的小店", None),  # unrelated
    ("李宁官方旗舰店", None),  # a different brand with the same suffix
    (f"Nike{ZWSP}官方旗舰店", "Nike官方旗舰店"),
    (f"Nike官方旗舰店{VS16}", "Nike官方旗舰店"),
    (f"{RLO}Nike官方旗舰店", "Nike官方旗舰店"),
    ("Ｎｉｋｅ官方旗舰店", "Nike官方旗舰店"),  # fullwidth
    ("NIKE官方旗舰店", "Nike官方旗舰店"),
    ("Nïke官方旗舰店", "Nike官方旗舰店"),  # a combining-mark disguise
    ("【Nike】官方·旗舰店", "Nike官方旗舰店"),  # decorative punctuation
    ("Nike 官方 旗舰店", "Nike官方旗舰店"),
    ("官方旗舰店Nike", "Nike官方旗舰店"),
    ("Nikke官方旗舰店", "Nike官方旗舰店"),  # one edit in the brand
    ("安踏官方旗艦店", "安踏官方旗舰店"),
    ("安蹋官方旗舰店", "安踏官方旗舰店"),  # 蹋 for 踏
    ("三只松树旗舰店", "三只松鼠旗舰店"),  # one edit in a four-character brand
    ("耐克旗舰店", "耐克官方旗舰店"),  # the same brand in another wrapper
    ("官方祺舰庄", "官方旗舰店"),  # 祺 for 旗, 庄 for 店
    ("Nikon官方旗舰店", None),
    ("安踏儿童官方旗舰店", None),
    ("特步官方旗舰店", None),
    ("Adidas官方旗舰店", None),
]


@pytest.fixture(scope="module")
def rooms() -> VerifiedRooms:
    return VerifiedRooms(VERIFIED)


@pytest.mark.parametrize(("name", "imitates"), CASES)
def test_lookalike_table(rooms: VerifiedRooms, name: str, imitates: str | None) -> None:
    result = rooms.check(name)
    assert result.lookalike_of == imitates
    if imitates is not None:
        assert result.score >= THRESHOLD
    else:
        assert result.score < THRESHOLD or name in VERIFIED


@pytest.mark.parametrize(
    ("brand", "other"),
    [
        ("李宁", "安踏"),
        ("小米", "华为"),
        ("森马", "海澜之家"),
        ("良品铺子", "三只松鼠"),
        ("Nike", "Puma"),
        ("美的", "格力"),
    ],
)
@pytest.mark.parametrize(
    "suffix", ["官方旗舰店", "旗舰店", "官方直播间", "专卖店", " Official Store"]
)
def test_a_shared_suffix_does_not_make_brands_alike(brand: str, other: str, suffix: str) -> None:
    result = check_name(brand + suffix, [other + suffix])
    assert result.lookalike_of is None
    assert result.score < 0.5


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("官方旗艦店", "官方旗舰店"),
        ("宫方旗舰店", "官方旗舰店"),
        ("Nіke", "nike"),  # Cyrillic і
        ("ΝΙΚΕ", "nlke"),  # Greek capitals, mapped case-sensitively as UTS #39 does
        ("N1KE", "nlke"),
        ("Ｎｉｋｅ", "nike"),
        ("「Nike」•旗舰-店_", "nike旗舰店"),
        (f"N{ZWJ}i{ZWSP}k{RLO}e{VS16}", "nike"),
        ("café", "cafe"),
        ("Puma", "purna"),  # m and rn share a skeleton
    ],
)
def test_skeleton(text: str, expected: str) -> None:
    assert skeleton(text) == expected


def test_the_data_tables_parse_and_settle() -> None:
    """Every source in the tables reaches a fixed point: a skeleton's skeleton is itself."""
    sources = []
    for line in (DATA_DIR / "confusables.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            sources.append(chr(int(line.split(";")[0], 16)))
    for line in (DATA_DIR / "cjk_similar.txt").read_text(encoding="utf-8").splitlines():
        if line and not line.startswith("#"):
            sources.extend(line.split())
    assert len(sources) > 2000
    assert skeleton("а") == skeleton("a")  # Cyrillic and Latin a, via the table
    for source in sources:
        assert skeleton(skeleton(source)) == skeleton(source), source


@given(st.text(max_size=20))
def test_skeleton_is_idempotent(text: str) -> None:
    once = skeleton(text)
    assert skeleton(once) == once


@given(st.text(min_size=1, max_size=12), st.sampled_from([ZWJ, ZWSP, RLO, VS16, "\u2060", " "]))
def test_invisible_characters_never_change_a_skeleton(text: str, invisible: str) -> None:
    disguised = invisible.join(text)
    assert skeleton(disguised) == skeleton(text)


@given(st.text(min_size=1, max_size=10), st.text(min_size=1, max_size=10))
def test_similarity_is_symmetric_and_bounded(a: str, b: str) -> None:
    assert similarity(a, b) == similarity(b, a)
    assert 0.0 <= similarity(a, b) <= 1.0


@pytest.mark.parametrize(
    ("a", "b", "distance"),
    [("", "", 0), ("nike", "nike", 0), ("nike", "nikke", 1), ("李宁", "安踏", 2), ("abc", "", 3)],
)
def test_levenshtein(a: str, b: str, distance: int) -> None:
    assert levenshtein(a, b) == distance == levenshtein(b, a)


def test_an_nfc_equal_verified_name_is_the_room_itself() -> None:
    decomposed = unicodedata.normalize("NFD", "Café官方旗舰店")
    assert check_name(decomposed, ["Café官方旗舰店"]).lookalike_of is None


def test_parse_verified_names() -> None:
    assert parse_verified_names("# brands\nNike官方旗舰店\n\n  安踏官方旗舰店  \n", "f") == [
        "Nike官方旗舰店",
        "安踏官方旗舰店",
    ]
    with pytest.raises(InvalidInput, match="no verified room names"):
        parse_verified_names("# nothing\n\n", "empty.txt")


# --- the command line ---------------------------------------------------------------------


@pytest.fixture
def verified_file(tmp_path: Path) -> Path:
    path = tmp_path / "verified.txt"
    path.write_text("\n".join(VERIFIED) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("name", "expected", "exit_code"),
    [
        ("官方旗艦店", {"lookalike_of": "官方旗舰店", "score": 1.0}, 1),
        ("宫方旗舰店", {"lookalike_of": "官方旗舰店", "score": 1.0}, 1),
        ("Nіke官方旗舰店", {"lookalike_of": "Nike官方旗舰店", "score": 1.0}, 1),
        (f"Nike{ZWJ}官方旗舰店", {"lookalike_of": "Nike官方旗舰店", "score": 1.0}, 1),
        ("Nike官方旗舰店", {"lookalike_of": None, "score": 0.0}, 0),
        ("张三的小店", {"lookalike_of": None, "score": 0.0}, 0),
        ("李宁官方旗舰店", {"lookalike_of": None, "score": 0.0}, 0),
    ],
)
def test_cli_check_name(verified_file: Path, name: str, expected: object, exit_code: int) -> None:
    result = CliRunner().invoke(
        cli, ["rooms", "check-name", name, "--verified", str(verified_file)]
    )
    assert result.exit_code == exit_code, result.output
    assert json.loads(result.output) == expected


def test_cli_legit_brand_against_another_verified_brand(tmp_path: Path) -> None:
    path = tmp_path / "verified.txt"
    path.write_text("安踏官方旗舰店\n", encoding="utf-8")
    result = CliRunner().invoke(
        cli, ["rooms", "check-name", "李宁官方旗舰店", "--verified", str(path)]
    )
    assert result.exit_code == 0
    assert json.loads(result.output)["lookalike_of"] is None


def test_cli_empty_registry_is_an_error(tmp_path: Path) -> None:
    path = tmp_path / "verified.txt"
    path.write_text("\n", encoding="utf-8")
    result = CliRunner().invoke(cli, ["rooms", "check-name", "x", "--verified", str(path)])
    assert result.exit_code == 1
    assert "no verified room names" in result.output
