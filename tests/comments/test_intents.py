"""The concern/intent taxonomy and question detection, measured on a labelled evaluation set.

Four files hold 2416 live-commerce comments as viewers type them (slang, typos, emoji,
Traditional characters, pinyin, multi-concern comments and hard negatives), one JSON object per
line: ``text``, ``labels``, ``is_question``, ``round``. ``intent_eval.jsonl`` holds rounds A–E
(943); ``intent_blind_eval.jsonl`` holds round F (436; its author's notes and counts are in
``intent_blind_eval.md``); ``intent_blind_eval_g.jsonl`` holds round G (438; notes in
``intent_blind_eval_g.md``); ``intent_blind_eval_h.jsonl`` holds round H (599; notes in
``intent_blind_eval_h.md``). 36 short comments of round F ("链接", "已拍", "有S码吗" …) were also
written, independently, in earlier rounds; both copies are kept.

How labels were decided (one written rule per label; a comment takes every label that applies):

* price — asks what something costs, or judges its price level (贵, 便宜, 划算, 性价比, 99元是吧).
* discount — coupons, promotions, giveaways and bargaining for a lower price (券, 满减, 秒杀,
  福袋, 赠品, 便宜点, 能打折吗). A promotional price (福利价, 专属价) is discount.
* size — sizes, fit, body measures, dimensions and the quantity of content (S码, 160 100斤,
  偏大还是偏小, 多少毫升, 一包几片, 1.8米的床). Clothes "能穿吗" for a body type is size.
* shipping — dispatch, carriers, delivery time, destinations, shipping fee, address changes.
* stock — availability, sell-out, restocking, a colour/variant still on sale (还有吗, 补货,
  有黑色吗); "有S码吗" is size, "S码还有吗" is size and stock.
* quality — material, composition, workmanship, durability, taste/smell/effect, suitability for
  a person (孕妇能用吗) when that is the topic; a generic opinion (好用, 好吃) is praise only.
* authenticity — genuine goods, official channels, anti-counterfeit checks (正品, 专柜, 防伪).
* how_to_buy — the link, the cart, which item to pick, how to order and pay (链接, 几号, 花呗).
* after_sales — returns, exchanges, guarantees, invoices, customer service, damaged deliveries.
* comparison — an explicit comparison with another product, variant, brand, shop, channel or
  time (比X便宜, 和X比, 区别, 哪个好); a choice of attribute values (偏大还是偏小) is not.
* praise — a positive opinion on the product, the deal or the host, or announcing a purchase or
  repurchase (已拍, 冲, 回购). An opinion asked about (好吃吗) is not praise.
* complaint — expressed dissatisfaction with the product, service, host, stream or deal.
* interaction — social engagement without shopping content: greetings, arrivals, check-ins,
  call-and-reply (扣1, 666), laughter and reactions, talk to or about the host or the stream
  (including compliments or criticism of the host, which also take praise/complaint). Naming
  the host in a shopping question ("主播 多少钱") does not make it interaction.
* spam — advertising that points outside the room (contact handles, links, 兼职, 刷单 …); an ad
  takes no other label, even when it names shopping things (高仿, 福袋, 便宜一半).
* other — none of the above (talk among viewers, daily life). A question addressed to other
  viewers rather than the host ("楼上姐妹也是东北的？") is other.
* is_question — asks for information the host could answer: a question mark (not a symbols-only
  reaction "？？？"), question words and particles, A-not-A (有没有), X还是Y choices, and bare
  keywords typical of live rooms ("链接", "价格", "s码", "160 100斤"). Requests ("上链接",
  "求链接"), exclamations ("怎么这么贵") and rhetoric ("这么贵谁买啊") are not questions.

The last two rules (questions to other viewers are other; an ad with shopping words is spam
only) are round F's author's reading of borderline cases, adopted as written rules. That
author also marked questions to other viewers ``is_question: false``, where rounds A–E had
marked them true ("你们那边下雨了吗"); both are left as written, and the classifier, which cannot
tell whom a question is addressed to, calls them questions.

How the set was written, and what its score means. Round A (466 comments) was written by hand
before any lexicon existed. The lexicon was then written (by the same author, who had read
round A), so round A is not independent of it. Each later round (B 140, C 140, D 98, E 99) was
written blind against the lexicon of that moment, scored once, and only then used to extend
the lexicon. Those first, blind scores are the honest estimate of how the lexicon does on
phrasing it has not seen: macro-F1 B 0.68, C 0.65, D 0.80, E 0.84 (question accuracy 0.99–1.0
throughout). Seven gold labels were corrected afterwards to agree with the rules above (e.g.
"主播别骗人了" gained interaction). Round F (436) was written by another engineer who had
never seen the classifier, its lexicon, this module or the earlier rounds, from the rules above
alone; scored once, blind, before any tuning, it reached macro-F1 0.798 and question accuracy
0.979. That is the honest generalisation estimate of the lexicon as it then stood, like B–E
before it (its weakest labels: complaint 0.61, quality 0.71, spam 0.79, and other 0.48 —
comments whose cue the lexicon lacked fell through to other). Round F was then used for tuning
like the earlier rounds: general cue words and forms were added for the concerns it showed
missing (defects and sensations, damaged deliveries, gifts with purchase, variants on sale,
ads pointing to a showcase or a side job …), not its comments. Every round has since been used
for tuning, so the scores asserted below (all rounds, ~0.98) measure coverage of this set, not
generalisation; no entry of either file was copied into the lexicon as a phrase. A new blind
round is the only way to measure generalisation again.

Round G (``intent_blind_eval_g.jsonl``, 438 comments; its author's notes in
``intent_blind_eval_g.md``) was written by a third engineer from the rules above alone, without
seeing the classifier, its lexicon, this module or any earlier round, and scored once against
the lexicon tuned on A–F: macro-F1 0.816, question accuracy 0.973 (weakest: other 0.33, quality
0.66 — recall 0.51, complaint 0.75 — recall 0.64, how_to_buy 0.83). Round G was then used for
tuning like the others (2026-11-29): general cues for how viewers phrase quality problems and
complaints (regret, defects found, tastes and smells to excess, early failures), which kind the
goods are ("是X还是Y", a fallback), ordering failures and link abbreviations, plus a batch of
live-commerce vocabulary written from the domain rather than from any round. Its score below is
therefore in-sample too. Where rounds disagree (round G reads goods unlike the listing as
quality + complaint and claiming a coupon as how_to_buy; earlier rounds read them as complaint
and discount only) the majority reading was kept. A learned component (char 1–3-gram logistic
regression per label, leave-one-round-out over A–G) was tried and not shipped: alone it scored
macro-F1 0.77 on the held-out rounds (A–G mean), below the lexicon's blind scores, and added to
the lexicon it gained at most 0.02 on round G (the only round that lexicon had not seen) while
costing precision. The next blind round is the only measure of generalisation.

Round H (``intent_blind_eval_h.jsonl``, 599 comments; its author's notes in
``intent_blind_eval_h.md``) was written by a fourth engineer under the same conditions and scored
once, blind, against the lexicon tuned on A–G: macro-F1 0.839, question accuracy 0.967 (weakest:
other 0.41 — precision 0.26, comments whose cue the lexicon lacked fell through to other —
complaint 0.81, quality 0.82, authenticity 0.83, how_to_buy 0.84). That is the honest
generalisation estimate of the lexicon as it then stood. Round H was then used for tuning with
rounds G and earlier (2026-11-29): phrasing families rather than comments — counts and dimensions
asked (几本, 长宽高, "155/90", "拍38还是39"), sensations and side effects in use (戴久了, 会胖,
起疹子, 晕妆), sarcasm and broken promises (抢钱, 凭什么, "说是X … 只有Y", "实物小一圈"), praise
as "better than expected" or trust (超出预期, 没得说, 信任, "比X便宜多了"), payment and delivery
options (月付, 单独买, 自提, 送上门), product properties by category written from the domain, and
two-character A-not-A questions (防滑不防滑). Every phrase was checked against the 41k real
Bilibili comments (``test_real_comments.py``) and dropped or narrowed where it fired wrongly
there (pdd is a streamer's name there, 戴着 is about glasses, 个头 matches 这个头). Where rounds
disagree the majority reading was kept (退货运费谁出 is shipping too, 假一赔十 after-sales too:
rounds F, G and H against A and D). Round H's score below (0.953) is therefore in-sample, like
every other round's; the cross-round transfer was small (the changes drawn from H moved round G
by +0.003, those drawn from G moved H by less than 0.001), so the next blind round, not these
numbers, will say how far the lexicon generalises.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import TypedDict

import pytest

from livelens.comments.intents import INTENT_LABELS, THRESHOLD, classify, is_question
from livelens.comments.lexicon import FALLBACK_CUES, PATTERN_CUES, PHRASE_CUES, TOKEN_CUES
from livelens.comments.normalize import normalize
from livelens.comments.segment import Segmenter
from livelens.sources.simulation.catalog import catalog_specs
from livelens.sources.simulation.comments import CONCERNS, build_comment_bank

EVAL_PATHS = (
    Path(__file__).with_name("intent_eval.jsonl"),  # rounds A–E
    Path(__file__).with_name("intent_blind_eval.jsonl"),  # round F, written blind
    Path(__file__).with_name("intent_blind_eval_g.jsonl"),  # round G, written blind
    Path(__file__).with_name("intent_blind_eval_h.jsonl"),  # round H, written blind
)
MIN_MACRO_F1 = 0.85
# Measured 2026-11-29 after tuning on rounds G and H (in-sample): all rounds A–H 0.967, question
# 0.987; per round A .984 B .981 C .981 D .981 E .992 F .974 G .941 H .953 (H: question .977).
# The guards sit just below. Round H scored 0.839 (question 0.967) once, blind, before this
# tuning; its guard now only catches regressions, it says nothing about generalisation.
MIN_ALL_ROUNDS_MACRO_F1 = 0.96
MIN_ROUND_G_MACRO_F1 = 0.93
MIN_ROUND_H_MACRO_F1 = 0.94
MIN_QUESTION_ACCURACY = 0.98
MIN_ROUND_H_QUESTION_ACCURACY = 0.97
# Round I, written blind (only the labelling rules seen) while the lexicon was tuned on G and H by
# someone who never opened it, scored once after that tuning was committed (2026-11-29): macro-F1
# 0.892, question accuracy 0.974. Kept out of tuning: the out-of-sample guard, just below.
BLIND_ROUND_I = Path(__file__).with_name("intent_blind_eval_i.jsonl")
MIN_ROUND_I_MACRO_F1 = 0.87
MIN_ROUND_I_QUESTION_ACCURACY = 0.96


class EvalRow(TypedDict):
    text: str
    labels: list[str]
    is_question: bool
    round: str


@pytest.fixture(scope="module")
def segmenter() -> Segmenter:
    return Segmenter()


def _read(path: Path) -> list[EvalRow]:
    with path.open(encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@pytest.fixture(scope="module")
def eval_rows() -> list[EvalRow]:
    return [row for path in EVAL_PATHS for row in _read(path)]


def _analyse(text: str, segmenter: Segmenter) -> tuple[dict[str, float], bool]:
    normalized = normalize(text)
    tokens = segmenter.tokens(normalized)
    return classify(normalized, tokens), is_question(normalized, tokens)


def _scores(
    rows: list[EvalRow], segmenter: Segmenter
) -> tuple[dict[str, tuple[float, float, float, int]], float, float]:
    """Per label (precision, recall, F1, support); macro-F1; question accuracy."""
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    questions_right = 0
    for row in rows:
        predicted, asks = _analyse(row["text"], segmenter)
        gold = set(row["labels"])
        for label in predicted.keys() | gold:
            tp[label] += label in predicted and label in gold
            fp[label] += label in predicted and label not in gold
            fn[label] += label in gold and label not in predicted
        questions_right += asks == row["is_question"]
    per_label = {}
    for label in INTENT_LABELS:
        precision = tp[label] / (tp[label] + fp[label]) if tp[label] + fp[label] else 0.0
        recall = tp[label] / (tp[label] + fn[label]) if tp[label] + fn[label] else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_label[label] = (precision, recall, f1, tp[label] + fn[label])
    present = [label for label in INTENT_LABELS if per_label[label][3]]
    macro = sum(per_label[label][2] for label in present) / len(present)
    return per_label, macro, questions_right / len(rows)


def test_intent_labels_are_the_public_contract() -> None:
    assert INTENT_LABELS == (
        "price", "discount", "size", "shipping", "stock", "quality", "authenticity",
        "how_to_buy", "after_sales", "comparison", "praise", "complaint", "interaction",
        "spam", "other",
    )  # fmt: skip


def test_eval_set_is_well_formed(eval_rows: list[EvalRow]) -> None:
    assert len(eval_rows) >= 2400
    for path in EVAL_PATHS:
        texts = [row["text"] for row in _read(path)]
        assert len(set(texts)) == len(texts), f"duplicate comments in {path.name}"
    assert {row["round"] for row in eval_rows} == set("ABCDEFGH")
    counts = Counter(label for row in eval_rows for label in row["labels"])
    assert set(counts) == set(INTENT_LABELS)
    assert min(counts.values()) >= 20, counts
    for row in eval_rows:
        labels = row["labels"]
        assert labels, row
        assert set(labels) <= set(INTENT_LABELS), row
        assert "other" not in labels or labels == ["other"], row
        assert "spam" not in labels or labels == ["spam"], row


def test_intents_and_questions_on_the_eval_set(
    eval_rows: list[EvalRow], segmenter: Segmenter
) -> None:
    per_label, macro, question_accuracy = _scores(eval_rows, segmenter)
    print(f"\n{'label':<13} {'P':>5} {'R':>5} {'F1':>5} {'n':>4}")
    for label, (precision, recall, f1, support) in per_label.items():
        print(f"{label:<13} {precision:5.2f} {recall:5.2f} {f1:5.2f} {support:4d}")
    print(f"macro-F1 {macro:.3f}  question accuracy {question_accuracy:.3f}  n={len(eval_rows)}")
    for round_name in sorted({row["round"] for row in eval_rows}):
        rows = [row for row in eval_rows if row["round"] == round_name]
        _, round_macro, round_questions = _scores(rows, segmenter)
        print(
            f"round {round_name}: n={len(rows)} macro-F1 {round_macro:.3f} q {round_questions:.3f}"
        )
        assert round_macro >= MIN_MACRO_F1, round_name
        if round_name == "G":
            assert round_macro >= MIN_ROUND_G_MACRO_F1
        if round_name == "H":
            assert round_macro >= MIN_ROUND_H_MACRO_F1
            assert round_questions >= MIN_ROUND_H_QUESTION_ACCURACY
    assert macro >= MIN_ALL_ROUNDS_MACRO_F1
    assert question_accuracy >= MIN_QUESTION_ACCURACY
    assert all(f1 >= 0.8 for _, _, f1, _ in per_label.values()), per_label


def test_blind_round_i(segmenter: Segmenter) -> None:
    rows = _read(BLIND_ROUND_I)
    assert len(rows) >= 600
    assert {row["round"] for row in rows} == {"I"}
    assert {label for row in rows for label in row["labels"]} == set(INTENT_LABELS)
    _, macro, question_accuracy = _scores(rows, segmenter)
    print(f"\nround I (blind): n={len(rows)} macro-F1 {macro:.3f} q {question_accuracy:.3f}")
    assert macro >= MIN_ROUND_I_MACRO_F1
    assert question_accuracy >= MIN_ROUND_I_QUESTION_ACCURACY


def test_simulator_concerns_are_recognised(segmenter: Segmenter) -> None:
    """The simulator's templates (another engineer's ground truth) get their concern back."""
    specs = catalog_specs(1_000)
    bank = build_comment_bank(specs, {})
    catalog_segmenter = Segmenter(spec.short_name for spec in specs)
    hits = total = 0
    for index, concern in enumerate(CONCERNS):
        label = "interaction" if concern == "chitchat" else concern
        texts = sorted({text for per_product in bank.texts[index] for text in per_product})
        found = sum(label in _analyse(text, catalog_segmenter)[0] for text in texts)
        print(f"{concern:<13} {found}/{len(texts)}")
        assert found / len(texts) >= 0.9, concern
        hits, total = hits + found, total + len(texts)
    assert hits / total >= 0.95


@pytest.mark.parametrize(
    ("text", "expected", "absent"),
    [
        ("不贵，可以冲", {"price", "praise"}, {"complaint"}),  # negation overrides 贵
        ("太贵了", {"price", "complaint"}, set()),
        ("有运费险吗", {"after_sales"}, {"shipping"}),  # a longer phrase wins
        ("好吃吗", {"quality"}, {"praise"}),  # an opinion asked about is no praise
        ("主播主播 多少钱", {"price"}, {"interaction"}),  # naming the host in a question
        ("主播几岁了", {"interaction"}, set()),
        ("钱包被偷了", {"other"}, {"price"}),  # a blocker: 钱包 is no price cue
        ("1.8米的床有吗", {"size"}, {"price"}),  # metres, not 元
        ("比超市还贵", {"comparison", "price", "complaint"}, set()),
        ("加v看更多优惠", {"spam"}, {"discount"}),  # an ad takes no other label
        ("？？？", {"interaction"}, set()),  # a reaction of symbols only
        ("今天好冷", {"other"}, set()),
        ("看我橱窗 同款更便宜", {"spam"}, {"price", "comparison"}),  # a lexicon spam cue
        ("点赞到一千有福袋吗", {"discount"}, {"interaction"}),  # engagement beside a concern
        ("满减是真的吗", {"discount"}, {"authenticity"}),  # "是真的吗" asks about the deal
        ("这个是真的吗", {"authenticity"}, set()),  # ... and alone about the goods
        ("保不保湿", {"quality"}, {"complaint"}),  # A-not-A asks
        ("一点都不保湿", {"quality", "complaint"}, set()),  # a quality the product lacks
        ("兰蔻和雪花秀选哪个", {"comparison"}, {"how_to_buy"}),  # two named options
        ("干皮选哪个", {"how_to_buy", "quality"}, {"comparison"}),  # which item to pick
        ("收到杯子碎了", {"after_sales", "complaint"}, set()),  # a damaged delivery
        ("穿了三次就起球", {"quality", "complaint"}, set()),  # an early failure
        ("会不会起静电", {"quality"}, {"complaint"}),  # a defect asked about, not found
        ("榴莲味道好冲", {"quality", "complaint"}, {"praise"}),  # 冲 here is no "冲!" (buy)
        ("冲锋衣防风吗", {"quality"}, {"praise"}),
        ("和图片完全两样", {"complaint"}, {"comparison"}),  # the listing is no other product
        ("这杯子是玻璃的吗", {"quality"}, set()),  # which kind the goods are (a fallback)
        ("你是新来的还是老粉", {"interaction"}, {"quality"}),  # ... but not a person
        ("白买了 一次没用", {"complaint"}, {"praise"}),  # regret, not a purchase
        ("下单失败了", {"how_to_buy", "complaint"}, set()),
        ("7号", {"how_to_buy"}, {"size"}),  # a link number alone
    ],
)
def test_negation_and_context_rules(
    text: str, expected: set[str], absent: set[str], segmenter: Segmenter
) -> None:
    labels, _ = _analyse(text, segmenter)
    assert expected <= labels.keys(), labels
    assert not absent & labels.keys(), labels


@pytest.mark.parametrize("text", ["", "   ", "多少钱？", "今天好冷", "哈哈哈", "👏", "x" * 500])
def test_classify_always_answers_with_calibrated_scores(text: str, segmenter: Segmenter) -> None:
    labels, _ = _analyse(text, segmenter)
    assert labels
    assert list(labels) == sorted(labels, key=INTENT_LABELS.index)
    if "other" in labels:
        assert len(labels) == 1
        assert 0.0 <= labels["other"] <= 1.0
    else:
        assert all(THRESHOLD <= score <= 1.0 for score in labels.values())


@pytest.mark.parametrize(
    ("text", "asks"),
    [
        ("多少钱", True),
        ("包邮不", True),
        ("链接", True),
        ("链接链接链接！！！", True),
        ("S碼", True),
        ("160 100斤", True),
        ("偏大还是偏小", True),
        ("有没有优惠", True),
        ("上链接", False),
        ("？？？", False),
        ("怎么这么贵", False),
        ("好几天没看了", False),
        ("手慢了没了", False),
        ("还是上一个好", False),
    ],
)
def test_is_question(text: str, asks: bool, segmenter: Segmenter) -> None:
    assert _analyse(text, segmenter)[1] is asks


def test_lexicon_labels_are_known() -> None:
    # "" blocks, "@host" marks a host mention, "@social" an engagement cue
    known = {*INTENT_LABELS, "", "@host", "@social"}
    rows = (*PHRASE_CUES, *TOKEN_CUES, *FALLBACK_CUES)
    assert {label for label, _, _ in rows} <= known
    assert {label for _, _, weights in PATTERN_CUES for label in weights} <= set(INTENT_LABELS)


def test_lexicon_is_written_in_normalized_form() -> None:
    """Matching runs on normalized text, so a phrase that normalization rewrites never matches."""
    for _, _, phrases in (*PHRASE_CUES, *TOKEN_CUES, *FALLBACK_CUES):
        for phrase in phrases.split():
            assert normalize(phrase) == phrase, phrase


def test_pattern_start_characters_are_complete(eval_rows: list[EvalRow]) -> None:
    """A pattern is only tried where its declared start characters stand: check none is missed."""
    texts = [normalize(row["text"]) for row in eval_rows]
    for starts, pattern, _ in PATTERN_CUES:
        compiled = re.compile(pattern)
        for text in texts:
            for position in range(len(text)):
                if compiled.match(text, position):
                    assert text[position] in starts, (pattern, text, position)
