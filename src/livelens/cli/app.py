"""The ``livelens`` command group: shared options and the one place errors become messages.

Errors are translated here only: a :class:`~livelens.errors.LivelensError` becomes one line on
stderr and a non-zero exit (``--debug`` shows the traceback instead).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any, Final

import click

from livelens import __version__
from livelens.errors import LivelensError

EXIT_QUARANTINED: Final = 3

DB_OPTION = click.option(
    "--db",
    type=click.Path(dir_okay=False, path_type=Path),
    required=True,
    help="The DuckDB store file (created if missing).",
)
WORKSPACE_OPTION = click.option(
    "--workspace",
    default="default",
    show_default=True,
    help="Workspace whose pseudonymisation key is used (keys live in $LIVELENS_HOME/keys).",
)


class _Cli(click.Group):
    """Turns livelens and operating-system errors into one line on stderr, unless --debug."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (LivelensError, OSError) as error:
            if ctx.params.get("debug"):
                raise
            click.echo(f"livelens: error: {_one_line(error)}", err=True)
            ctx.exit(1)


def _one_line(error: Exception) -> str:
    if isinstance(error, OSError) and error.strerror:
        where = f": {error.filename}" if error.filename else ""
        return f"{error.strerror}{where}"
    return " ".join(str(error).split())


@click.group(cls=_Cli, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="livelens")
@click.option("--debug", is_flag=True, help="Show tracebacks instead of one-line errors.")
def cli(debug: bool) -> None:
    """livelens: the data-to-knowledge engine for AI-hosted live-commerce rooms."""


def main(argv: Sequence[str] | None = None) -> None:
    cli.main(args=list(argv) if argv is not None else None, prog_name="livelens")
