"""``livelens qa …``: the AI host's live Q&A over a file of comments and catalog events."""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any, Final, TextIO

import click
import msgspec

from livelens.cli.app import EXIT_QUARANTINED, cli
from livelens.errors import InvalidEvent, InvalidInput
from livelens.events.codec import convert_event
from livelens.qa.answerer import Answerer
from livelens.qa.catalog_files import load_catalog
from livelens.qa.knowledge import CATALOG_EVENTS
from livelens.qa.queue import Autonomy, RoomControl
from livelens.qa.replay import Ask, Item, replay
from livelens.qa.room import ANNOUNCE_AT, QaRoom

# Event types the Q&A follows; other events in the file are passed over.
FOLLOWED: Final = frozenset(CATALOG_EVENTS)
_ENVELOPE: Final = {"room_id": "cli", "session_id": "cli", "platform": "other"}


@cli.group("qa", short_help="The AI host's live Q&A: answers grounded in the catalog.")
def qa_group() -> None:
    """Answer viewers' questions from the catalog state, with guardrails and a human queue."""


def _ts_ms(value: Any, where: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return round(parsed.timestamp() * 1000)
    msg = f"{where}: ts {value!r} is neither epoch milliseconds nor RFC 3339 with an offset"
    raise InvalidInput(msg)


def _read(handle: TextIO, source: str) -> Iterator[Item]:
    """Questions and events, one per line: JSON Lines, or plain text (one comment per line).

    A line without ``ts`` takes the time of the line before it (the first: 0).
    """
    last_ms = 0
    for number, line in enumerate(handle, start=1):
        where = f"{source}:{number}"
        line = line.strip()
        if not line:
            continue
        if not line.startswith("{"):
            yield where, Ask(line, last_ms)
            continue
        try:
            record: Any = msgspec.json.decode(line)
        except msgspec.DecodeError as error:
            msg = f"{where}: not valid JSON ({error}); expected one comment or event per line"
            raise InvalidInput(msg) from None
        if not isinstance(record, dict):
            msg = f"{where}: expected a JSON object, got {type(record).__name__}"
            raise InvalidInput(msg)
        kind = record.get("type")
        ts = _ts_ms(record.get("ts"), where)
        last_ms = ts if ts is not None else last_ms
        if kind in (None, "comment"):
            text = record.get("text")
            if not isinstance(text, str):
                msg = f"{where}: a comment line needs a string 'text' field"
                raise InvalidInput(msg)
            viewer = record.get("viewer_id")
            question_id = record.get("event_id") or record.get("question_id")
            yield (
                where,
                Ask(text, last_ms, str(viewer) if viewer is not None else None, question_id),
            )
        elif kind in FOLLOWED:
            try:
                event = convert_event(_ENVELOPE | {"ts": last_ms} | record)
            except InvalidEvent as error:
                msg = f"{where}: {error}"
                raise InvalidInput(msg) from None
            yield where, event


@qa_group.command("answer", short_help="Answer the questions of a comment file (JSON Lines out).")
@click.option(
    "--catalog",
    "catalog_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="Catalog JSON (products, as `livelens ingest --catalog` reads) or CSV.",
)
@click.option(
    "--in",
    "input_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Comments (JSON Lines with 'text', optional 'ts', 'viewer_id'; or one per line) and "
    "events (price.change, promo.start/end, host.product_pin, order.paid, stock.set); '-': stdin.",
)
@click.option(
    "--faq",
    "room_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Room file: room FAQ, policies (after-sales, shipping, how to buy), aliases, links.",
)
@click.option("--persona", "persona_id", help="Persona whose style the answers take.")
@click.option("--pinned", "pinned", help="Product being explained when the file starts.")
@click.option(
    "--autonomy",
    type=click.Choice([a.value for a in Autonomy]),
    default=Autonomy.FULL_AUTO.value,
    show_default=True,
    help="suggest: the operator sends each answer; auto_undo: sent after --undo-s unless undone.",
)
@click.option("--undo-s", type=click.FloatRange(min=0), default=5.0, show_default=True)
@click.option(
    "--merge-window-s",
    type=click.FloatRange(min=0),
    default=10.0,
    show_default=True,
    help="Same question from several viewers within this window: one answer covers them.",
)
def answer_command(
    catalog_path: Path,
    input_path: Path,
    room_path: Path | None,
    persona_id: str | None,
    pinned: str | None,
    autonomy: str,
    undo_s: float,
    merge_window_s: float,
) -> None:
    """One JSON line per answer or escalation: the questions it covers (personal data redacted),
    product_id, intent, topic, answer, facts, catalog_version, status (answered, escalated,
    blocked), reason and delivery. Exit 3 when an event was rejected (e.g. an unknown product).
    """
    catalog = load_catalog(catalog_path, room_path)
    catalog.persona_id = persona_id
    if pinned is not None:
        catalog.pin(pinned)
    control = RoomControl(Autonomy(autonomy), undo_window_ms=round(undo_s * 1000))
    room = QaRoom(
        Answerer(catalog),
        control=control,
        merge_window_ms=round(merge_window_s * 1000),
        announce_at=ANNOUNCE_AT,
    )
    source = "stdin" if str(input_path) == "-" else str(input_path)
    if source != "stdin" and not input_path.exists():
        msg = f"{input_path} does not exist"
        raise InvalidInput(msg)
    handle = sys.stdin if source == "stdin" else input_path.open(encoding="utf-8")
    try:
        result = replay(room, _read(handle, source))
    finally:
        if handle is not sys.stdin:
            handle.close()
    out = sys.stdout.buffer
    encoder = msgspec.json.Encoder()
    for record in result.records:
        out.write(encoder.encode(record) + b"\n")
    out.flush()
    statuses = Counter(r.status for r in result.records for _ in r.questions)
    click.echo(
        f"{result.comments} comments, {result.questions} questions: "
        f"{statuses['answered']} answered, {statuses['escalated']} escalated, "
        f"{statuses['blocked']} blocked; {len(result.records)} records",
        err=True,
    )
    for rejected in result.rejected:
        click.echo(f"rejected {rejected.where}: {rejected.reason}: {rejected.detail}", err=True)
    if result.rejected:
        sys.exit(EXIT_QUARANTINED)
