"""The ``livelens`` command line: parse, call one library function, render.

Each module registers its commands on the one group in :mod:`livelens.cli.app`.
"""

from __future__ import annotations

from livelens.cli import live_commands, simulation_commands, store_commands
from livelens.cli.app import EXIT_QUARANTINED, cli, main

__all__ = [
    "EXIT_QUARANTINED",
    "cli",
    "live_commands",
    "main",
    "simulation_commands",
    "store_commands",
]
