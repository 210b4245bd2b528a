"""Pseudonymisation of viewer identities at ingest.

A raw platform user id becomes ``v_`` + the first 20 hex digits (80 bits) of
HMAC-SHA256(workspace key, "<platform>:<raw id>"). The key lives in a file outside the database
(see :mod:`livelens.settings`), so a copy of the database alone cannot be linked back to platform
accounts by hashing guessed ids. Scoping by platform keeps the same number on two platforms apart.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from pathlib import Path
from types import ModuleType
from typing import Final

import msgspec
import pyarrow as pa
import pyarrow.compute as pc

from livelens import compiled
from livelens.errors import ConfigurationError

PREFIX: Final = "v_"
KEY_BYTES: Final = 32
_HEX_DIGITS: Final = 20
_BLOCK: Final = 64  # SHA-256's block size in bytes
_MEMO_LIMIT: Final = 4_000_000  # pseudonyms remembered before the memo starts over

_columnar = compiled.load()  # its pseudonymise() hashes on the CPU's SHA extensions


class Pseudonymiser:
    """Maps raw viewer ids to stable keyed pseudonyms; memoised, as viewers repeat."""

    __slots__ = ("_cache", "_inner", "_key", "_memo", "_outer", "key_id")

    def __init__(self, key: bytes) -> None:
        if len(key) < 16:
            msg = f"pseudonymisation key is {len(key)} bytes; expected at least 16"
            raise ConfigurationError(msg)
        # HMAC (RFC 2104) with the keyed inner and outer SHA-256 states computed once: each
        # pseudonym then costs two hash copies (0.5 µs) instead of hmac.digest's set-up (1.3 µs)
        self._key = key
        block = hashlib.sha256(key).digest() if len(key) > _BLOCK else key
        block = block.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self._outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self._cache: dict[str, str] = {}
        # The compiled memo (livelens._columnar) a whole column is pseudonymised against, made on
        # first use; None where there is none (no compiled module, or a CPU without SHA-NI)
        self._memo: object | None = None
        # A public fingerprint of the key, stored with the data so a mismatch is detectable.
        self.key_id = hashlib.sha256(b"livelens-key-id:" + key).hexdigest()[:12]

    def __reduce__(self) -> tuple[type[Pseudonymiser], tuple[bytes]]:
        """Pickled as its key (for ingest's worker processes); the memo starts empty."""
        return (Pseudonymiser, (self._key,))

    def pseudonym(self, platform: str, raw_id: str) -> str:
        """The pseudonym of one raw viewer id on ``platform``."""
        return self._scoped(f"{platform}:{raw_id}")

    def pseudonymise_column(self, platforms: pa.ChunkedArray, viewers: pa.ChunkedArray) -> pa.Array:
        """Pseudonymise raw viewer ids (nulls stay null), hashing each distinct id once."""
        if self._memo is None and _columnar is not None:
            self._memo = _columnar.pseudonym_memo(self._key, PREFIX, _HEX_DIGITS, _MEMO_LIMIT)
            if self._memo is None:
                self._memo = False  # the CPU has no SHA extensions: the path below, for good
        if self._memo and _columnar is not None:
            return self._compiled_column(_columnar, platforms, viewers)
        scoped = pc.binary_join_element_wise(platforms, viewers, ":")
        if isinstance(scoped, pa.ChunkedArray):
            scoped = scoped.combine_chunks()
        encoded = scoped.dictionary_encode()  # the distinct ids and each row's, in one pass
        values = encoded.dictionary.to_pylist()
        known = list(map(self._cache.get, values))
        new = [index for index, value in enumerate(known) if value is None]
        if new:
            self._hash_new(values, known, new)
        return pc.take(pa.array(known, pa.string()), encoded.indices)

    def _compiled_column(
        self, columnar: ModuleType, platforms: pa.ChunkedArray, viewers: pa.ChunkedArray
    ) -> pa.Array:
        """The column pseudonymised row by row in C against the compiled memo (a hash table of
        the scoped ids, HMACs on the SHA extensions): no Python object per id."""
        platform = _one_chunk(platforms)
        viewer = _one_chunk(viewers)
        validity, offsets, data, nulls = columnar.pseudonymise(
            self._memo,
            *platform.buffers()[1:3],
            platform.offset,
            *viewer.buffers(),
            viewer.offset,
            len(viewer),
        )
        buffers = [None if validity is None else pa.py_buffer(validity)]
        buffers += [pa.py_buffer(offsets), pa.py_buffer(data)]
        return pa.Array.from_buffers(pa.string(), len(viewer), buffers, nulls)

    def _hash_new(self, values: list[str], known: list[str | None], new: list[int]) -> None:
        """Fill ``known[i]`` with the pseudonym of ``values[i]`` for each ``i`` in ``new``, and
        remember them."""
        cache = self._cache
        if len(cache) + len(new) > _MEMO_LIMIT:  # bound memory in endless streams
            cache.clear()
        for index in new:
            value = values[index]
            known[index] = cache[value] = self._keyed(value)

    def _scoped(self, scoped: str) -> str:
        cached = self._cache.get(scoped)
        if cached is None:
            cached = self._keyed(scoped)
            if len(self._cache) >= _MEMO_LIMIT:
                self._cache.clear()
            self._cache[scoped] = cached
        return cached

    def _keyed(self, scoped: str) -> str:
        """The pseudonym of a scoped id: HMAC-SHA256(key, it), equal to ``hmac.digest(key,
        scoped.encode(), "sha256")``, from the keyed states copied (no memo)."""
        inner = self._inner.copy()
        inner.update(scoped.encode())
        outer = self._outer.copy()
        outer.update(inner.digest())
        return PREFIX + outer.hexdigest()[:_HEX_DIGITS]


def _one_chunk(column: pa.ChunkedArray | pa.Array) -> pa.Array:
    if isinstance(column, pa.ChunkedArray):
        return column.combine_chunks() if column.num_chunks != 1 else column.chunk(0)
    return column


def load_or_create_key(path: Path) -> bytes:
    """Read the workspace key at ``path``, creating it (mode 0600) on first use."""
    try:
        key = path.read_bytes()
    except FileNotFoundError:
        path.parent.mkdir(parents=True, exist_ok=True)
        key = secrets.token_bytes(KEY_BYTES)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process created it first: use theirs
            return path.read_bytes()
        with os.fdopen(fd, "wb") as handle:
            handle.write(key)
        return key
    except OSError as error:
        msg = f"cannot read pseudonymisation key {path}: {error.strerror}"
        raise ConfigurationError(msg) from None
    if len(key) != KEY_BYTES:
        msg = f"pseudonymisation key {path} has {len(key)} bytes, expected {KEY_BYTES}; restore it"
        raise ConfigurationError(msg)
    return key


_ID_FIELDS: Final = ("viewer_id", "uid", "user_id")
_NAME_FIELDS: Final = ("nickname", "uname", "user_name", "username")
REMOVED: Final = "[removed]"


def redact_raw(raw: str, pseudonymiser: Pseudonymiser, *, keep_nicknames: bool = False) -> str:
    """A quarantined record's raw text with its viewer identity pseudonymised, where parseable.

    A rejected JSON object still names its viewer; the quarantine keeps the record for diagnosis,
    not the identity, so ids become pseudonyms and nicknames are removed (unless consented).
    Text that is not a JSON object is kept as it is.
    """
    try:
        record = msgspec.json.decode(raw)
    except msgspec.DecodeError:
        return raw
    if not isinstance(record, dict):
        return raw
    platform = record.get("platform")
    scope = platform if isinstance(platform, str) else "other"
    changed = False
    for name in _ID_FIELDS:
        value = record.get(name)
        if isinstance(value, str | int) and not isinstance(value, bool):
            record[name] = pseudonymiser.pseudonym(scope, str(value))
            changed = True
    if not keep_nicknames:
        for name in _NAME_FIELDS:
            if record.get(name) is not None:
                record[name] = REMOVED
                changed = True
    return msgspec.json.encode(record).decode() if changed else raw
