"""The comment layer on the 41k real comments of the Bilibili recording (no shopping there).

Run with ``-s`` to see the sample: hot words per 5-minute window, the top floods and repeats.
"""

from __future__ import annotations

import csv
from collections import Counter
from datetime import datetime
from pathlib import Path

from livelens.comments.analyze import CommentAnalyzer
from livelens.comments.dedupe import merge_near_duplicates
from livelens.comments.hotwords import content_words, hot_words_per_window, load_stopwords
from livelens.comments.normalize import normalize


def _room_comments(shared_data: Path, room: str = "11365") -> list[tuple[str, str, int]]:
    path = shared_data / "live" / "bilibili-2021-12-30" / "danmaku.csv"
    rows = []
    with path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            if row["room_id"] == room:
                stamp = f"{row['date']} {row['exact_time']} +0800"
                at = datetime.strptime(stamp, "%Y.%m.%d %H:%M:%S %z")
                rows.append((row["user_name"], row["content"], int(at.timestamp()) // 60))
    return rows


def test_hot_words_spam_and_repeats_make_sense_on_real_chat(shared_data: Path) -> None:
    comments = _room_comments(shared_data)
    assert len(comments) == 41_108
    analyses = CommentAnalyzer().analyze([text for _, text, _ in comments])
    stopwords = load_stopwords(shared_data / "stopwords")
    first = min(m for _, _, m in comments)
    per_minute: list[Counter[str]] = [
        Counter() for _ in range(max(m for _, _, m in comments) - first + 1)
    ]
    for (_, _, minute), analysis in zip(comments, analyses, strict=True):
        per_minute[minute - first].update(content_words(analysis.tokens, stopwords))
    windows = hot_words_per_window(per_minute, window=5, top=5)
    print("\nhot words per 5-minute window (first 8):")
    for window in windows[:8]:
        print(f"  {window.start_minute:>3}–{window.end_minute:<3}", [w.word for w in window.words])

    # Hot words are local topics, not the room's constant chatter.
    with_words = [w for w in windows if w.words]
    assert len(with_words) >= 0.8 * len(windows)
    hot_everywhere = Counter(h.word for w in windows for h in w.words)
    assert hot_everywhere.most_common(1)[0][1] <= len(windows) // 3
    assert all(h.lift > 1 for w in windows for h in w.words)

    # No shop, no ads: spam is rare; the most repeated comments are chants.
    spam = [a.text for a in analyses if a.is_spam]
    print("spam-flagged:", spam[:10])
    assert len(spam) < 0.005 * len(analyses)
    repeated = merge_near_duplicates((v, normalize(t)) for v, t, _ in comments)
    print("most repeated:", [(m.text, m.count, m.viewers) for m in repeated[:8]])
    assert repeated[0].count > 1_000
    assert all(len(m.key) <= 6 for m in repeated[:8])
    # Shopping concerns are (rightly) almost absent from an entertainment room.
    concern_share = sum(
        any(k in a.intents for k in ("price", "size", "shipping", "stock")) for a in analyses
    ) / len(analyses)
    assert concern_share < 0.01
