"""Commands of the interface layer: serve the API and the live screen; manage API tokens."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import click

from livelens.api.server import ServerThread, open_service
from livelens.api.tokens import ALL_PERMISSIONS, ROLES, TokenRegistry
from livelens.cli.app import DB_OPTION, WORKSPACE_OPTION, cli
from livelens.cli.knowledge_commands import PLAYBOOKS, chosen_playbooks
from livelens.settings import load_settings
from livelens.store.duckdb import DuckDBStore

HOST_OPTION = click.option("--host", default="127.0.0.1", show_default=True)
PORT_OPTION = click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="0: any free."
)


def announce(server: ServerThread, token: str | None) -> None:
    """Print where the live screen is; a token created just now is shown this once."""
    if token is not None:
        click.echo(f"first admin token (shown once, keep it): {token}")
        click.echo(f"live screen: {server.url}/login?token={token}")
    else:
        click.echo(f"live screen: {server.url}/login?token=<your token>")
    click.echo(f"API: {server.url}/api (OpenAPI at {server.url}/openapi.json)")


@cli.command("serve", short_help="Serve the API and the live screen over a store.")
@DB_OPTION
@HOST_OPTION
@PORT_OPTION
@WORKSPACE_OPTION
@PLAYBOOKS
def serve_command(
    db: Path, host: str, port: int, workspace: str, playbook_paths: tuple[Path, ...]
) -> None:
    """Serve the HTTP API (ingest, sessions, metrics, insights, comments, live push) and the
    live screen at /. Every route needs a token; on a store without any, the first admin token
    is created and printed once. The live recommendations and the recommendation routes run the
    --playbooks given (checked before the store opens), else the starter library."""
    playbooks = chosen_playbooks(playbook_paths)
    service = open_service(db, load_settings(workspace), playbooks=playbooks)
    server = ServerThread(service.app, host, port).start()
    announce(server, service.first_admin.token if service.first_admin else None)
    try:
        while server.thread.is_alive():
            time.sleep(0.5)
    except KeyboardInterrupt:
        click.echo("stopping", err=True)
    finally:
        server.stop()
        service.close()


@cli.group("token", short_help="Create, list and revoke API tokens.")
def token_group() -> None:
    """API tokens are stored hashed in the store; a new token's secret is printed once."""


@token_group.command("create")
@DB_OPTION
@click.option("--name", required=True, help="Who or what uses the token.")
@click.option("--role", type=click.Choice(ROLES), default="operator", show_default=True)
@click.option(
    "--expires-days", type=click.FloatRange(min=0, min_open=True), help="Valid for this long."
)
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    type=click.Choice(sorted(ALL_PERMISSIONS)),
    help="Narrow the role to this permission (repeatable).",
)
def token_create(
    db: Path, name: str, role: str, expires_days: float | None, scopes: tuple[str, ...]
) -> None:
    """Create a token and print it (the only time it is shown)."""
    now = datetime.now(UTC)
    expires_at = now + timedelta(days=expires_days) if expires_days else None
    with DuckDBStore(db) as store:
        issued = TokenRegistry(store).issue(
            name, role, now=now, expires_at=expires_at, scopes=list(scopes) or None
        )
    click.echo(issued.token)


@token_group.command("list")
@DB_OPTION
def token_list(db: Path) -> None:
    """List tokens (ids, names, roles; never secrets)."""
    with DuckDBStore(db) as store:
        for info in TokenRegistry(store).tokens():
            state = f"revoked {info.revoked_at:%Y-%m-%d %H:%M}" if info.revoked_at else "active"
            click.echo(f"{info.token_id}  {info.role:<8}  {state:<24}  {info.name}")


@token_group.command("revoke")
@DB_OPTION
@click.argument("token_id")
def token_revoke(db: Path, token_id: str) -> None:
    """Revoke a token by its id (the part after llk_)."""
    with DuckDBStore(db) as store:
        TokenRegistry(store).revoke(token_id, now=datetime.now(UTC))
    click.echo(f"revoked {token_id}")
