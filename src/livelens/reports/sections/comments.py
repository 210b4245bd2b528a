"""What viewers said: the comment concerns (with their chart) and the hot words per window."""

from __future__ import annotations

from livelens.reports.charts import concerns_svg
from livelens.reports.markup import NOT_AVAILABLE, both, esc, missing, ratio, table
from livelens.reports.model import Review


def concerns(review: Review) -> str:
    if not review.concerns:
        return missing("comments were not classified")
    rows = [
        (
            both(r.name_zh, r.name_en),
            f"{r.comments:,}",
            ratio(r.share_of_comments),
            f"{r.questions:,}",
            ratio(r.share_of_questions),
        )
        for r in review.concerns
    ]
    head = [
        ("关注点", "concern"),
        ("评论", "comments"),
        ("占评论", "of comments"),
        ("提问", "questions"),
        ("占提问", "of questions"),
    ]
    intro = (
        f'<p class="note">共 {review.comments:,} 条评论，其中 {review.questions:,} 条提问；'
        "一条评论可有多个标签 (a comment can carry several labels)</p>"
    )
    chart = f'<div class="chart narrow">{concerns_svg(review.concerns)}</div>'
    return intro + table(head, rows, "concerns") + chart


def hot_words(review: Review) -> str:
    rows = [
        (
            f"{w.start_minute}–{w.end_minute}",
            "、".join(f"{esc(h.word)}<small>×{h.count}</small>" for h in w.words) or NOT_AVAILABLE,
        )
        for w in review.hot_words
    ]
    window = review.hot_words_window_minutes
    note = (
        f'<p class="note">每{window}分钟窗口相对全场其余时段显著多出的词'
        f"（G² ≥ 10.83）— words over-represented in each {window}-minute"
        " window against the rest of the session</p>"
    )
    return note + table([("分钟", "minutes"), ("热词", "hot words")], rows, "hotwords")
