"""The livelens error hierarchy.

Every error livelens raises on purpose derives from :class:`LivelensError` and from the builtin
exception it resembles, so callers can catch either. Messages say what failed, where, what was
expected and how to fix it; the CLI prints them as one line.
"""

from __future__ import annotations


class LivelensError(Exception):
    """Root of every error livelens raises on purpose."""


class InvalidEvent(ValueError, LivelensError):
    """A record is not a valid event; ``reason`` is a stable quarantine code."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason = reason
        self.detail = detail


class InvalidInput(ValueError, LivelensError):
    """An input file or argument cannot be used at all (wrong format, missing columns)."""


class InvalidReferenceData(ValueError, LivelensError):
    """A catalog or persona file does not match its schema."""


class StoreError(RuntimeError, LivelensError):
    """The event store cannot be opened or written."""


class ConfigurationError(RuntimeError, LivelensError):
    """Settings, keys or the workspace directory are unusable."""


class AuthenticationError(PermissionError, LivelensError):
    """A request carries no token, an unknown or revoked one, or one without the needed role."""


class NotFound(LookupError, LivelensError):
    """A named thing (a session, a token) does not exist."""
