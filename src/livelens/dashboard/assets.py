"""Where the live screen's files are: the page itself (in the package) and ECharts (from npm).

ECharts is installed from the npm registry by ``make setup`` into ``web/node_modules`` (pinned by
``web/package-lock.json``) and served by the API itself: the screen works offline, with nothing
fetched from a CDN. ``LIVELENS_WEB_MODULES`` points elsewhere for an installed (non-checkout) copy.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

from livelens.errors import ConfigurationError

STATIC_DIR: Final = Path(__file__).with_name("static")
PAGE_FILES: Final = {
    "screen.js": "text/javascript",
    "screen.css": "text/css",
}


def node_modules() -> Path:
    configured = os.environ.get("LIVELENS_WEB_MODULES")
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parents[3] / "web" / "node_modules"


def echarts_path() -> Path:
    path = node_modules() / "echarts" / "dist" / "echarts.min.js"
    if not path.is_file():
        msg = (
            f"ECharts is not installed ({path} is missing): run `make setup` "
            "(it runs `npm ci` in web/), or set LIVELENS_WEB_MODULES to a node_modules folder"
        )
        raise ConfigurationError(msg)
    return path


def asset(name: str) -> tuple[Path, str] | None:
    """The file and media type of a page asset, or None for a name the screen does not serve."""
    if name == "echarts.min.js":
        return echarts_path(), "text/javascript"
    media_type = PAGE_FILES.get(name)
    return (STATIC_DIR / name, media_type) if media_type else None
