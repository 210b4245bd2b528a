"""The ``livelens`` command line: parse, call one library function, render.

Each module registers its commands on the one group in :mod:`livelens.cli.app`.
"""

from __future__ import annotations

from livelens.cli import (
    alert_commands,
    comment_commands,
    crm_commands,
    experiment_commands,
    forecast_commands,
    governance_commands,
    knowledge_commands,
    label_commands,
    live_commands,
    price_commands,
    privacy_commands,
    qa_commands,
    report_commands,
    serve_commands,
    signals_commands,
    simulation_commands,
    store_commands,
)
from livelens.cli.app import EXIT_QUARANTINED, cli, main

__all__ = [
    "EXIT_QUARANTINED",
    "alert_commands",
    "cli",
    "comment_commands",
    "crm_commands",
    "experiment_commands",
    "forecast_commands",
    "governance_commands",
    "knowledge_commands",
    "label_commands",
    "live_commands",
    "main",
    "price_commands",
    "privacy_commands",
    "qa_commands",
    "report_commands",
    "serve_commands",
    "signals_commands",
    "simulation_commands",
    "store_commands",
]
