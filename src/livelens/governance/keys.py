"""Workspace pseudonymisation keys: the current key, the retired ones, and rotation.

Everything ingest, the live runner and the API read stays where it was; rotation only adds the
archive beside it (under ``$LIVELENS_HOME/keys/``)::

    <workspace>.key                       the current key (32 random bytes, mode 0600)
    retired/<workspace>/<key_id>.key      each retired key, named by its public fingerprint
    retired/<workspace>/rotations.json    [{"key_id", "retired_at", "successor"}], oldest first

A workspace name never contains ``/``, so ``retired/<workspace>/`` cannot collide with a key file.
Retired keys are kept so that a data-subject request by raw platform id still finds what was
written under them (:func:`pseudonyms_of`); they are never used to write.

A viewer's pseudonyms under two keys are unrelated values: nothing in the store links them, only
the raw platform id (which the store never holds) does. So after a rotation the same viewer counts
as two customers in cross-session analytics and consent recorded against the old pseudonym does
not carry over (privacy by default: re-import consent from the platform). That unlinkability is
the point of rotating.

A store records the key it was written with (``meta.key_id``, see
:meth:`~livelens.store.duckdb.DuckDBStore.bind_key`, which refuses any other key).
:func:`rebind_store` moves a store from a retired key of the keyring to the current one and keeps
the list of every key that wrote it (``meta.privacy.key_history``).
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

import msgspec

from livelens.errors import ConfigurationError, StoreError
from livelens.events.pseudonymise import KEY_BYTES, Pseudonymiser, load_or_create_key
from livelens.settings import Settings
from livelens.store.duckdb import DuckDBStore

HISTORY_KEY: Final = "privacy.key_history"
"""The ``meta`` row listing, as a JSON array, every key id a store was bound to before now."""


class Rotation(msgspec.Struct, frozen=True):
    """One retirement: ``key_id`` was retired at ``retired_at``, replaced by ``successor``."""

    key_id: str
    retired_at: datetime
    successor: str


@dataclass(frozen=True, slots=True)
class Keyring:
    """A workspace's keys: the current one first, then the retired ones, newest first."""

    workspace: str
    current: Pseudonymiser
    retired: tuple[Pseudonymiser, ...] = ()

    @property
    def pseudonymisers(self) -> tuple[Pseudonymiser, ...]:
        return (self.current, *self.retired)

    @property
    def key_ids(self) -> tuple[str, ...]:
        return tuple(p.key_id for p in self.pseudonymisers)


def retired_dir(settings: Settings) -> Path:
    return settings.home / "keys" / "retired" / settings.workspace


def _rotations_path(settings: Settings) -> Path:
    return retired_dir(settings) / "rotations.json"


def read_rotations(settings: Settings) -> list[Rotation]:
    """The workspace's rotations, oldest first (empty before the first rotation)."""
    path = _rotations_path(settings)
    try:
        return msgspec.json.decode(path.read_bytes(), type=list[Rotation])
    except FileNotFoundError:
        return []
    except msgspec.DecodeError as error:
        msg = f"{path} is not a livelens rotation log ({error}); restore it from a backup"
        raise ConfigurationError(msg) from None


def load_keyring(settings: Settings) -> Keyring:
    """The workspace's current and retired keys; refuses a workspace that has no key yet."""
    if not settings.key_path.exists():
        msg = (
            f"workspace {settings.workspace!r} has no key at {settings.key_path}: nothing was "
            "pseudonymised with it (check --workspace and LIVELENS_HOME)"
        )
        raise ConfigurationError(msg)
    current = Pseudonymiser(load_or_create_key(settings.key_path))
    folder = retired_dir(settings)
    order = [r.key_id for r in reversed(read_rotations(settings))]
    found: dict[str, Pseudonymiser] = {}
    for path in sorted(folder.glob("*.key")) if folder.is_dir() else []:
        pseudonymiser = Pseudonymiser(load_or_create_key(path))
        if pseudonymiser.key_id != path.stem:
            msg = (
                f"retired key {path} has fingerprint {pseudonymiser.key_id}, not its file name; "
                "a key file was renamed or replaced: restore it from a backup"
            )
            raise ConfigurationError(msg)
        found[path.stem] = pseudonymiser
    known = [found.pop(key_id) for key_id in dict.fromkeys(order) if key_id in found]
    retired = [*known, *found.values()]  # archived keys missing from the log go last
    return Keyring(
        settings.workspace, current, tuple(p for p in retired if p.key_id != current.key_id)
    )


def pseudonyms_of(raw_viewer_id: str, keyring: Keyring, *, platform: str) -> list[str]:
    """The pseudonym of one raw platform id under every key of the keyring, current first."""
    return list(dict.fromkeys(p.pseudonym(platform, raw_viewer_id) for p in keyring.pseudonymisers))


def rotate_key(settings: Settings, now: datetime) -> str:
    """Retire the workspace's current key (archived, still readable) and make a new one current.

    Returns the new key id. The archive is written before the current key is replaced, so a crash
    at any point leaves every key that ever wrote data on disk; running it again finishes the job.
    Processes that already hold the old key (a running ``livelens run`` or ``serve``) keep writing
    old pseudonyms until restarted; both stay resolvable. Stores bound to the old key refuse new
    ingest until :func:`rebind_store` (``livelens privacy rebind``) moves them.
    """
    if now.tzinfo is None:
        msg = f"rotation time {now} has no timezone; pass an aware datetime"
        raise ConfigurationError(msg)
    if not settings.key_path.exists():
        msg = (
            f"workspace {settings.workspace!r} has no key at {settings.key_path} yet: nothing to "
            "rotate (the first ingest creates one)"
        )
        raise ConfigurationError(msg)
    folder = retired_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    with _locked(folder / ".lock"):
        old = load_or_create_key(settings.key_path)
        old_id = Pseudonymiser(old).key_id
        _write_archived(folder / f"{old_id}.key", old)
        new = secrets.token_bytes(KEY_BYTES)
        new_id = Pseudonymiser(new).key_id
        rotations = [r for r in read_rotations(settings) if r.key_id != old_id]
        rotations.append(Rotation(old_id, now.astimezone(UTC), new_id))
        _replace_file(_rotations_path(settings), msgspec.json.encode(rotations), mode=0o600)
        _replace_file(settings.key_path, new, mode=0o600)
    return new_id


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _write_archived(path: Path, key: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # an interrupted rotation archived it already
        if path.read_bytes() != key:
            msg = f"{path} exists with other bytes than the key it is named after; inspect it"
            raise ConfigurationError(msg) from None
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(key)
        handle.flush()
        os.fsync(handle.fileno())


def _replace_file(path: Path, data: bytes, *, mode: int) -> None:
    """Write ``data`` beside ``path`` and rename it over ``path``: readers see old or new, whole."""
    partial = path.with_name(f".{path.name}.{secrets.token_hex(4)}.partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def _bindings(store: DuckDBStore) -> tuple[str | None, list[str]]:
    rows = store.con.execute(
        "SELECT key, value FROM meta WHERE key IN ('key_id', ?)", [HISTORY_KEY]
    ).fetchall()
    values = {str(k): str(v) for k, v in rows}
    history = msgspec.json.decode(values.get(HISTORY_KEY, "[]"), type=list[str])  # oldest first
    return values.get("key_id"), history


def store_key_ids(store: DuckDBStore) -> list[str]:
    """Every key a store was written with: the bound one first, then earlier ones, newest first."""
    bound, history = _bindings(store)
    return list(dict.fromkeys([*([bound] if bound else []), *reversed(history)]))


def rebind_store(store: DuckDBStore, keyring: Keyring) -> str | None:
    """Bind ``store`` to the keyring's current key; return the key it was bound to before.

    A store bound to a retired key of the keyring moves to the current one (the old id joins the
    store's key history); a new store is bound; a store bound to a key outside the keyring is
    refused, as it was written by another workspace.
    """
    current = keyring.current.key_id
    bound, history = _bindings(store)
    if bound is None:
        store.bind_key(current)
        return None
    if bound == current:
        return bound
    if bound not in keyring.key_ids:
        msg = (
            f"store {store.path} was pseudonymised with key {bound}, which is not one of workspace "
            f"{keyring.workspace!r}'s keys ({', '.join(keyring.key_ids)}); pass the workspace "
            "that wrote it (--workspace, LIVELENS_HOME)"
        )
        raise StoreError(msg)
    history = [*(k for k in history if k not in (bound, current)), bound]
    store.con.execute(
        "INSERT OR REPLACE INTO meta VALUES ('key_id', ?), (?, ?)",
        [current, HISTORY_KEY, msgspec.json.encode(history).decode()],
    ).fetchall()
    return bound


def check_store_keys(store: DuckDBStore, keyring: Keyring) -> list[str]:
    """The keys that wrote ``store`` but are missing from the keyring (should be empty).

    Data written under a missing key cannot be found by raw platform id, only by pseudonym.
    """
    return [k for k in store_key_ids(store) if k not in keyring.key_ids]
