"""Event-time watermarks with allowed lateness.

The watermark is the highest event time seen minus the allowed lateness: the engine promises that
results for event times before it are final. An event that arrives with a time before the current
watermark is *late*; it is still applied (totals always reconcile with the raw events) but through
the correction path, which reports which closed minute it revised.
"""

from __future__ import annotations

from datetime import timedelta

import msgspec


class Watermark(msgspec.Struct, kw_only=True):
    allowed_lateness_us: int
    max_event_us: int | None = None

    @classmethod
    def with_lateness(cls, lateness: timedelta) -> Watermark:
        if lateness < timedelta(0):
            msg = f"allowed lateness must be >= 0; got {lateness}"
            raise ValueError(msg)
        return cls(allowed_lateness_us=int(lateness / timedelta(microseconds=1)))

    @property
    def value_us(self) -> int | None:
        """Event times below this are final (``None`` before any event)."""
        if self.max_event_us is None:
            return None
        return self.max_event_us - self.allowed_lateness_us

    def advance(self, batch_max_us: int) -> None:
        if self.max_event_us is None or batch_max_us > self.max_event_us:
            self.max_event_us = batch_max_us
