"""The Q&A evaluation: the labelled live questions of qa_eval.jsonl against the fixed test catalog.

Used by test_qa_eval.py (which asserts the figures) and by bench/bench_qa.py (question texts).
The guardrail checks here are independent of livelens.qa.guardrails: numbers are checked against
every number written anywhere in catalog.json, room.json and the eval state (prices formatted
here), banned terms against the issue's list, personal data against the question's own digits.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Final

from livelens.events.codec import convert_event
from livelens.qa.answerer import Answerer
from livelens.qa.catalog_files import load_catalog
from livelens.qa.knowledge import Catalog
from livelens.qa.records import Draft

HERE: Final = Path(__file__).resolve().parent
CATALOG: Final = HERE / "catalog.json"
ROOM: Final = HERE / "room.json"
STATE: Final = HERE / "qa_eval_state.jsonl"
EVAL: Final = HERE / "qa_eval.jsonl"
BLIND: Final = HERE / "qa_blind_eval.jsonl"
T0_MS: Final = 1_800_000_000_000
ASKED_AT_MS: Final = T0_MS + 60_000  # every question is asked one minute after the state events

# The banned terms (广告法 absolutes and medical claims), checked as plain substrings.
BANNED: Final = ("最", "第一", "国家级", "顶级", "极品", "万能", "治疗", "治愈", "药效", "根治")
_NUMBER: Final = re.compile(r"\d+(?:\.\d+)?")
_LONG_DIGITS: Final = re.compile(r"\d{5,}")


def load_items(path: Path = EVAL) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]


def eval_catalog() -> Catalog:
    catalog = load_catalog(CATALOG, ROOM)
    for line in STATE.read_text(encoding="utf-8").splitlines():
        catalog.apply(convert_event(json.loads(line)))
    return catalog


def _canonical(number: str) -> str:
    return format(Decimal(number).normalize(), "f")


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in (*_strings(k), *_strings(v))]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return [str(value)]


def catalog_numbers() -> set[str]:
    """Every number the catalog state can support: written in the files, or derived here."""
    catalog = json.loads(CATALOG.read_text(encoding="utf-8"))
    room = json.loads(ROOM.read_text(encoding="utf-8"))
    state = [json.loads(line) for line in STATE.read_text(encoding="utf-8").splitlines()]
    numbers = {_canonical(n) for s in _strings([catalog, room]) for n in _NUMBER.findall(s)}
    minors = [p[k] for p in catalog["products"] for k in ("list_price_minor",)]
    minors += [e["price_minor"] for e in state if "price_minor" in e]
    for product in catalog["products"]:  # the 20% promo on the nuts, and price differences
        minors.append(product["list_price_minor"] * 8 // 10)
        minors += [
            product["list_price_minor"] - e["price_minor"] for e in state if "price_minor" in e
        ]
    numbers |= {_canonical(str(Decimal(m) / 100)) for m in minors}
    numbers |= {str(i) for i in range(1, 11)}  # minutes left of the 5- and 10-minute promos
    numbers |= {str(i) for i in range(1, len(catalog["products"]) + 1)}  # link numbers
    return numbers


def violations(item: dict[str, Any], draft: Draft | None, allowed: set[str]) -> list[str]:
    """Guardrail violations of one answer, checked independently of the answerer."""
    if draft is None or draft.answer is None:
        return []
    answer = draft.answer
    found = [f"number {n}" for n in _NUMBER.findall(answer) if _canonical(n) not in allowed]
    found += [f"banned {term}" for term in BANNED if term in answer]
    found += [f"echo {d}" for d in _LONG_DIGITS.findall(item["text"]) if d in answer]
    found += ["echo email"] if "@" in answer else []
    return found


@dataclass
class Report:
    items: int = 0
    answerable: int = 0
    answerable_correct: int = 0
    facts_expected: int = 0
    facts_correct: int = 0
    refusable: int = 0
    refused: int = 0
    reason_matches: int = 0
    false_escalations: int = 0
    ignored: int = 0
    violations: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    reason_mismatches: list[str] = field(default_factory=list)
    by_kind: Counter[str] = field(default_factory=Counter)
    by_kind_correct: Counter[str] = field(default_factory=Counter)

    @property
    def fact_accuracy(self) -> float:
        return self.answerable_correct / self.answerable

    @property
    def refusal_rate(self) -> float:
        return self.refused / self.refusable

    def summary(self) -> dict[str, Any]:
        return {
            "items": self.items,
            "answerable": self.answerable,
            "fact_accuracy": round(self.fact_accuracy, 4),
            "facts": f"{self.facts_correct}/{self.facts_expected}",
            "refusable": self.refusable,
            "refused": round(self.refusal_rate, 4),
            "reason_matches": self.reason_matches,
            "false_escalations": self.false_escalations,
            "ignored": self.ignored,
            "violations": len(self.violations),
        }


def _check(item: dict[str, Any], draft: Draft | None, report: Report) -> bool:
    expect = item["expect"]
    if draft is None:  # the comment layer did not read it as a question: nothing was answered
        report.ignored += 1
        if expect["status"] == "answered":
            report.answerable += 1
            report.facts_expected += len(expect["facts"])
        else:
            report.refusable += 1
            report.refused += 1
        return expect["status"] != "answered"
    if expect["status"] != "answered":
        report.refusable += 1
        if draft.status == "answered":
            return False
        report.refused += 1
        matched = (draft.reason or "").startswith(expect["reason"])
        report.reason_matches += matched
        if not matched:
            report.reason_mismatches.append(f"{item['id']} {item['text']}: {draft.reason}")
        return True
    report.answerable += 1
    facts = expect["facts"]
    report.facts_expected += len(facts)
    if draft.status != "answered" or draft.answer is None:
        report.false_escalations += draft.status == "escalated"
        return False
    good = [k for k, v in facts.items() if draft.facts.get(k) == v and v in draft.answer]
    report.facts_correct += len(good)
    contains = all(text in draft.answer for text in expect.get("contains", ()))
    return draft.product_id == expect["product_id"] and len(good) == len(facts) and contains


def evaluate(path: Path = EVAL, answerer: Answerer | None = None) -> Report:
    answerer = answerer or Answerer(eval_catalog())
    allowed = catalog_numbers()
    report = Report()
    for item in load_items(path):
        draft = answerer.draft(item["text"], ASKED_AT_MS, pinned=item["pinned"])
        report.items += 1
        report.by_kind[item["kind"]] += 1
        ok = _check(item, draft, report)
        if ok and item["expect"]["status"] == "answered":
            report.answerable_correct += 1
        report.by_kind_correct[item["kind"]] += ok
        problems = violations(item, draft, allowed)
        report.violations += [f"{item['id']} {item['text']}: {p}" for p in problems]
        if not ok:
            got = (
                None
                if draft is None
                else (draft.status, draft.product_id, draft.reason, draft.answer)
            )
            report.failures.append(
                f"{item['id']} [{item['kind']}] {item['text']!r} pinned={item['pinned']}: "
                f"expected {item['expect']}, got {got}"
            )
    return report


if __name__ == "__main__":
    import sys

    result = evaluate(Path(sys.argv[1]) if len(sys.argv) > 1 else EVAL)
    print(json.dumps(result.summary(), ensure_ascii=False))
    for kind, n in sorted(result.by_kind.items()):
        print(f"  {kind}: {result.by_kind_correct[kind]}/{n}")
    print("\n".join(result.failures))
    print("\n".join(result.violations))
    print("\n".join(result.reason_mismatches))
