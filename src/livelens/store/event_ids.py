"""Which event ids the store may already hold: a set of 64-bit hashes kept in memory.

De-duplicating a batch by an anti-join against the stored events reads every stored ``event_id``,
so it costs more with every batch (55 ms per 10,000-event batch once a 4-hour session is in,
measured). :class:`EventIdHashes` answers the question for a whole batch from memory instead:
a hash that is absent means the event is certainly new; a hash that is present means only
*maybe* stored (another id can share the hash), and the store checks those few ids exactly.
So a false "maybe" costs a lookup, never an event, and the hashes may safely hold ids that are no
longer stored (deleted, rolled back).

The hashes are DuckDB's ``hash(event_id)`` (UBIGINT), kept as sorted numpy chunks merged like a
log-structured merge tree: adding a batch appends a sorted chunk and merges neighbours of similar
size, so each hash is re-sorted O(log n) times and a lookup searches O(log n) chunks — 8 bytes
per stored event.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

Hashes = npt.NDArray[np.uint64]


class EventIdHashes:
    def __init__(self) -> None:
        self._chunks: list[Hashes] = []  # each sorted, sizes non-increasing
        self.size = 0

    def add(self, hashes: Hashes) -> None:
        if not len(hashes):
            return
        self._chunks.append(np.sort(hashes))
        self.size += len(hashes)
        while len(self._chunks) > 1 and len(self._chunks[-2]) <= 2 * len(self._chunks[-1]):
            last = self._chunks.pop()
            self._chunks[-1] = np.sort(np.concatenate((self._chunks[-1], last)), kind="mergesort")

    def maybe_stored(self, hashes: Hashes) -> npt.NDArray[np.bool_]:
        """Per hash: present (maybe stored) or absent (certainly new).

        The hashes are searched in sorted order (then put back in theirs): successive searches
        then walk a chunk from left to right, which measured 3.4x faster than searching them in
        arrival order (10,000 hashes in 2M stored: 1.3 ms against 4.5 ms)."""
        order = np.argsort(hashes)
        needles = hashes[order]
        found = np.zeros(len(hashes), dtype=bool)
        for chunk in self._chunks:
            at = np.searchsorted(chunk, needles)
            np.minimum(at, len(chunk) - 1, out=at)
            found |= chunk[at] == needles
        out = np.empty_like(found)
        out[order] = found
        return out
