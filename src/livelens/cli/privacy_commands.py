"""``livelens privacy …``: key rotation, consent, retention and data-subject requests.

Each command parses, calls one function of :mod:`livelens.governance` and prints the result.
"""

from __future__ import annotations

import functools
import sys
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import click
import msgspec

from livelens.cli.app import WORKSPACE_OPTION, cli
from livelens.errors import InvalidInput
from livelens.events.schema import PLATFORMS
from livelens.governance.audit import AuditLog
from livelens.governance.erasure import compact_store
from livelens.governance.keys import Keyring, load_keyring, rebind_store, rotate_key
from livelens.governance.retention import RetentionPolicy, enforce_retention, load_policy
from livelens.governance.subject_requests import delete_subject, export_subject, mark_compacted
from livelens.governance.subjects import Subject, subject_by_pseudonym, subject_by_raw_id
from livelens.governance.viewer_consent import USES, allows, consent_of, parse_scopes, set_consent
from livelens.settings import load_settings
from livelens.store.duckdb import DuckDBStore

F = TypeVar("F", bound=Callable[..., Any])

EXISTING_DB = click.Path(exists=True, dir_okay=False, path_type=Path)
DB = click.option("--db", type=EXISTING_DB, required=True, help="The store (must exist).")
BY = click.option("--by", default="cli", show_default=True, help="Who acts (audit log).")
NO_COMPACT = click.option(
    "--no-compact",
    is_flag=True,
    help="Skip rewriting the store file (old bytes stay in its freed blocks until compacted).",
)


def _echo_json(value: object) -> None:
    click.echo(msgspec.json.encode(value, order="deterministic").decode())


def _subject_options(command: F) -> F:
    options = [
        click.option("--viewer-id", help="The viewer's raw platform user id (needs --platform)."),
        click.option("--platform", type=click.Choice(PLATFORMS), help="Platform of --viewer-id."),
        click.option("--pseudonym", help="The viewer's store pseudonym (v_…)."),
        WORKSPACE_OPTION,
    ]
    return functools.reduce(lambda f, option: option(f), reversed(options), command)


def _keyring(workspace: str) -> Keyring:
    return load_keyring(load_settings(workspace))


def _subject(
    viewer_id: str | None, platform: str | None, pseudonym: str | None, ws: str
) -> Subject:
    if (viewer_id is None) == (pseudonym is None):
        msg = (
            "name the viewer with exactly one of --viewer-id RAW (with --platform) or --pseudonym V"
        )
        raise InvalidInput(msg)
    if pseudonym is not None:
        return subject_by_pseudonym(pseudonym)
    if platform is None:
        msg = f"--viewer-id needs --platform (one of {', '.join(PLATFORMS)}): ids are per platform"
        raise InvalidInput(msg)
    return subject_by_raw_id(str(viewer_id), platform, _keyring(ws))


def _rebind(store: DuckDBStore, keyring: Keyring, by: str, now: datetime) -> str | None:
    before = rebind_store(store, keyring)
    if before != keyring.current.key_id:
        details = {"workspace": keyring.workspace, "from": before, "to": keyring.current.key_id}
        AuditLog(store).append(by, "privacy.rebind_key", keyring.workspace, details, at=now)
    return before


@cli.group("privacy", short_help="Viewer privacy: keys, consent, retention, subject requests.")
def privacy_group() -> None:
    """Rotate pseudonymisation keys, record consent, enforce retention, and answer data-subject
    requests (export everything held about a viewer, or delete it everywhere with a receipt)."""


@privacy_group.command("enforce", short_help="Apply a retention policy to a store.")
@DB
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="TOML or JSON file: comment_text_days, nickname_days, raw_events_days, "
    "quarantine_raw_days, audience_exports_days.",
)
@click.option("--comment-text-days", type=click.IntRange(min=0), help="Overrides the file.")
@click.option("--nickname-days", type=click.IntRange(min=0), help="Overrides the file.")
@click.option("--raw-events-days", type=click.IntRange(min=0), help="Overrides the file.")
@click.option("--quarantine-raw-days", type=click.IntRange(min=0), help="Overrides the file.")
@click.option("--audience-exports-days", type=click.IntRange(min=0), help="Overrides the file.")
@click.option("--dry-run", is_flag=True, help="Count what would be removed; change nothing.")
@NO_COMPACT
@BY
def enforce_command(
    db: Path, policy_path: Path | None, dry_run: bool, no_compact: bool, by: str, **days: int | None
) -> None:
    """Remove personal data older than the policy allows (comment texts, nicknames, whole old
    sessions' events, quarantined raw text, audience files); keep aggregates. Prints one JSON
    object; running it again removes nothing more."""
    policy = load_policy(policy_path) if policy_path else RetentionPolicy()
    overrides = {name: value for name, value in days.items() if value is not None}
    policy = msgspec.structs.replace(policy, **overrides)
    if all(getattr(policy, name) is None for name in RetentionPolicy.__struct_fields__):
        msg = "the retention policy sets no limit: pass --policy FILE or a --…-days option"
        raise InvalidInput(msg)
    with DuckDBStore(db) as store:
        report = enforce_retention(store, policy, datetime.now(UTC), dry_run=dry_run, actor=by)
    if not dry_run and not no_compact:
        compact_store(db)
        report = msgspec.structs.replace(report, compacted=True)
    _echo_json(report)


@privacy_group.command("export", short_help="Export everything held about one viewer (JSON).")
@DB
@_subject_options
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True)
def export_command(
    db: Path,
    viewer_id: str | None,
    platform: str | None,
    pseudonym: str | None,
    workspace: str,
    out: Path,
) -> None:
    """Write every event, quarantined record, consent record, audience file, engine checkpoint
    and audit entry that names the viewer to --out. A viewer with nothing held gets an export
    with "found": false (exit 0): that is the answer to the request."""
    subject = _subject(viewer_id, platform, pseudonym, workspace)
    with DuckDBStore(db) as store:
        export = export_subject(store, subject, now=datetime.now(UTC))
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_bytes(msgspec.json.format(msgspec.json.encode(export), indent=2) + b"\n")
    if not export["found"]:
        click.echo(f"nothing held for {export['subject_hash']}; wrote an empty export to {out}")
        return
    held = ", ".join(f"{n} {place}" for place, n in export["counts"].items() if n)
    click.echo(f"exported {held} for {export['subject_hash']} to {out}")


@privacy_group.command("delete", short_help="Delete one viewer everywhere; write a receipt.")
@DB
@_subject_options
@click.option("--receipt", type=click.Path(dir_okay=False, path_type=Path), required=True)
@click.option("--by", required=True, help="Who carries out the request (audit log).")
@click.option("--request-id", help="Your ticket id for the request (default: a random one).")
@NO_COMPACT
def delete_command(
    db: Path,
    viewer_id: str | None,
    platform: str | None,
    pseudonym: str | None,
    workspace: str,
    receipt: Path,
    by: str,
    request_id: str | None,
    no_compact: bool,
) -> None:
    """Delete the viewer from events, quarantine, consent, audience files and engine checkpoints,
    verify nothing remains, audit it (privacy.delete), checkpoint and compact the store, and write
    the receipt (JSON). Exit 1 when the verification finds something left."""
    subject = _subject(viewer_id, platform, pseudonym, workspace)
    with DuckDBStore(db) as store:
        result = delete_subject(
            store, subject, now=datetime.now(UTC), actor=by, request_id=request_id
        )
    if not no_compact:
        compact_store(db)
        result = mark_compacted(result)
    receipt.parent.mkdir(parents=True, exist_ok=True)
    receipt.write_bytes(msgspec.json.format(msgspec.json.encode(result), indent=2) + b"\n")
    deleted = ", ".join(f"{n} {place}" for place, n in result.deleted.items())
    state = "compacted" if result.compacted else "not compacted"
    click.echo(
        f"{result.request_id}: deleted {deleted}; audit entry {result.audit_seq}; store {state}; "
        f"receipt in {receipt}"
    )
    if not result.verification.ok:
        left = {k: v for k, v in result.verification.remaining.items() if v}
        click.echo(f"livelens: error: data remains after deletion: {left}", err=True)
        sys.exit(1)


@privacy_group.command("rotate-key", short_help="Retire the workspace key and make a new one.")
@WORKSPACE_OPTION
@click.option(
    "--db", "dbs", type=EXISTING_DB, multiple=True, help="Stores to rebind to the new key."
)
@BY
def rotate_key_command(workspace: str, dbs: Sequence[Path], by: str) -> None:
    """Archive the current key (old pseudonyms stay resolvable for data-subject requests) and
    create a new one; rebind each --db store to it. New events get new pseudonyms: a viewer's old
    and new pseudonyms are linked only by the raw platform id. Restart running pipelines."""
    settings = load_settings(workspace)
    now = datetime.now(UTC)
    retired = load_keyring(settings).current.key_id
    current = rotate_key(settings, now)
    keyring = load_keyring(settings)
    rebound = {}
    for db in dbs:
        with DuckDBStore(db) as store:
            rebound[str(db)] = _rebind(store, keyring, by, now)
    _echo_json({"workspace": workspace, "retired": retired, "current": current, "rebound": rebound})


@privacy_group.command("rebind", short_help="Move a store to the workspace's current key.")
@DB
@WORKSPACE_OPTION
@BY
def rebind_command(db: Path, workspace: str, by: str) -> None:
    """Bind a store written under a retired key of the workspace to its current key, so that
    ingest accepts it again (the old key id is kept in the store's key history)."""
    keyring = _keyring(workspace)
    with DuckDBStore(db) as store:
        before = _rebind(store, keyring, by, datetime.now(UTC))
    _echo_json({"db": str(db), "from": before, "to": keyring.current.key_id})


@privacy_group.command("consent", short_help="Show or set one viewer's consent scopes.")
@DB
@_subject_options
@click.option(
    "--scopes",
    help="Replace the scopes: some of analytics, marketing, personalisation, non_personalised "
    "(comma-separated), or 'none' to withdraw all.",
)
@BY
def consent_command(
    db: Path,
    viewer_id: str | None,
    platform: str | None,
    pseudonym: str | None,
    workspace: str,
    scopes: str | None,
    by: str,
) -> None:
    """Print the viewer's scopes and what they allow; with --scopes, replace them first (audited
    as consent.change). A raw --viewer-id means its pseudonym under the current key."""
    subject = _subject(viewer_id, platform, pseudonym, workspace)
    viewer = subject.pseudonyms[0]
    with DuckDBStore(db) as store:
        if scopes is not None:
            change = set_consent(
                store, viewer, parse_scopes(scopes), at=datetime.now(UTC), actor=by, source="cli"
            )
            _echo_json(change)
            return
        held = consent_of(store, viewer)
    _echo_json(
        {
            "viewer_id": viewer,
            "scopes": None if held is None else sorted(held),
            "allows": {use: allows(held, use) for use in USES},
        }
    )
