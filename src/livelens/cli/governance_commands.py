"""``livelens audit …``, ``livelens rooms …`` and ``livelens models …``: digital-trust checks."""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path

import click
import msgspec

from livelens.cli.app import DB_OPTION, WORKSPACE_OPTION, cli
from livelens.comments.sentiment import MODEL_DIR
from livelens.errors import ConfigurationError, InvalidInput
from livelens.events.pseudonymise import load_or_create_key
from livelens.governance.audit import AuditLog, anchor_key, decode_anchor
from livelens.governance.integrity import (
    key_id,
    load_private_key,
    load_trusted_keys,
    sign_manifest,
    verify_folder,
)
from livelens.governance.lookalike import VerifiedRooms, parse_verified_names
from livelens.settings import load_settings
from livelens.store.duckdb import DuckDBStore

EXISTING_FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


def _echo_json(value: object) -> None:
    click.echo(msgspec.json.encode(value, order="deterministic").decode())


def _existing_store(db: Path) -> DuckDBStore:
    if not db.exists():
        msg = f"{db} does not exist; pass the store that holds the audit log"
        raise InvalidInput(msg)
    return DuckDBStore(db)


def _workspace_anchor_key(workspace: str, *, create: bool) -> bytes:
    path = load_settings(workspace).key_path
    if not create and not path.exists():
        msg = (
            f"no key for workspace {workspace!r} at {path}: verify an anchor with the "
            "workspace (LIVELENS_HOME, --workspace) that exported it"
        )
        raise ConfigurationError(msg)
    return anchor_key(load_or_create_key(path))


@cli.group("audit", short_help="Show and verify the tamper-evident audit log.")
def audit_group() -> None:
    """The append-only, hash-chained log of every state change (licences, personas, prices,
    exports, deletions, roles and tokens)."""


@audit_group.command("log")
@DB_OPTION
@click.option("--after", type=click.IntRange(min=0), default=0, help="Only entries after this seq.")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many.")
@click.option("--json", "as_json", is_flag=True, help="JSON Lines, one entry a line.")
def audit_log(db: Path, after: int, limit: int | None, as_json: bool) -> None:
    """Print the entries in order: seq, time (UTC), action, actor, subject, details."""
    with _existing_store(db) as store:
        entries = AuditLog(store).entries(after, limit)
    for entry in entries:
        if as_json:
            _echo_json(entry)
            continue
        details = msgspec.json.encode(entry.details, order="sorted").decode()
        stamp = entry.at.strftime("%Y-%m-%dT%H:%M:%SZ")
        who = f"{entry.actor}  {entry.subject}"
        click.echo(f"{entry.seq:>6}  {stamp}  {entry.action:<16}  {who}  {details}")


@audit_group.command("verify", short_help="Check the hash chain; exit 1 when it is broken.")
@DB_OPTION
@click.option(
    "--anchor",
    "anchor_path",
    type=EXISTING_FILE,
    default=None,
    help="An anchor from `audit anchor`: also detects entries cut off the end.",
)
@WORKSPACE_OPTION
def audit_verify(db: Path, anchor_path: Path | None, workspace: str) -> None:
    """Check the hash chain; print one JSON object; exit 1 when an entry was edited, removed
    or reordered (or, with --anchor, the log was truncated or rewritten)."""
    anchor = key = None
    if anchor_path is not None:
        anchor = decode_anchor(anchor_path.read_bytes(), str(anchor_path))
        key = _workspace_anchor_key(workspace, create=False)
    with _existing_store(db) as store:
        result = AuditLog(store).verify(anchor, key)
    _echo_json(result)
    if not result.ok:
        sys.exit(1)


@audit_group.command("anchor", short_help="Write a signed head of the log to a file.")
@DB_OPTION
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
@WORKSPACE_OPTION
def audit_anchor(db: Path, out: Path, workspace: str) -> None:
    """Write the log's current head, signed with the workspace key (HMAC-SHA256). Keep it
    outside the store; `audit verify --anchor` then detects a truncated or rewritten log."""
    key = _workspace_anchor_key(workspace, create=True)
    with _existing_store(db) as store:
        anchor = AuditLog(store).anchor(key, datetime.now(UTC))
    out.write_bytes(msgspec.json.encode(anchor, order="sorted") + b"\n")
    click.echo(f"anchored entry {anchor.seq} ({anchor.hash[:16]}…) in {out}")


@cli.group("rooms", short_help="Check room names against verified brand rooms.")
def rooms_group() -> None:
    """Lookalike detection for room names (Unicode confusables, look-alike and traditional
    Chinese characters, invisible characters)."""


@rooms_group.command(
    "check-name", short_help="Flag a room name that imitates a verified one (exit 1)."
)
@click.argument("name")
@click.option(
    "--verified",
    "verified_path",
    type=EXISTING_FILE,
    required=True,
    help="Verified room names, one a line.",
)
def rooms_check_name(name: str, verified_path: Path) -> None:
    """Print {"lookalike_of": NAME or null, "score": 0..1}; exit 1 when NAME imitates a
    verified room without being it."""
    text = verified_path.read_text(encoding="utf-8")
    result = VerifiedRooms(parse_verified_names(text, str(verified_path))).check(name)
    _echo_json({"lookalike_of": result.lookalike_of, "score": result.score})
    if result.lookalike_of is not None:
        sys.exit(1)


@cli.group("models", short_help="Verify and sign model folders (Ed25519 manifests).")
def models_group() -> None:
    """Model and weight files load only when a signed manifest vouches for them."""


@models_group.command("verify", short_help="Check a folder against its signed manifest.")
@click.argument(
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    default=MODEL_DIR,
)
def models_verify(folder: Path) -> None:
    """Check FOLDER's MANIFEST.json signature (trusted keys shipped with livelens), every
    listed file, and that no file is unlisted; default: the shipped sentiment model."""
    verified = verify_folder(folder)
    _echo_json(
        {"folder": str(folder), "key_id": verified.key_id, "files": len(verified.manifest.files)}
    )


@models_group.command("sign", short_help="Sign a folder's files with an Ed25519 key.")
@click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--key", "key_path", type=EXISTING_FILE, required=True, help="Ed25519 PEM key.")
def models_sign(folder: Path, key_path: Path) -> None:
    """Write FOLDER/MANIFEST.json and MANIFEST.sig, signed with the private key --key."""
    private_key = load_private_key(key_path)
    manifest = sign_manifest(folder, private_key)
    signer = key_id(private_key.public_key())
    click.echo(f"signed {len(manifest.files)} files in {folder} with {signer}")
    if signer not in load_trusted_keys():
        click.echo(
            f"warning: {signer} is not among the trusted keys; loading will refuse", err=True
        )
