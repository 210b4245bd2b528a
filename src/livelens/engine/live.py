"""The live engine: routes micro-batches to per-session state, keeps watermarks, checkpoints.

Building a :class:`LiveEngine` runs nothing; :meth:`LiveEngine.process` folds one Arrow batch (in
:data:`~livelens.events.columns.EVENTS_SCHEMA`) into the state of every session it touches. Each
session has its own watermark, so replaying sessions recorded on different days in one stream
does not make one session's events "late" for another. ``snapshot``/``restore`` give a state that
continues exactly where it stopped: after a crash, resuming from the last checkpoint and the
source position saved with it gives the same results as an uninterrupted run.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from livelens.engine.session_state import CommentIntents, SessionSnapshot, SessionState
from livelens.engine.watermark import Watermark
from livelens.engine.windows import Int64Array

DEFAULT_LATENESS = timedelta(seconds=10)
DEFAULT_VIEWER_TIMEOUT = timedelta(minutes=15)


class EngineSnapshot(msgspec.Struct, kw_only=True):
    lateness_us: int
    timeout_us: int
    watermarks: dict[str, Watermark]
    sessions: dict[str, SessionSnapshot]
    late_events: int
    events: int


class LiveEngine:
    def __init__(
        self,
        *,
        allowed_lateness: timedelta = DEFAULT_LATENESS,
        viewer_timeout: timedelta = DEFAULT_VIEWER_TIMEOUT,
        comment_intents: CommentIntents | None = None,
    ) -> None:
        self.comment_intents = comment_intents
        self.lateness_us = int(allowed_lateness / timedelta(microseconds=1))
        self.timeout_us = int(viewer_timeout / timedelta(microseconds=1))
        self.sessions: dict[str, SessionState] = {}
        self.watermarks: dict[str, Watermark] = {}
        self.late_events = 0  # events that arrived behind their session's watermark
        self.events = 0

    def process(self, batch: pa.Table) -> None:
        """Fold one batch of events into the state."""
        if batch.num_rows == 0:
            return
        self.events += batch.num_rows
        ts_us: Int64Array = batch["ts"].cast(pa.int64()).to_numpy()
        encoded = batch["session_id"].combine_chunks().dictionary_encode()
        codes = encoded.indices.to_numpy(zero_copy_only=False)
        for code, session_id in enumerate(encoded.dictionary.to_pylist()):
            rows = np.flatnonzero(codes == code)
            if len(rows):
                self._process_session(session_id, batch.take(rows), ts_us[rows])

    def _process_session(self, session_id: str, rows: pa.Table, ts_us: Int64Array) -> None:
        state = self.sessions.get(session_id)
        if state is None:
            room, platform = rows["room_id"][0].as_py(), rows["platform"][0].as_py()
            state = self.sessions[session_id] = SessionState(
                session_id, room, platform, self.timeout_us, self.comment_intents
            )
            self.watermarks[session_id] = Watermark(allowed_lateness_us=self.lateness_us)
        watermark = self.watermarks[session_id]
        before = watermark.value_us
        if before is not None:
            self.late_events += int(np.count_nonzero(ts_us < before))
        current = before if before is not None else int(ts_us.min())
        state.add(rows, ts_us, current)
        watermark.advance(int(ts_us.max()))
        after = watermark.value_us
        if after is not None:
            state.viewers.advance(after)

    def finish(self) -> None:
        """End of input: nothing later can arrive, so apply everything still waiting."""
        for state in self.sessions.values():
            state.viewers.flush()

    def snapshot(self) -> EngineSnapshot:
        return EngineSnapshot(
            lateness_us=self.lateness_us,
            timeout_us=self.timeout_us,
            watermarks={k: msgspec.structs.replace(v) for k, v in self.watermarks.items()},
            sessions={k: s.snapshot() for k, s in self.sessions.items()},
            late_events=self.late_events,
            events=self.events,
        )

    @classmethod
    def restore(
        cls, snapshot: EngineSnapshot, comment_intents: CommentIntents | None = None
    ) -> LiveEngine:
        engine = cls(
            allowed_lateness=timedelta(microseconds=snapshot.lateness_us),
            viewer_timeout=timedelta(microseconds=snapshot.timeout_us),
            comment_intents=comment_intents,
        )
        engine.watermarks = dict(snapshot.watermarks)
        engine.sessions = {
            k: SessionState.restore(s, comment_intents) for k, s in snapshot.sessions.items()
        }
        engine.late_events = snapshot.late_events
        engine.events = snapshot.events
        return engine

    def encode(self) -> bytes:
        """The checkpoint bytes (MessagePack)."""
        return msgspec.msgpack.encode(self.snapshot())

    @classmethod
    def decode(cls, data: bytes, comment_intents: CommentIntents | None = None) -> LiveEngine:
        return cls.restore(msgspec.msgpack.decode(data, type=EngineSnapshot), comment_intents)


def session_ids(batch: pa.Table) -> list[str]:
    return pc.unique(batch["session_id"]).to_pylist()  # type: ignore[no-any-return]
