"""Playbooks: the starter library loads; a playbook that cannot run is refused, saying where."""

from __future__ import annotations

from pathlib import Path

import pytest

from livelens.errors import InvalidInput
from livelens.knowledge.playbooks import (
    Condition,
    load_playbooks,
    parse_playbooks,
    starter_playbooks,
)
from livelens.knowledge.recommender import holds

GOOD = """
id: test-discount
version: 3
title: {zh: 测试, en: Test}
when:
  - {fact: interaction_peak}
action: {kind: flash_discount, product: hot_product, percent: 10}
"""


def test_the_starter_library() -> None:
    library = starter_playbooks()
    assert {p.id for p in library} >= {
        "peak-flash-discount",
        "pin-hot-product",
        "best-persona-switch",
    }
    assert all(p.version >= 1 and p.when for p in library)
    peak = next(p for p in library if p.id == "peak-flash-discount")
    assert peak.action.kind == "flash_discount"
    assert peak.action.percent is not None
    assert peak.action.percent <= peak.max_discount_percent


def test_a_playbook_file_and_folder(tmp_path: Path) -> None:
    (tmp_path / "a.yaml").write_text(GOOD, encoding="utf-8")
    (playbook,) = load_playbooks([tmp_path])
    assert playbook.key == "test-discount@v3"
    assert playbook.when == [Condition(fact="interaction_peak", op="==", value=True)]
    (tmp_path / "b.yaml").write_text(GOOD, encoding="utf-8")
    with pytest.raises(InvalidInput, match="defined twice"):
        load_playbooks([tmp_path])


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("id: [unclosed", "x.yaml: not valid YAML"),
        (
            GOOD.replace("version: 3", "version: 0"),
            r"x.yaml: Expected `int` >= 1 - at `\$.version`",
        ),
        (GOOD.replace("percent: 10", "percent: 40"), "above its own max_discount_percent"),
        (GOOD.replace(", percent: 10", ""), "flash_discount needs `percent`"),
        (GOOD.replace("flash_discount", "free_money"), r"at `\$.action.kind`"),
        (GOOD.replace("id: test-discount", "id: Bad Id"), r"at `\$.id`"),
        (
            GOOD.replace("  - {fact: interaction_peak}", "  - {fact: x, op: '=~'}"),
            r"\$.when\[0\].op",
        ),
    ],
)
def test_bad_playbooks_name_the_file_and_field(text: str, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        parse_playbooks(text, "x.yaml")


@pytest.mark.parametrize(
    ("condition", "facts", "expected"),
    [
        (Condition(fact="interaction_peak"), {"interaction_peak": True}, True),
        (Condition(fact="interaction_peak"), {"interaction_peak": False}, False),
        (Condition(fact="hot_product.stock", op=">", value=100), {"hot_product.stock": 101}, True),
        (Condition(fact="hot_product.stock", op=">", value=100), {"hot_product.stock": 100}, False),
        (Condition(fact="hot_product.stock", op=">", value=100), {}, False),  # no data: no
        (
            Condition(fact="concern_share.price", op=">=", value=0.25),
            {"concern_share.price": 0.25},
            True,
        ),
        (Condition(fact="persona", op="!=", value="p-a"), {"persona": "p-b"}, True),
        (
            Condition(fact="persona", op=">", value="p-a"),
            {"persona": "p-b"},
            False,
        ),  # no order on names
        (Condition(fact="interaction_peak", op=">", value=0), {"interaction_peak": True}, False),
        (Condition(fact="hot_product", op="==", value="x"), {"hot_product": None}, False),
    ],
)
def test_conditions(condition: Condition, facts: dict[str, object], expected: bool) -> None:
    assert holds(condition, facts) is expected
