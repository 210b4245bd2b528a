"""Hot words against the session's own baseline, and near-duplicate merging."""

from __future__ import annotations

from collections import Counter

import pytest
from scipy.stats import chi2_contingency

from livelens.comments.dedupe import dedupe_key, merge_near_duplicates
from livelens.comments.hotwords import (
    BUILTIN_STOPWORDS,
    _g2,
    content_words,
    count_words,
    hot_words,
    hot_words_per_window,
    load_stopwords,
)


@pytest.mark.parametrize(
    "table", [(20, 180, 5, 795), (3, 50, 0, 400), (1, 1, 1, 1), (40, 60, 40, 60)]
)
def test_g2_matches_scipys_log_likelihood_ratio(table: tuple[int, int, int, int]) -> None:
    """Golden values: scipy.stats.chi2_contingency(lambda_="log-likelihood", correction=False)."""
    a, b, c, d = table
    expected = chi2_contingency([[a, b], [c, d]], correction=False, lambda_="log-likelihood")[0]
    assert _g2(a, b, c, d) == pytest.approx(expected, rel=1e-9)


def test_a_planted_word_is_hot_and_constant_chatter_is_not() -> None:
    baseline = Counter({"主播": 400, "好看": 300, "羽绒服": 4, "链接": 50})
    window = Counter({"主播": 40, "好看": 30, "羽绒服": 25, "链接": 5})
    found = hot_words(window, baseline)
    assert [w.word for w in found] == ["羽绒服"]
    assert found[0].count == 25
    assert found[0].baseline_count == 4
    assert found[0].lift > 10


def test_rare_words_need_a_minimum_count() -> None:
    assert hot_words(Counter({"新词": 2}), Counter({"别的": 100})) == []
    assert hot_words(Counter(), Counter({"别的": 100})) == []


def test_without_a_baseline_the_most_frequent_words_lead() -> None:
    found = hot_words(Counter({"福袋": 9, "秒杀": 5, "x": 1}), Counter())
    assert [w.word for w in found] == ["福袋", "秒杀"]


def test_content_words_drop_stopwords_and_noise() -> None:
    tokens = ["的", "羽绒服", "!", "a", "S", "码", "7", "链接", "哈"]
    assert list(content_words(tokens, BUILTIN_STOPWORDS)) == ["羽绒服", "码", "链接", "哈"]
    assert count_words([["链接", "链接"], ["的", "链接"]], BUILTIN_STOPWORDS) == {"链接": 3}


def test_shared_stopword_lists_load(shared_data: object) -> None:
    from livelens.settings import data_dir

    words = load_stopwords(data_dir() / "stopwords")
    assert len(words) > 2_000
    assert {"的", "了", "我们"} <= words


@pytest.mark.parametrize(
    ("text", "key"),
    [
        ("多少钱？？", "多少钱"),
        ("多少钱啊", "多少钱"),
        ("多少钱 啊啊", "多少钱"),
        ("哈哈哈哈哈哈", "哈哈"),
        ("666666", "66"),
        ("👍👍👍", ""),
        ("s码有吗", "s码有吗"),
    ],
)
def test_dedupe_key(text: str, key: str) -> None:
    assert dedupe_key(text) == key


def test_merge_counts_comments_and_distinct_viewers() -> None:
    merged = merge_near_duplicates(
        [
            ("v1", "多少钱？"),
            ("v2", "多少钱啊"),
            ("v1", "多少钱"),
            ("v3", "有S码吗"),
            (None, "！！"),
        ]
    )
    assert [(m.key, m.count, m.viewers) for m in merged] == [("多少钱", 3, 2), ("有S码吗", 1, 1)]
    assert merged[0].variants == ["多少钱？", "多少钱啊", "多少钱"]


def test_hot_words_per_window_find_the_window_where_a_word_surges() -> None:
    chatter = Counter({"主播": 20, "好看": 15})
    minutes = [chatter.copy() for _ in range(30)]
    for minute in (12, 13, 14):
        minutes[minute]["福袋"] = 30
    windows = hot_words_per_window(minutes, window=5)
    assert [(w.start_minute, w.end_minute) for w in windows][:3] == [(0, 5), (5, 10), (10, 15)]
    surging = [w for w in windows if any(h.word == "福袋" for h in w.words)]
    assert [(w.start_minute, w.end_minute) for w in surging] == [(10, 15)]
    assert all(h.word != "主播" for w in windows for h in w.words)
