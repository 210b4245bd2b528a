"""``livelens crm …``: JSON out on good input, one clear line and exit 1 on bad input."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from crm_data import day

from livelens.cli import cli
from livelens.crm.segments import SEGMENTS
from livelens.crm.transactions import Transactions
from livelens.governance.audit import AuditLog
from livelens.store.duckdb import DuckDBStore

FILE_FLAGS = ["--customer-col", "customer", "--date-col", "date", "--amount-col", "amount"]


def _invoke(*args: str) -> Result:
    return CliRunner().invoke(cli, ["crm", *args])


def _json(result: Result) -> dict[str, Any]:
    assert result.exit_code == 0, result.output
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


@pytest.fixture
def cdnow_csv(cdnow: Transactions, tmp_path: Path) -> Path:
    path = tmp_path / "cdnow.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["customer", "date", "amount"])
        for row in cdnow.table.to_pylist():
            writer.writerow([row["customer_id"], row["day"].isoformat(), f"{row['amount']:.2f}"])
    return path


@pytest.fixture
def store_file(order_store: Callable[..., Path]) -> Path:
    orders = [(f"v_{n}", day(k - 3 * n), 500 * (n + 1)) for n in range(8) for k in range(n + 1)]
    extra = [("viewer.join", {"viewer_id": "v_7", "ts": day(0).isoformat()})]
    extra += [
        ("viewer.leave", {"viewer_id": "v_7", "ts": (day(0) + timedelta(minutes=30)).isoformat()})
    ]
    extra += [("comment", {"viewer_id": f"v_{n}", "ts": day(0).isoformat()}) for n in range(4)]
    return order_store(orders, extra=extra)


def test_rfm_from_a_file(cdnow_csv: Path) -> None:
    payload = _json(
        _invoke("rfm", "--transactions", str(cdnow_csv), *FILE_FLAGS, "--as-of", "1997-09-30",
                "--keep-zero-amounts")
    )  # fmt: skip
    assert payload["customers"] == 2357
    assert list(payload["segments"]) == list(SEGMENTS)
    assert sum(payload["segments"].values()) == 2357
    assert payload["after_as_of"] > 0
    first = payload["results"][0]
    assert set(first) == {"customer_id", "recency_days", "frequency", "monetary", "r", "f", "m",
                          "segment"}  # fmt: skip


def test_rfm_from_the_store_adds_engagement(store_file: Path) -> None:
    payload = _json(_invoke("rfm", "--db", str(store_file), "--as-of", "2026-11-20"))
    assert payload["customers"] == 8
    by_id = {row["customer_id"]: row for row in payload["results"]}
    assert by_id["v_7"]["sessions"] == 1
    assert by_id["v_7"]["watch_minutes"] == 30.0
    assert by_id["v_0"]["comments"] == 1
    assert all(1 <= row["e"] <= 5 for row in payload["results"])


def test_clv_from_a_file_reproduces_cdnow(cdnow_csv: Path) -> None:
    payload = _json(
        _invoke("clv", "--transactions", str(cdnow_csv), *FILE_FLAGS, "--as-of", "1997-09-30",
                "--time-unit", "week", "--horizon", "39", "--keep-zero-amounts")
    )  # fmt: skip
    assert set(payload["bgnbd"]) == {"r", "alpha", "a", "b"}
    assert set(payload["gamma_gamma"]) == {"p", "q", "v"}
    assert payload["bgnbd"]["r"] == pytest.approx(0.243, rel=0.01)
    assert payload["gamma_gamma"]["p"] == pytest.approx(6.25, rel=0.01)
    assert len(payload["results"]) == 2357
    assert all(row["clv"] >= 0 for row in payload["results"])


def test_migrate_and_holdout_from_a_file(cdnow_csv: Path) -> None:
    common = ["--transactions", str(cdnow_csv), *FILE_FLAGS, "--keep-zero-amounts"]
    moved = _json(_invoke("migrate", *common, "--from", "1997-02-15", "--to", "1997-12-31"))
    assert moved["stayed"] + moved["moved"] == sum(
        n for row in moved["matrix"].values() for n in row.values()
    )
    assert "not_yet_customer" in moved["matrix"]
    holdout = _json(
        _invoke(
            "holdout", *common, "--calibration-end", "1997-09-30", "--holdout-end", "1998-06-30"
        )
    )
    assert [b["frequency"] for b in holdout["buckets"]] == ["0", "1", "2", "3", "4", "5", "6", "7+"]


def test_consent_audience_and_exports(store_file: Path, tmp_path: Path) -> None:
    consent = tmp_path / "consent.csv"
    consent.write_text("viewer_id,scopes\nv_7,marketing;analytics\nv_6,analytics\n", "utf-8")
    imported = _json(_invoke("consent", "--db", str(store_file), "--import", str(consent)))
    assert imported["imported"]["viewers"] == 2
    assert imported["totals"]["marketing"] == 1
    rfm = _json(_invoke("rfm", "--db", str(store_file), "--as-of", "2026-11-20"))
    segment = next(r["segment"] for r in rfm["results"] if r["customer_id"] == "v_7")
    members = [r["customer_id"] for r in rfm["results"] if r["segment"] == segment]
    out = tmp_path / "audience.csv"
    export = _json(
        _invoke("audience", "--db", str(store_file), "--segment", segment, "--purpose",
                "VIP preview", "--by", "ops", "--out", str(out), "--as-of", "2026-11-20")
    )  # fmt: skip
    assert export["exported"] == 1
    assert export["excluded"] == len(members) - 1
    assert out.read_text(encoding="utf-8").splitlines() == ["viewer_id", "v_7"]
    listed = _json(_invoke("exports", "--db", str(store_file)))["exports"]
    assert [(e["purpose"], e["exported_by"], e["exported"]) for e in listed] == [
        ("VIP preview", "ops", 1)
    ]
    with DuckDBStore(store_file) as store:  # and the export is in the audit log
        entries = AuditLog(store).entries()
        assert [(e.actor, e.action, e.subject) for e in entries] == [
            ("ops", "audience.export", segment)
        ]
        assert entries[0].details["exported"] == 1
        assert AuditLog(store).verify().ok


def test_clv_with_only_one_time_buyers_explains_why_it_cannot_fit(tmp_path: Path) -> None:
    path = tmp_path / "once.csv"
    path.write_text("customer,date,amount\na,2026-01-01,5\nb,2026-01-02,7\n", encoding="utf-8")
    result = _invoke("clv", "--transactions", str(path), *FILE_FLAGS, "--as-of", "2026-02-01")
    assert result.exit_code == 1
    assert "no customer has a repeat purchase" in result.stderr


@pytest.mark.parametrize(
    ("body", "args", "message"),
    [
        ("customer,date,amount\na,2026-01-01,5\n", ["--customer-col", "client", "--date-col",
         "date", "--amount-col", "amount"], "no column 'client' for the customer"),
        ("customer,date,amount\na,1/2/2026,5\n", FILE_FLAGS, "the date in 'date' cannot be read"),
        ("customer,date,amount\na,2026-01-01,five\n", FILE_FLAGS, "'five'"),
        ("customer,date,amount\na,2026-01-01,-5\n", [*FILE_FLAGS, "--strict"], "(return)"),
        ("customer,date,amount\na,2026-01-01,5\n", ["--date-col", "date"],
         "--transactions needs --customer-col, --amount-col"),
    ],
)  # fmt: skip
def test_bad_files_give_one_line(tmp_path: Path, body: str, args: list[str], message: str) -> None:
    path = tmp_path / "orders.csv"
    path.write_text(body, encoding="utf-8")
    result = _invoke("rfm", "--transactions", str(path), *args, "--as-of", "2026-02-01")
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stderr.startswith("livelens: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["rfm", "--as-of", "2026-01-01"], "pass exactly one of --transactions FILE or --db STORE"),
        (["audience", "--db", "{db}", "--segment", "vip", "--purpose", "p", "--by", "me",
          "--out", "{tmp}/a.csv", "--as-of", "2026-01-01"], "unknown segment 'vip'"),
        (["migrate", "--db", "{db}", "--from", "2026-02-01", "--to", "2026-01-01"],
         "must be after --from"),
        (["consent", "--db", "{db}", "--import", "{tmp}/bad.csv"], "bad.csv:2: unknown scope"),
        (["rfm", "--db", "{db}", "--as-of", "2026-01-01", "--bins", "1"], "bins must be between"),
        (["rfm", "--db", "{db}", "--as-of", "2026-01-01", "--timezone", "Nowhere"],
         "unknown time zone 'Nowhere'"),
    ],
)  # fmt: skip
def test_bad_arguments_give_one_line(
    store_file: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    (tmp_path / "bad.csv").write_text("viewer_id,scopes\nv_1,telepathy\n", encoding="utf-8")
    filled = [a.format(db=store_file, tmp=tmp_path) for a in args]
    result = _invoke(*filled)
    assert result.exit_code == 1, result.output
    assert message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1


def test_a_missing_store_is_not_created(tmp_path: Path) -> None:
    result = _invoke("rfm", "--db", str(tmp_path / "nope.duckdb"), "--as-of", "2026-01-01")
    assert result.exit_code == 2
    assert "does not exist" in result.stderr
    assert not (tmp_path / "nope.duckdb").exists()
