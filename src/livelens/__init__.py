"""livelens: the data-to-knowledge engine for AI-hosted live-commerce rooms."""

from __future__ import annotations

__version__ = "0.1.0"
