"""Normalization and segmentation: one spelling per meaning, and the room's words kept whole."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from livelens.comments.normalize import normalize
from livelens.comments.segment import DOMAIN_WORDS, Segmenter


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter(["雅诗兰黛", "小棕瓶精华", "空氣炸鍋", "ＳＫ-II神仙水"])


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("這個多少錢？？？", "这个多少钱?"),  # Traditional → Simplified, full-width, one "?"
        ("ＳＭＬ都有吗", "sml都有吗"),
        ("多少Q", "多少钱"),
        ("多少qian", "多少钱"),
        ("这个多钱", "这个多少钱"),
        ("几块", "几块钱"),
        ("99米是吧", "99元是吧"),  # 米 for 元 after a price
        ("199块", "199元"),
        ("1.8米的床", "1.8米的床"),  # metres stay metres
        ("1米5的床", "1米5的床"),
        ("这根线多少米长", "这根线多少米长"),
        ("连接在哪", "链接在哪"),
        ("lian接", "链接"),
        ("蓝牙连接稳定吗", "蓝牙连接稳定吗"),  # a connection, not a link
        ("包油吗", "包邮吗"),
        ("包郵嗎", "包邮吗"),
        ("S碼", "s码"),
        ("S号有吗", "s码有吗"),
        ("有貨么", "有货吗"),
        ("木有货了", "没有货了"),
        ("dd主播", "滴滴主播"),
        ("zb好", "主播好"),
        ("加薇信", "加微信"),
        ("vx：abc", "微信:abc"),
        ("➕V", "+v"),
        ("www点abc点com", "www.abc.com"),
        ("  好看   好看 ", "好看 好看"),
        ("👏👏👏", "👏"),
        ("哈哈哈哈", "哈哈哈哈"),  # repeated words are content, not noise
    ],
)
def test_normalize(raw: str, canonical: str) -> None:
    assert normalize(raw) == canonical


_ALPHABET = st.sampled_from(
    [
        *"多少钱米块几连接链结包邮油么木有货码号的床长是吧lianjqsmxvdzbw点com？?！!。 ，",
        *("１", "Ｓ", "貨", "錢", "連", "鏈", "號", "碼", "👏", "\u3000", "9", "1", ".", "➕"),
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, max_size=12).map("".join))
def test_normalize_is_idempotent(text: str) -> None:
    once = normalize(text)
    assert normalize(once) == once


@pytest.mark.parametrize(
    ("text", "whole"),
    [
        ("多少钱包邮吗", ["多少钱", "包邮"]),  # not 多少/钱包/邮
        ("上链接上链接", ["上链接"]),
        ("七天无理由吗", ["七天无理由"]),
        ("福袋什么时候开", ["福袋"]),
        ("秒杀还有货吗", ["秒杀", "有货吗"]),
        ("有s码吗", ["s码"]),
        ("已拍，到手价多少", ["已拍", "到手价"]),
        ("有运费险吗", ["运费险"]),
        ("家人们扣1", ["家人们", "扣1"]),
        ("是ai主播吗", ["ai主播"]),
    ],
)
def test_domain_words_stay_whole(text: str, whole: list[str], segmenter: Segmenter) -> None:
    tokens = segmenter.tokens(normalize(text))
    for word in whole:
        assert word in tokens, tokens


def test_catalog_names_stay_whole_and_only_in_their_room(segmenter: Segmenter) -> None:
    text = normalize("雅诗兰黛小棕瓶精华和空气炸锅多少钱")
    tokens = segmenter.tokens(text)
    assert tokens[:2] == ["雅诗兰黛", "小棕瓶精华"]
    assert "空气炸锅" in tokens  # the catalog was written in Traditional characters
    assert "sk-ii神仙水" in segmenter.terms  # and full-width letters
    other_room = Segmenter()
    assert "小棕瓶精华" not in other_room.tokens(text)


@pytest.mark.parametrize(
    ("traditional", "simplified"),
    [
        ("這個多少錢", "这个多少钱"),
        ("有沒有優惠券", "有没有优惠券"),
        ("什麼時候發貨", "什么时候发货"),
        ("尺碼偏大嗎", "尺码偏大吗"),
        ("鏈接在哪裡", "链接在哪里"),
        ("可以退貨嗎，質量怎麼樣", "可以退货吗，质量怎么样"),
        ("雅詩蘭黛小棕瓶精華", "雅诗兰黛小棕瓶精华"),
    ],
)
def test_traditional_gives_the_same_tokens(
    traditional: str, simplified: str, segmenter: Segmenter
) -> None:
    assert segmenter.tokens(normalize(traditional)) == segmenter.tokens(normalize(simplified))


def test_punctuation_and_spaces_are_dropped_emoji_kept(segmenter: Segmenter) -> None:
    assert segmenter.tokens(normalize("好看！！！ 👏 ～～ 买它。")) == ["好看", "👏", "买", "它"]
    assert segmenter.tokens(normalize("？？？")) == []
    assert segmenter.tokens("") == []


@pytest.mark.parametrize(
    ("text", "kou"), [("扣1", "扣1"), ("扣12", "扣12"), ("扣 666", "扣666"), ("扣个2", None)]
)
def test_kou_joins_the_number_that_follows(
    text: str, kou: str | None, segmenter: Segmenter
) -> None:
    tokens = segmenter.tokens(normalize(text))
    if kou is None:
        assert not any(t.startswith("扣") and t[1:].isdigit() for t in tokens), tokens
    else:
        assert kou in tokens, tokens


def test_domain_words_are_normalized() -> None:
    for word in DOMAIN_WORDS:
        assert normalize(word) == word, word
