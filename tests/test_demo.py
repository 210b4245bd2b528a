"""The README's first command: the demo runs a live session through the engine, serves the live
screen while it runs, and writes the post-live review when the session ends. Run as a user runs
it — a real process on a real port."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest


def run_demo(out: Path, home: Path, *args: str) -> tuple[list[str], list[str]]:
    """Start the demo; while it streams, open the screen through the printed link."""
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "livelens",
            "demo",
            "--out",
            str(out),
            "--port",
            "0",
            "--exit",
            *args,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "LIVELENS_HOME": str(home)},
    )
    assert process.stdout is not None
    lines, screens = [], []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        link = re.search(r"live screen: (http://\S+/login\?token=llk_\S+)", line)
        if link:
            with httpx.Client(follow_redirects=True, timeout=10) as browser:
                page = browser.get(link.group(1))
                screens.append(f"{page.status_code} {page.headers['content-type']}")
                sessions = browser.get(link.group(1).split("/login")[0] + "/api/sessions")
                assert sessions.status_code == 200
    _, stderr = process.communicate(timeout=300)
    assert process.returncode == 0, stderr
    return lines, screens


def test_demo_serves_the_screen_and_writes_the_review(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    lines, screens = run_demo(
        out, tmp_path / "home", "--minutes", "12", "--peak-viewers", "150", "--speed", "60"
    )
    text = "\n".join(lines)
    assert screens == ["200 text/html; charset=utf-8"]
    assert "first admin token (shown once, keep it): llk_" in text
    assert re.search(r"minute +10: +[\d,]+ online", text)
    for suffix in ("html", "pdf"):
        report = out / f"report-sim-7.{suffix}"
        assert report.stat().st_size > 10_000
        assert f"report-sim-7.{suffix}" in text
    assert "[top_product] 商品「" in text
    assert "[peak_window] 第2–5分钟是观众互动高峰时段" in text  # the planted peak, minutes 2–5
    assert "licences: 0 violation(s); talent owed" in text
    assert any(line.startswith("ground truth: hot product ") for line in lines)
    assert re.search(r"^    playbooks: \d+ recommendation\(s\) over the session$", text, re.M)


@pytest.mark.slow
def test_demo_replays_the_real_recording(tmp_path: Path, shared_data: Path) -> None:
    out = tmp_path / "demo"
    lines, screens = run_demo(out, tmp_path / "home", "--real", "--speed", "1500")
    text = "\n".join(lines)
    assert screens == ["200 text/html; charset=utf-8"]
    assert "replaying the Bilibili recording" in text
    reports = sorted(p.name for p in out.glob("report-*.html"))
    assert reports == ["report-bili-11365-20211230.html"]
    assert "ground truth" not in text  # a recording has no planted truth
