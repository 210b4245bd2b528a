"""The explicit AI label: ``/overlay/{room}``, a browser source for streaming software (OBS).

The page is self-contained (inline CSS and JS, transparent background) and always shows the label
"AI生成主播" (AI-generated host) at ``6vmin``: 6% of the shorter side of the frame, above the 5% the
labelling rules ask for. Below it come the current persona's display name and disclosure, which
the page refreshes from ``/overlay/{room}/state`` every few seconds. The label is in the HTML the
server sends and no script ever changes it, so it shows with no persona, with a failing state
request, or with scripts off. A browser source cannot send a header, so the overlay's link carries
its token in the query (``/overlay/room-1?token=…``; use a viewer token): the page passes it on to
its state requests.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from string import Template
from typing import Final

import msgspec
from fastapi import APIRouter
from fastapi.responses import HTMLResponse, Response

from livelens.errors import LivelensError

LABEL: Final = "AI生成主播"
LABEL_EN: Final = "AI-generated host"
_NO_STORE: Final = {"Cache-Control": "no-store"}


class OverlayPersona(msgspec.Struct, frozen=True):
    """The persona a room's AI host plays now, as the overlay shows it."""

    persona_id: str
    display_name: str
    disclosure: str  # e.g. "本主播为AI数字人，形象经授权使用"


class OverlayState(msgspec.Struct, frozen=True):
    """What ``/overlay/{room}/state`` answers; the persona fields are null when none is known."""

    room: str
    label: str
    label_en: str
    persona_id: str | None
    persona_name: str | None
    disclosure: str | None


_PAGE: Final = Template("""<!doctype html>
<html lang="zh"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI生成主播 · livelens overlay</title>
<style>
html, body { margin: 0; background: transparent; overflow: hidden; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "PingFang SC",
  "Microsoft YaHei", sans-serif; }
#aigc-overlay { position: fixed; top: 2vmin; left: 2vmin; max-width: 90vw;
  padding: 1.2vmin 2vmin; border-radius: 1.2vmin; background: rgba(0, 0, 0, 0.62);
  color: #fff; text-shadow: 0 0 0.4vmin #000; opacity: 1; }
#aigc-label { font-size: 6vmin; line-height: 1.2; font-weight: 700; white-space: nowrap; }
#aigc-label-en { font-size: 2.6vmin; line-height: 1.3; }
#aigc-persona { font-size: 3.4vmin; line-height: 1.3; margin-top: 0.8vmin; font-weight: 600; }
#aigc-disclosure { font-size: 2.8vmin; line-height: 1.35; }
[hidden] { display: none !important; }
</style></head>
<body>
<div id="aigc-overlay" role="note">
<div id="aigc-label">$label</div>
<div id="aigc-label-en" lang="en">$label_en</div>
<div id="aigc-persona"$hidden>$persona</div>
<div id="aigc-disclosure"$hidden>$disclosure</div>
</div>
<script>
(function () {
  var state = location.pathname.replace(/\\/+$$/, "") + "/state" + location.search;
  function show(id, text) {
    var element = document.getElementById(id);
    element.textContent = text || "";
    element.hidden = !text;
  }
  function refresh() {
    fetch(state, {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (s) {
        if (s) { show("aigc-persona", s.persona_name); show("aigc-disclosure", s.disclosure); }
      })
      .catch(function () {})  // keep what is shown; the label never depends on this request
      .then(function () { setTimeout(refresh, $poll_ms); });
  }
  setTimeout(refresh, $poll_ms);
})();
</script>
</body></html>
""")


def overlay_state(room: str, persona: OverlayPersona | None) -> OverlayState:
    return OverlayState(
        room=room,
        label=LABEL,
        label_en=LABEL_EN,
        persona_id=persona.persona_id if persona else None,
        persona_name=persona.display_name if persona else None,
        disclosure=persona.disclosure if persona else None,
    )


def render_overlay(persona: OverlayPersona | None, *, poll_interval_s: float = 3.0) -> str:
    """The overlay page, showing ``persona`` until its first refresh."""
    return _PAGE.substitute(
        label=LABEL,
        label_en=LABEL_EN,
        persona=html.escape(persona.display_name) if persona else "",
        disclosure=html.escape(persona.disclosure) if persona else "",
        hidden="" if persona else " hidden",
        poll_ms=max(100, round(poll_interval_s * 1000)),
    )


def overlay_routes(
    persona_of: Callable[[str], OverlayPersona | None], *, poll_interval_s: float = 3.0
) -> APIRouter:
    """``GET /overlay/{room}`` (the page) and ``GET /overlay/{room}/state`` (its JSON)."""
    router = APIRouter(include_in_schema=False)

    @router.get("/overlay/{room}")
    def page(room: str) -> Response:
        try:
            persona = persona_of(room)
        except LivelensError:  # the label shows even when the persona cannot be looked up
            persona = None
        body = render_overlay(persona, poll_interval_s=poll_interval_s)
        return HTMLResponse(body, headers=_NO_STORE)

    @router.get("/overlay/{room}/state")
    def state(room: str) -> Response:
        encoded = msgspec.json.encode(overlay_state(room, persona_of(room)))
        return Response(encoded, media_type="application/json", headers=_NO_STORE)

    return router
