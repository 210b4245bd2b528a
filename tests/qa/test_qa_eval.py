"""The issue's quality bar on both labelled sets (see docs/qa.md for how they were written).

qa_eval.jsonl (402 questions) is the set the answerer was developed against; qa_blind_eval.jsonl
(121) is a second set by the same author, committed with the answerer. Each test prints its
figures (``pytest -s`` shows them) and asserts: fact accuracy ≥ 98 % of the answerable questions,
every unanswerable one escalated (or not read as a question, so nothing was said), and zero
guardrail violations found by qa_evaluation's own checks (independent of livelens.qa.guardrails).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from qa_evaluation import BLIND, EVAL, Report, eval_catalog, evaluate

from livelens.comments.analyze import CommentAnalyzer
from livelens.qa.answerer import Answerer

MIN_FACT_ACCURACY = 0.98
MIN_ITEMS = {EVAL: 300, BLIND: 100}


@pytest.fixture(scope="module")
def reports(analyzer: CommentAnalyzer) -> dict[Path, Report]:
    return {path: evaluate(path, Answerer(eval_catalog(), analyzer)) for path in (EVAL, BLIND)}


@pytest.mark.parametrize("path", [EVAL, BLIND], ids=["main", "second"])
def test_labelled_set_meets_the_bar(reports: dict[Path, Report], path: Path) -> None:
    report = reports[path]
    print(f"\n{path.name}: {json.dumps(report.summary(), ensure_ascii=False)}")
    print(f"  answerable correct {report.answerable_correct}/{report.answerable}")
    print(f"  unanswerable escalated {report.refused}/{report.refusable}")
    assert report.items >= MIN_ITEMS[path]
    assert report.fact_accuracy >= MIN_FACT_ACCURACY, "\n".join(report.failures)
    assert report.refused == report.refusable, "\n".join(report.failures)
    assert report.violations == []
