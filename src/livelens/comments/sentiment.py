"""Sentiment of Chinese comments: a hashed n-gram logistic regression, scored with numpy alone.

Why this shape: a live room's comment stream needs hundreds of thousands of texts a second on one
core, so inference is a sparse dot product done on whole batches in numpy (no scikit-learn, no
per-token Python). The features are defined here, once, and the training script
(``scripts/train_sentiment.py``) calls the same :func:`hash_features`, so training and
inference cannot drift apart.

Features of one text, after NFKC normalisation and lower-casing:

* character 1-, 2- and 3-grams that do not span whitespace;
* rjieba word tokens of two or more characters (one-character words repeat the unigrams);

each hashed with 64-bit FNV-1a over Unicode code points (a different seed for n-grams and
words; words hash at most their first 16 code points, then their length) and finished with
MurmurHash3's ``fmix64``; the low ``bits`` bits pick the column. Counts become sublinear term
frequencies ``1 + ln(count)`` and each text's vector is scaled to unit length. The hash is
stable across processes and platforms, unlike Python's salted ``hash()``.

The score is P(positive) from a logistic regression trained on binary review labels; "neutral"
is a band around 0.5 calibrated on the validation split (rule in ``sentiment.json``), and a text
without letters ("？？？", "666", emoji) scores exactly 0.5.

The shipped weights live in ``models/sentiment.safetensors`` (no pickle: loading never runs
code); ``models/sentiment.json`` holds its SHA-256, checked before the file is parsed.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import unicodedata
from collections.abc import Sequence
from pathlib import Path
from typing import Literal

import msgspec
import numpy as np
import numpy.typing as npt
import rjieba
from safetensors.numpy import load as load_tensors

from livelens.errors import LivelensError
from livelens.governance.integrity import IntegrityError, verified_bytes

MODEL_DIR = Path(__file__).resolve().parent / "models"
DEFAULT_MODEL_PATH = MODEL_DIR / "sentiment.safetensors"
FORMAT = "livelens-sentiment-v1"
METADATA_KEY = "livelens"  # one key only: safetensors writes several keys in random order

SentimentLabel = Literal["positive", "neutral", "negative"]

_FNV_OFFSET = np.uint64(0xCBF29CE484222325)
_FNV_PRIME = np.uint64(0x100000001B3)
_FMIX_1 = np.uint64(0xFF51AFD7ED558CCD)
_FMIX_2 = np.uint64(0xC4CEB9FE1A85EC53)
_SHIFT_33 = np.uint64(33)
_NGRAM_SEED = _FNV_OFFSET ^ np.uint64(1)
_WORD_SEED = _FNV_OFFSET ^ np.uint64(2)
_SURROGATES = re.compile("[\ud800-\udfff]")
_MAX_HEADER_BYTES = 1 << 20
_CHUNK_TEXTS = 2048

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
_U64Array = npt.NDArray[np.uint64]


class ModelIntegrityError(ValueError, LivelensError):
    """A model file is missing, altered, or not a safetensors file this version can read."""


class Sentiment(msgspec.Struct, frozen=True):
    """One text's sentiment: ``score`` is P(positive) in [0, 1]."""

    label: SentimentLabel
    score: float


class FeatureConfig(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """How texts become hashed features; stored with the weights so they travel together."""

    scheme: Literal["fnv1a64-codepoints-fmix64"] = "fnv1a64-codepoints-fmix64"
    normalisation: Literal["nfkc-lower"] = "nfkc-lower"
    weighting: Literal["sublinear-tf-l2"] = "sublinear-tf-l2"
    bits: int = 18
    char_ngrams: tuple[int, ...] = (1, 2, 3)
    word_min_chars: int = 2
    word_hash_chars: int = 16


class NeutralBand(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Scores in ``[low, high]`` are labelled neutral (see the training script for the rule)."""

    low: float
    high: float


class HashedFeatures(msgspec.Struct, frozen=True):
    """A batch's sparse features: entry ``i`` is text ``rows[i]``, column ``cols[i]``.

    ``tf`` holds sublinear term frequencies; ``norms`` each text's l2 norm (0 for a text with
    no features), so the unit-length value of an entry is ``tf[i] / norms[rows[i]]``.
    Entries are sorted by (row, column) and unique. ``has_letters`` says whether a text holds
    at least one letter (CJK ideograph, kana, hangul or Latin letter).
    """

    n_texts: int
    rows: IntArray
    cols: IntArray
    tf: FloatArray
    norms: FloatArray
    has_letters: npt.NDArray[np.bool_]


def _fmix64(h: _U64Array) -> _U64Array:
    h = h ^ (h >> _SHIFT_33)
    h = h * _FMIX_1
    h = h ^ (h >> _SHIFT_33)
    h = h * _FMIX_2
    return h ^ (h >> _SHIFT_33)


@functools.cache
def _segmenter() -> rjieba.Jieba:
    """A private rjieba instance, loaded on first use (about 0.3 s): words that other modules
    add to rjieba's global dictionary must not change the features the model was trained on."""
    return rjieba.Jieba()


# Inclusive code point ranges counted as letters: Latin a-z (after lower-casing) and Latin-1 /
# Latin Extended letters, kana, CJK ideographs (ext. A, unified, compatibility, ext. B-G), hangul.
_LETTER_RANGES = (
    (0x61, 0x7A),
    (0xC0, 0x24F),
    (0x3040, 0x30FF),
    (0x3400, 0x9FFF),
    (0xAC00, 0xD7AF),
    (0xF900, 0xFAFF),
    (0x20000, 0x3134F),
)


def _letters(codes: _U64Array) -> npt.NDArray[np.bool_]:
    is_letter = np.zeros(len(codes), dtype=bool)
    for low, high in _LETTER_RANGES:
        is_letter |= (codes >= low) & (codes <= high)
    is_letter[(codes == 0xD7) | (codes == 0xF7)] = False  # the x and / signs inside Latin-1
    return is_letter


def _word_hashes(
    codes: _U64Array, starts: IntArray, lengths: IntArray, config: FeatureConfig
) -> _U64Array:
    """FNV-1a over each word's first ``word_hash_chars`` code points, then its length."""
    hashed = np.minimum(lengths, config.word_hash_chars)
    order = np.argsort(-hashed, kind="stable")
    starts, hashed = starts[order], hashed[order]
    h = np.full(len(starts), _WORD_SEED, dtype=np.uint64)
    longest = int(hashed[0]) if len(hashed) else 0
    for k in range(longest):
        active = int(np.searchsorted(-hashed, -k, side="left"))  # words longer than k
        h[:active] = (h[:active] ^ codes[starts[:active] + k]) * _FNV_PRIME
    h = (h ^ lengths[order].astype(np.uint64)) * _FNV_PRIME
    restored = np.empty_like(h)
    restored[order] = h
    return restored


def hash_features(texts: Sequence[str], config: FeatureConfig) -> HashedFeatures:
    """The hashed features of a batch of texts, built in one pass over their concatenation."""
    n = len(texts)
    normalised = [unicodedata.normalize("NFKC", text).lower() for text in texts]
    lengths = np.fromiter(map(len, normalised), dtype=np.int64, count=n)
    joined = "\n".join(normalised)
    total = len(joined)
    try:
        encoded = joined.encode("utf-32-le")
    except UnicodeEncodeError:  # lone surrogates: same length, so offsets still hold
        joined = _SURROGATES.sub("\ufffd", joined)
        encoded = joined.encode("utf-32-le")
    codes = np.frombuffer(encoded, dtype=np.uint32).astype(np.uint64)
    # owner[p] is the text that position p belongs to; -1 for separators and whitespace,
    # which no feature may span.
    owner = np.repeat(np.arange(n, dtype=np.int64), lengths + 1)[:total]
    blank = codes <= 0x20
    owner[blank] = -1

    hashes: list[_U64Array] = [np.zeros(0, dtype=np.uint64)]
    owners: list[IntArray] = [np.zeros(0, dtype=np.int64)]
    h = np.zeros(0, dtype=np.uint64)
    for k in range(1, max(config.char_ngrams, default=0) + 1):
        h = (_NGRAM_SEED ^ codes) * _FNV_PRIME if k == 1 else (h[:-1] ^ codes[k - 1 :]) * _FNV_PRIME
        if k in config.char_ngrams:
            first = owner[: total - k + 1]
            valid = (first >= 0) & (first == owner[k - 1 :])
            hashes.append(h[valid])
            owners.append(first[valid])

    if total:
        tokens = _segmenter().cut(joined)
        token_lengths = np.fromiter(map(len, tokens), dtype=np.int64, count=len(tokens))
        boundary = np.zeros(total + 1, dtype=bool)
        boundary[0] = True
        ends = np.cumsum(token_lengths)
        if not len(ends) or ends[-1] != total:
            msg = f"rjieba returned tokens covering {ends[-1:]} of {total} characters"
            raise RuntimeError(msg)
        boundary[ends] = True
        blank_at = np.flatnonzero(blank)
        boundary[blank_at] = True  # a token never spans a separator or whitespace
        boundary[blank_at + 1] = True
        starts = np.flatnonzero(boundary[:-1])
        word_lengths = np.diff(starts, append=total)
        keep = (owner[starts] >= 0) & (word_lengths >= config.word_min_chars)
        starts, word_lengths = starts[keep], word_lengths[keep]
        hashes.append(_word_hashes(codes, starts, word_lengths, config))
        owners.append(owner[starts])

    mask = (1 << config.bits) - 1
    buckets = (_fmix64(np.concatenate(hashes)) & np.uint64(mask)).astype(np.int64)
    keys = (np.concatenate(owners) << config.bits) | buckets
    keys.sort()
    firsts = np.flatnonzero(np.diff(keys, prepend=-1))
    counts = np.diff(firsts, append=len(keys))
    unique = keys[firsts]
    rows = unique >> config.bits
    tf = 1.0 + np.log(counts)
    norms = np.sqrt(np.bincount(rows, weights=tf * tf, minlength=n))
    lettered = owner[_letters(codes) & (owner >= 0)]
    has_letters = np.bincount(lettered, minlength=n) > 0
    return HashedFeatures(
        n_texts=n, rows=rows, cols=unique & mask, tf=tf, norms=norms, has_letters=has_letters
    )


class TrainingFile(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """A data file the model was trained from, pinned by hash."""

    file: str
    sha256: str
    reviews_used: int


class Validation(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """Scores on the held-back validation split (see ``sentiment_data.split_reviews``)."""

    accuracy: float
    n: int
    decided_share: float  # share of reviews outside the neutral band
    decided_accuracy: float  # accuracy on those


class ModelManifest(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """``sentiment.json``: the SHA-256 the weights file must have, and how it was made."""

    file: str
    sha256: str
    format: str
    features: FeatureConfig
    neutral_band: NeutralBand
    neutral_band_rule: str
    trained_on: list[TrainingFile]
    n_train: int
    n_valid: int
    validation: Validation
    training: dict[str, str | float | int]


class StoredRecord(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """What the weights file carries in its safetensors metadata (under ``METADATA_KEY``)."""

    format: str
    features: FeatureConfig
    neutral_band: NeutralBand


def manifest_path_for(model_path: Path) -> Path:
    """The manifest beside a weights file: ``x.safetensors`` → ``x.json``."""
    return model_path.with_suffix(".json")


def _safetensors_header(data: bytes, where: Path) -> dict[str, object]:
    """The JSON header of a safetensors file; refuses anything else (pickle, zip, text)."""
    if len(data) < 10:
        msg = f"{where}: {len(data)} bytes is too short to be a safetensors file"
        raise ModelIntegrityError(msg)
    size = int.from_bytes(data[:8], "little")
    header_bytes = data[8 : 8 + size]
    if size > min(_MAX_HEADER_BYTES, len(data) - 8) or not header_bytes.startswith(b"{"):
        msg = (
            f"{where}: not a safetensors file (first bytes {data[:8].hex()}); model weights "
            "must be safetensors, never pickle or another executable format"
        )
        raise ModelIntegrityError(msg)
    try:
        header = json.loads(header_bytes)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        msg = f"{where}: not a safetensors file: its header is not JSON ({error})"
        raise ModelIntegrityError(msg) from error
    if not isinstance(header, dict):
        msg = f"{where}: not a safetensors file: its header is not a JSON object"
        raise ModelIntegrityError(msg)
    return header


class SentimentModel:
    """Weights, bias, feature config and neutral band; scores batches of texts."""

    def __init__(
        self,
        weights: npt.NDArray[np.float32],
        bias: float,
        config: FeatureConfig,
        band: NeutralBand,
    ) -> None:
        if weights.shape != (1 << config.bits,):
            msg = f"weights have shape {weights.shape}, expected ({1 << config.bits},)"
            raise ModelIntegrityError(msg)
        if not band.low <= 0.5 <= band.high:
            msg = f"neutral band [{band.low}, {band.high}] must contain 0.5"
            raise ModelIntegrityError(msg)
        self.weights = weights
        self.bias = float(bias)
        self.config = config
        self.band = band

    @classmethod
    def load(cls, path: Path | None = None) -> SentimentModel:
        """Load a weights file after checking its SHA-256 against the manifest beside it; the
        shipped model must also match the Ed25519-signed manifest of its folder
        (:mod:`livelens.governance.integrity`)."""
        model_path = path or DEFAULT_MODEL_PATH
        manifest_path = manifest_path_for(model_path)
        try:
            manifest = msgspec.json.decode(manifest_path.read_bytes(), type=ModelManifest)
            signed = model_path.resolve().parent == MODEL_DIR
            data = verified_bytes(model_path) if signed else model_path.read_bytes()
        except IntegrityError as error:
            raise ModelIntegrityError(str(error)) from error
        except FileNotFoundError as error:
            msg = f"{error.filename}: missing; a sentiment model needs its weights and manifest"
            raise ModelIntegrityError(msg) from error
        except msgspec.ValidationError as error:
            msg = f"{manifest_path}: not a sentiment model manifest ({error})"
            raise ModelIntegrityError(msg) from error
        digest = hashlib.sha256(data).hexdigest()
        if digest != manifest.sha256:
            msg = (
                f"{model_path}: SHA-256 is {digest}, but {manifest_path.name} expects "
                f"{manifest.sha256}; the file was altered or replaced. Restore it, or retrain "
                "with scripts/train_sentiment.py, which writes both files"
            )
            raise ModelIntegrityError(msg)
        header = _safetensors_header(data, model_path)
        metadata = header.get("__metadata__")
        stored = metadata.get(METADATA_KEY) if isinstance(metadata, dict) else None
        try:
            record = msgspec.json.decode(str(stored), type=StoredRecord)
        except msgspec.DecodeError as error:  # ValidationError is a DecodeError
            msg = f"{model_path}: safetensors metadata {METADATA_KEY!r} is missing or invalid"
            raise ModelIntegrityError(msg) from error
        if record.format != FORMAT or record.features != manifest.features:
            msg = (
                f"{model_path}: format {record.format!r} and features {record.features} do not "
                f"match {FORMAT!r} and the features in {manifest_path.name}"
            )
            raise ModelIntegrityError(msg)
        tensors = load_tensors(data)
        weights, bias = tensors.get("weight"), tensors.get("bias")
        if weights is None or bias is None or weights.dtype != np.float32 or bias.shape != (1,):
            msg = f"{model_path}: expected float32 tensors 'weight' and 'bias' (shape [1])"
            raise ModelIntegrityError(msg)
        return cls(weights, float(bias[0]), record.features, record.neutral_band)

    def scores(self, texts: Sequence[str]) -> FloatArray:
        """P(positive) per text.

        Exactly 0.5 (neutral) for a text without letters — empty, whitespace, "？？？", "666",
        emoji only: the reviews the model learnt from say nothing about those, and in a live
        room they are reactions (confusion, cheering), not opinions.
        """
        if len(texts) > _CHUNK_TEXTS:  # chunks keep the working arrays in cache: ~1.4x faster
            chunks = [
                texts[start : start + _CHUNK_TEXTS] for start in range(0, len(texts), _CHUNK_TEXTS)
            ]
            return np.concatenate([self.scores(chunk) for chunk in chunks])
        features = hash_features(texts, self.config)
        dots = np.bincount(
            features.rows, weights=self.weights[features.cols] * features.tf, minlength=len(texts)
        )
        scored = features.has_letters & (features.norms > 0)
        logits = np.zeros(len(texts))
        logits[scored] = dots[scored] / features.norms[scored] + self.bias
        return 1.0 / (1.0 + np.exp(-np.clip(logits, -50.0, 50.0)))

    def labels(self, scores: FloatArray) -> list[SentimentLabel]:
        """The label of each score: neutral inside the band, else by side."""
        names: tuple[SentimentLabel, ...] = ("negative", "neutral", "positive")
        codes = (scores >= self.band.low).astype(np.int64) + (scores > self.band.high)
        return [names[code] for code in codes.tolist()]

    def predict(self, texts: Sequence[str]) -> list[Sentiment]:
        """One :class:`Sentiment` per text, in order."""
        scores = self.scores(texts)
        return [
            Sentiment(label=label, score=score)
            for label, score in zip(self.labels(scores), scores.tolist(), strict=True)
        ]


@functools.cache
def default_model() -> SentimentModel:
    """The shipped model, verified and loaded once per process."""
    return SentimentModel.load()
