"""Playbooks: manager-authored rules — conditions over the live facts, an action template.

A playbook is a YAML document (one per file, or a list), versioned by its author::

    id: peak-flash-discount
    version: 2
    title: {zh: 互动高峰限时折扣, en: Flash discount at the interaction peak}
    priority: 90                  # higher wins when several fire in the same minute
    cooldown_minutes: 20          # not again within this many minutes of the same session
    when:                         # every condition must hold (facts: livelens.knowledge.facts)
      - {fact: interaction_peak, op: "==", value: true}
      - {fact: hot_product.stock, op: ">", value: 100}
      - {fact: concern_share.price, op: ">", value: 0.25}
    action:
      kind: flash_discount        # switch_persona, pin_product, flash_discount, coupon_drop,
      product: hot_product        #   lucky_bag, script_cue
      percent: 10
      duration_s: 300
      persona: best_persona       # optional: who presents it (licence-checked)
      script: {zh: …, en: …}      # the cue for the AI host; {product}, {percent}, {persona}

Loading checks everything and names the file and field of each problem; a playbook that cannot
run is refused whole, never half-loaded.
"""

from __future__ import annotations

from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Final, Literal

import msgspec
import yaml  # type: ignore[import-untyped]  # no stubs in the lock; only safe_load is used

from livelens.errors import InvalidInput

ActionKind = Literal[
    "switch_persona", "pin_product", "flash_discount", "coupon_drop", "lucky_bag", "script_cue"
]
Op = Literal["==", "!=", ">", ">=", "<", "<="]
PRODUCT_TARGETS: Final = ("hot_product", "pinned_product")
PERSONA_TARGETS: Final = ("best_persona",)


class Text(msgspec.Struct, kw_only=True, frozen=True):
    zh: str
    en: str


class Condition(msgspec.Struct, kw_only=True, frozen=True):
    fact: Annotated[str, msgspec.Meta(min_length=1)]
    op: Op = "=="
    value: bool | int | float | str = True


class Action(msgspec.Struct, kw_only=True, frozen=True):
    kind: ActionKind
    product: str | None = None  # hot_product, pinned_product or a product id
    persona: str | None = None  # best_persona or a persona id
    percent: Annotated[float, msgspec.Meta(gt=0, lt=100)] | None = None
    duration_s: Annotated[int, msgspec.Meta(gt=0, le=24 * 3600)] = 300
    amount_minor: Annotated[int, msgspec.Meta(gt=0)] | None = None  # a coupon's face value
    script: Text | None = None


class Playbook(msgspec.Struct, kw_only=True, frozen=True):
    id: Annotated[str, msgspec.Meta(pattern=r"^[a-z0-9][a-z0-9-]*$")]
    version: Annotated[int, msgspec.Meta(ge=1)]
    title: Text
    when: Annotated[list[Condition], msgspec.Meta(min_length=1)]
    action: Action
    priority: int = 50
    cooldown_minutes: Annotated[int, msgspec.Meta(ge=0)] = 15
    max_discount_percent: Annotated[float, msgspec.Meta(gt=0, lt=100)] = 30.0
    enabled: bool = True

    @property
    def key(self) -> str:
        return f"{self.id}@v{self.version}"


def _check(playbook: Playbook, where: str) -> None:
    action = playbook.action
    needs = {
        "flash_discount": ("percent", "product"),
        "pin_product": ("product",),
        "switch_persona": ("persona",),
        "coupon_drop": ("amount_minor",),
        "script_cue": ("script",),
    }.get(action.kind, ())
    for name in needs:
        if getattr(action, name) is None:
            msg = f"{where}: playbook {playbook.id!r}: action {action.kind} needs `{name}`"
            raise InvalidInput(msg)
    if action.percent is not None and action.percent > playbook.max_discount_percent:
        msg = (
            f"{where}: playbook {playbook.id!r}: discount {action.percent}% is above its own "
            f"max_discount_percent {playbook.max_discount_percent}%"
        )
        raise InvalidInput(msg)


def parse_playbooks(text: str, where: str) -> list[Playbook]:
    """The playbooks in one YAML document (a mapping, or a list of them)."""
    try:
        raw: Any = yaml.safe_load(text)
    except yaml.YAMLError as error:
        msg = f"{where}: not valid YAML: {error}"
        raise InvalidInput(msg) from None
    items = raw if isinstance(raw, list) else [raw]
    playbooks = []
    for n, item in enumerate(items):
        at = where if len(items) == 1 else f"{where}[{n}]"
        try:
            playbook = msgspec.convert(item, Playbook)
        except msgspec.ValidationError as error:
            msg = f"{at}: {error}"
            raise InvalidInput(msg) from None
        _check(playbook, at)
        playbooks.append(playbook)
    return playbooks


def load_playbooks(paths: Iterable[Path]) -> list[Playbook]:
    """Playbooks from YAML files and folders of them (``*.yaml``, ``*.yml``), ids unique."""
    found: list[Playbook] = []
    for path in paths:
        files = sorted([*path.glob("*.yaml"), *path.glob("*.yml")]) if path.is_dir() else [path]
        if not files:
            msg = f"{path}: no playbooks (*.yaml) there"
            raise InvalidInput(msg)
        for file in files:
            found.extend(parse_playbooks(file.read_text(encoding="utf-8"), str(file)))
    seen: dict[str, Playbook] = {}
    for playbook in found:
        if playbook.id in seen:
            msg = f"playbook id {playbook.id!r} is defined twice; give each playbook its own id"
            raise InvalidInput(msg)
        seen[playbook.id] = playbook
    return found


def starter_playbooks() -> list[Playbook]:
    """The library that ships with livelens (src/livelens/knowledge/library)."""
    folder = resources.files("livelens.knowledge") / "library"
    found: list[Playbook] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".yaml"):
            found.extend(
                parse_playbooks(entry.read_text(encoding="utf-8"), f"library/{entry.name}")
            )
    return found
