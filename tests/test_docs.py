"""The docs stay true: docs/cli.md is the --help of every command (sqlite-utils' test_docs idea).

Regenerate after changing the CLI: ``LIVELENS_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py``.
"""

from __future__ import annotations

import os
from pathlib import Path

import click
from click.testing import CliRunner

from livelens.cli import cli

DOCS = Path(__file__).resolve().parents[1] / "docs"


def render_cli_reference() -> str:
    runner = CliRunner()
    parts = [
        "# CLI reference\n",
        "Generated from `livelens --help`; `tests/test_docs.py` fails when it drifts.\n",
    ]
    commands: list[tuple[str, ...]] = [()]
    assert isinstance(cli, click.Group)
    commands += [(name,) for name in sorted(cli.commands)]
    for path in commands:
        result = runner.invoke(cli, [*path, "--help"], prog_name="livelens", terminal_width=100)
        assert result.exit_code == 0, result.output
        title = " ".join(("livelens", *path))
        parts.append(f"## {title}\n\n```\n{result.output.rstrip()}\n```\n")
    return "\n".join(parts)


def test_cli_reference_is_current() -> None:
    expected = render_cli_reference()
    target = DOCS / "cli.md"
    if os.environ.get("LIVELENS_UPDATE_DOCS"):
        target.write_text(expected, encoding="utf-8")
    assert target.read_text(encoding="utf-8") == expected, (
        "docs/cli.md is stale: run LIVELENS_UPDATE_DOCS=1 .venv/bin/pytest tests/test_docs.py"
    )


def test_readme_names_the_two_commands() -> None:
    readme = (DOCS.parent / "README.md").read_text(encoding="utf-8")
    assert "make demo" in readme
    assert "make test" in readme
    ci = (DOCS.parent / ".ci" / "run").read_text(encoding="utf-8")
    assert "make test" in ci
