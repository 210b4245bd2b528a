"""Implicit AI labels: ``livelens label check`` and ``livelens label write``."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import click
import msgspec

from livelens.cli.app import cli
from livelens.governance.labels import LABELS, build_record, check_file, write_record

FILE = click.Path(exists=True, dir_okay=False, path_type=Path)


@cli.group("label", short_help="Write and check the AIGC metadata (implicit AI label).")
def label_group() -> None:
    """The implicit AI label of GB 45438-2025: the AIGC metadata record (Label, ContentProducer,
    ProduceID, ReservedCode1, ContentPropagator, PropagateID, ReservedCode2) in MP4 recordings,
    HTML and PDF reports, and a FILE.aigc.json sidecar beside every other export."""


@label_group.command("check", short_help="Say whether a file carries a valid AIGC record.")
@click.argument("path", metavar="FILE", type=FILE)
def check_command(path: Path) -> None:
    """Print one JSON object {file, carrier, valid, record, problems}; exit 0 when FILE carries
    one valid AIGC record, 1 when it carries none or an invalid one."""
    found = check_file(path)
    shown = {
        "file": found.file,
        "carrier": found.carrier,
        "valid": found.valid,
        "record": msgspec.to_builtins(found.record),
        "problems": list(found.problems),
    }
    click.echo(json.dumps(shown, ensure_ascii=False))
    raise SystemExit(0 if found.valid else 1)


@label_group.command("write", short_help="Copy a file, adding the AIGC record; verify it.")
@click.argument("src", metavar="IN", type=FILE)
@click.argument("dst", metavar="OUT", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--producer", required=True, help="ContentProducer: the generating provider.")
@click.option("--propagator", default="", help="ContentPropagator: the propagating provider.")
@click.option("--produce-id", help="ProduceID [default: sha256-<32 hex> of IN].")
@click.option("--propagate-id", help="PropagateID [default: ProduceID when --propagator is set].")
@click.option(
    "--label",
    type=click.Choice(sorted(LABELS)),
    default="1",
    show_default=True,
    help="1 AI-generated, 2 possibly, 3 suspected.",
)
@click.option("--reserved-code1", default="", help="ReservedCode1 (the producer's).")
@click.option("--reserved-code2", default="", help="ReservedCode2 (the propagator's).")
def write_command(
    src: Path,
    dst: Path,
    producer: str,
    propagator: str,
    produce_id: str | None,
    propagate_id: str | None,
    label: str,
    reserved_code1: str,
    reserved_code2: str,
) -> None:
    """Write IN to OUT (OUT may be IN) with the AIGC record: an MP4 tag (ffmpeg), an HTML meta
    element, the PDF document information, or OUT.aigc.json beside any other file. The record
    is read back before OUT is replaced."""
    if produce_id is None:
        produce_id = "sha256-" + hashlib.sha256(src.read_bytes()).hexdigest()[:32]
    if propagate_id is None:
        propagate_id = produce_id if propagator else ""
    record = build_record(
        producer=producer,
        produce_id=produce_id,
        propagator=propagator,
        propagate_id=propagate_id,
        label=label,
        reserved_code1=reserved_code1,
        reserved_code2=reserved_code2,
    )
    written = write_record(src, dst, record)
    found = check_file(written)
    click.echo(f"wrote {written} ({found.carrier}): AIGC {'valid' if found.valid else 'INVALID'}")
