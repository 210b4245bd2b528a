"""The explicit AI label: /overlay/{room} in a real headless Chromium, as OBS would show it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from playwright.sync_api import Browser, Page, sync_playwright

from livelens.api.overlay import OverlayPersona, overlay_routes
from livelens.api.server import ServerThread
from livelens.errors import NotFound

XIAOMEI = OverlayPersona(
    persona_id="p-xiaomei",
    display_name="小美 Xiaomei",
    disclosure="本主播为AI数字人，形象经真人授权使用 · AI avatar, likeness used under licence",
)
AZHE = OverlayPersona(persona_id="p-azhe", display_name="阿哲", disclosure="阿哲是AI合成的虚拟主播")
VIEWPORTS = [(1280, 720), (720, 1280)]
BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

# What the page shows, measured in the browser: the label's box and its text's own line box.
MEASURE = """() => {
  const label = document.getElementById("aigc-label");
  const box = label.getBoundingClientRect();
  const range = document.createRange();
  range.selectNodeContents(label);
  let opacity = 1;
  for (let e = label; e; e = e.parentElement) opacity *= Number(getComputedStyle(e).opacity);
  return {
    text: label.textContent,
    top: box.top, left: box.left, bottom: box.bottom, right: box.right, height: box.height,
    textHeight: range.getBoundingClientRect().height,
    fontSize: parseFloat(getComputedStyle(label).fontSize),
    opacity: opacity,
    visibility: getComputedStyle(label).visibility,
    background: [getComputedStyle(document.documentElement).backgroundColor,
                 getComputedStyle(document.body).backgroundColor],
  };
}"""


def _persona_of(rooms: dict[str, OverlayPersona]) -> Any:
    def persona_of(room: str) -> OverlayPersona | None:
        if room == "broken":
            msg = "persona registry unavailable"
            raise NotFound(msg)
        return rooms.get(room)

    return persona_of


SNEAKY = OverlayPersona("p-x", "<b>x</b>", "<script>alert(1)</script>AI合成")


@pytest.fixture(scope="module")
def rooms() -> dict[str, OverlayPersona]:
    return {"room-1": XIAOMEI, "sneaky": SNEAKY}


@pytest.fixture(scope="module")
def server(rooms: dict[str, OverlayPersona]) -> Iterator[str]:
    app = FastAPI()
    app.include_router(overlay_routes(_persona_of(rooms), poll_interval_s=0.2))
    running = ServerThread(app, "127.0.0.1", 0).start()
    yield running.url
    running.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path="/usr/bin/chromium", args=BROWSER_ARGS
        )
        yield launched
        launched.close()


def open_overlay(browser: Browser, url: str, width: int, height: int) -> Page:
    page = browser.new_page(viewport={"width": width, "height": height})
    page.goto(url)
    return page


@pytest.mark.parametrize(("width", "height"), VIEWPORTS)
def test_the_label_is_large_visible_and_shows_the_persona_disclosure(
    browser: Browser, server: str, width: int, height: int
) -> None:
    page = open_overlay(browser, f"{server}/overlay/room-1", width, height)
    try:
        shown = page.evaluate(MEASURE)
        assert "AI" in shown["text"]
        assert "生成" in shown["text"] or "合成" in shown["text"]
        shorter = min(width, height)
        assert shown["textHeight"] >= 0.05 * shorter, shown  # the rule: ≥ 5% of the shorter side
        assert shown["fontSize"] >= 0.05 * shorter, shown
        assert shown["opacity"] == 1
        assert shown["visibility"] == "visible"
        assert shown["left"] >= 0
        assert shown["top"] >= 0
        assert shown["right"] <= width
        assert shown["bottom"] <= height
        assert page.locator("#aigc-label").is_visible()
        assert shown["background"] == ["rgba(0, 0, 0, 0)", "rgba(0, 0, 0, 0)"]  # OBS sees video
        assert page.locator("#aigc-disclosure").inner_text() == XIAOMEI.disclosure
        assert page.locator("#aigc-persona").inner_text() == XIAOMEI.display_name
        assert page.locator("#aigc-disclosure").is_visible()
    finally:
        page.close()


@pytest.mark.parametrize("room", ["no-such-room", "broken"])
def test_without_a_known_persona_the_label_stands_alone(
    browser: Browser, server: str, room: str
) -> None:
    page = open_overlay(browser, f"{server}/overlay/{room}", 1280, 720)
    try:
        assert page.locator("#aigc-label").inner_text() == "AI生成主播"
        assert page.locator("#aigc-label").is_visible()
        assert not page.locator("#aigc-disclosure").is_visible()
        page.wait_for_timeout(500)  # a few refreshes later (a failing one included) it remains
        assert page.locator("#aigc-label").is_visible()
        assert page.evaluate(MEASURE)["textHeight"] >= 0.05 * 720
    finally:
        page.close()


def test_a_persona_switch_reaches_the_page_without_a_reload(
    browser: Browser, server: str, rooms: dict[str, OverlayPersona]
) -> None:
    page = open_overlay(browser, f"{server}/overlay/room-2", 1280, 720)
    try:
        assert not page.locator("#aigc-disclosure").is_visible()
        rooms["room-2"] = AZHE
        page.wait_for_function(
            "() => document.getElementById('aigc-disclosure').textContent.includes('AI合成')",
            timeout=5000,
        )
        assert page.locator("#aigc-persona").inner_text() == "阿哲"
        assert page.locator("#aigc-label").inner_text() == "AI生成主播"
    finally:
        rooms.pop("room-2", None)
        page.close()


def test_state_is_json_and_the_page_escapes_persona_text(server: str) -> None:
    state = httpx.get(f"{server}/overlay/room-1/state")
    assert state.headers["cache-control"] == "no-store"
    assert state.json() == {
        "room": "room-1",
        "label": "AI生成主播",
        "label_en": "AI-generated host",
        "persona_id": "p-xiaomei",
        "persona_name": "小美 Xiaomei",
        "disclosure": XIAOMEI.disclosure,
    }
    assert httpx.get(f"{server}/overlay/none/state").json()["disclosure"] is None
    page = httpx.get(f"{server}/overlay/sneaky")
    assert page.headers["content-type"].startswith("text/html")
    assert "<script>alert(1)" not in page.text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;AI合成" in page.text
    assert "<link" not in page.text  # self-contained: nothing to fetch but the state
    assert "src=" not in page.text
