"""Compile livelens._columnar (src/livelens/_columnar.c) whenever the package is built or installed.

The module decodes JSON Lines straight into the events' Arrow columns, builds columns from
typed events and pseudonymises viewer ids, in C (see its header). Without a C compiler the install
goes on without it, and livelens does the same in Python (msgspec and pyarrow), more slowly.
"""

from __future__ import annotations

import shlex
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

from hatchling.builders.hooks.plugin.interface import BuildHookInterface


class ColumnarBuildHook(BuildHookInterface):  # type: ignore[type-arg]
    PLUGIN_NAME = "custom"

    def initialize(self, version: str, build_data: dict[str, Any]) -> None:
        source = Path(self.root, "src", "livelens", "_columnar.c")
        target = source.with_name("_columnar" + sysconfig.get_config_var("EXT_SUFFIX"))
        command = [
            *shlex.split(sysconfig.get_config_var("CC") or "cc"),
            *shlex.split(sysconfig.get_config_var("CFLAGS") or "-O2"),
            *shlex.split(sysconfig.get_config_var("CCSHARED") or "-fPIC"),
            f"-I{sysconfig.get_paths()['include']}",
            "-shared",
            str(source),
            "-o",
            str(target),
        ]
        try:
            subprocess.run(command, check=True, capture_output=True, text=True)  # noqa: S603
        except (OSError, subprocess.CalledProcessError) as error:
            detail = getattr(error, "stderr", "") or str(error)
            self.app.display_warning(
                f"livelens._columnar was not compiled ({detail.strip()}); "
                "ingest builds its columns in Python instead"
            )
            return
        build_data["pure_python"] = False
        build_data["infer_tag"] = True
        if version != "editable":  # an editable install imports it from src/ where it was built
            build_data["force_include"][str(target)] = f"livelens/{target.name}"
