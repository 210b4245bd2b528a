"""``livelens qa answer``: stock.set lines are events of the model, decoded like the others."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from qa_evaluation import CATALOG, T0_MS

from livelens.cli import EXIT_QUARANTINED, cli


def _answer(tmp_path: Path, lines: list[dict[str, Any]]) -> Any:
    path = tmp_path / "comments.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return CliRunner().invoke(cli, ["qa", "answer", "--catalog", str(CATALOG), "--in", str(path)])


def test_stock_set_lines_change_the_stock_the_answers_state(tmp_path: Path) -> None:
    result = _answer(
        tmp_path,
        [
            {"type": "host.product_pin", "product_id": "sku-hoodie", "ts": T0_MS},
            {"text": "有货吗", "ts": T0_MS + 10_000, "viewer_id": "v1"},
            {"type": "stock.set", "product_id": "sku-hoodie", "stock": 0, "ts": T0_MS + 20_000},
            {"text": "还有货吗", "ts": T0_MS + 30_000, "viewer_id": "v2"},
            {"type": "stock.set", "product_id": "sku-hoodie", "stock": 37},  # ts: the line before
            {"text": "有货吗", "ts": T0_MS + 40_000, "viewer_id": "v3"},
        ],
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["facts"].get("stock") for r in records] == ["1500", None, "37"]
    assert "卖完了" in records[1]["answer"]
    assert [r["catalog_version"] for r in records] == [2, 3, 4]


def test_a_stock_set_for_a_product_outside_the_catalog_is_rejected(tmp_path: Path) -> None:
    result = _answer(tmp_path, [{"type": "stock.set", "product_id": "sku-x", "stock": 3, "ts": 1}])
    assert result.exit_code == EXIT_QUARANTINED
    assert "rejected" in result.stderr
    assert "comments.jsonl:1: unknown_product: stock.set names product 'sku-x'" in result.stderr


@pytest.mark.parametrize(
    ("line", "error"),
    [
        ({"stock": -1}, "out_of_range: Expected `int` >= 0 - at `$.stock`"),
        ({"stock": 10**10}, "out_of_range: Expected `int` <= 1000000000 - at `$.stock`"),
        ({"stock": "many"}, "wrong_type: Expected `int`, got `str` - at `$.stock`"),
        ({"stock": None}, "missing_field: Object missing required field `stock`"),
    ],
)
def test_a_bad_stock_set_line_is_an_error_naming_its_line(
    tmp_path: Path, line: dict[str, Any], error: str
) -> None:
    stock = {"type": "stock.set", "product_id": "sku-hoodie", "stock": 5, **line}
    bad = {k: v for k, v in stock.items() if v is not None}
    result = _answer(tmp_path, [{"text": "有货吗", "ts": T0_MS}, bad])
    assert result.exit_code == 1
    assert f"livelens: error: {tmp_path / 'comments.jsonl'}:2: {error}" in result.stderr
