"""Writes off the answering thread: batches go to a thread with its own DuckDB cursor.

At 2,000 questions/s one synchronous flush of a few hundred answer records (10–300 ms, measured
in ``bench/bench_qa.py``) holds every question behind it. :class:`BackgroundWriter` takes the
batch — rows already built, so the records may keep changing — and returns at once; its thread
writes the batches in the order they were given, on a cursor of the same database (DuckDB runs
the statement without the GIL, so answering goes on meanwhile).

The thread starts with the first batch and ends after ``idle_s`` without one, closing its cursor
(so an idle log holds nothing open); the next batch starts a new one. :meth:`sync` waits until
every batch given so far is written — readers call it first — and raises the error of a batch
that failed (the batch is kept: the next :meth:`sync` tries it again). :meth:`close` syncs and
stops the thread; call it before the connection closes.
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable
from typing import Any, Generic, TypeVar

Batch = TypeVar("Batch")


class BackgroundWriter(Generic[Batch]):
    def __init__(
        self, con: Any, write: Callable[[Any, Batch], None], *, idle_s: float = 1.0
    ) -> None:
        self.con = con
        self.write = write  # (cursor, batch): writes one batch in its own transaction
        self.idle_s = idle_s
        self._batches: deque[Batch] = deque()
        self._changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._writing = False
        self._error: BaseException | None = None

    def put(self, batch: Batch) -> None:
        with self._changed:
            self._batches.append(batch)
            self._changed.notify_all()
            if self._thread is None and self._error is None:
                self._start()

    def sync(self) -> None:
        """Wait until every batch given so far is written; raise a failed batch's error."""
        with self._changed:
            if self._error is not None and self._thread is None:
                self._error = None  # try the kept batches again
                if self._batches:
                    self._start()
            while (self._batches or self._writing) and self._error is None:
                self._changed.wait()
            if self._error is not None:
                error = self._error
                kept = len(self._batches)
                msg = f"the Q&A answer log could not be written ({kept} batch(es) kept)"
                raise RuntimeError(msg) from error

    def close(self) -> None:
        self.sync()
        with self._changed:
            thread, self._thread = self._thread, None
            self._changed.notify_all()
        if thread is not None:
            thread.join()

    def _start(self) -> None:
        # the cursor is made here, on the caller's thread, which owns the connection
        cursor = self.con.cursor()
        self._thread = threading.Thread(
            target=self._run, args=(cursor,), name="qa-log-writer", daemon=True
        )
        self._thread.start()

    def _run(self, cursor: Any) -> None:
        me = threading.current_thread()
        try:
            while True:
                with self._changed:
                    if not self._batches:
                        self._changed.wait_for(
                            lambda: bool(self._batches) or self._thread is not me,
                            timeout=self.idle_s,
                        )
                    if not self._batches:  # idle, or closed: this thread ends
                        if self._thread is me:
                            self._thread = None
                        return
                    batch = self._batches[0]
                    self._writing = True
                try:
                    self.write(cursor, batch)
                except Exception as error:  # noqa: BLE001 - kept; sync raises it on the caller's thread
                    with self._changed:
                        self._error, self._writing = error, False
                        if self._thread is me:
                            self._thread = None
                        self._changed.notify_all()
                    return
                with self._changed:
                    self._batches.popleft()
                    self._writing = False
                    self._changed.notify_all()
        finally:
            cursor.close()
