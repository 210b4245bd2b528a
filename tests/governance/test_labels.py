"""The implicit AI label: the AIGC record, its carriers (MP4, HTML, PDF, sidecar), `label` CLI."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import msgspec
import pytest
from click.testing import CliRunner
from weasyprint import HTML

from livelens.cli import cli
from livelens.errors import ConfigurationError, InvalidInput
from livelens.governance.labels import (
    FIELDS,
    AigcRecord,
    build_record,
    check_file,
    encode_record,
    parse_record,
    sidecar_path,
    write_record,
)

PRODUCER = "杭州灵镜科技有限公司"  # a Chinese name: the encoded record must still be ASCII


def make_record(**overrides: str) -> AigcRecord:
    fields = {
        "producer": PRODUCER,
        "produce_id": "rec-20260301-0001",
        "propagator": "抖音 Douyin 😀",  # outside the BMP too: a surrogate pair
        "propagate_id": "room-88-0001",
    }
    return build_record(**(fields | overrides))


def ffprobe_tags(path: Path) -> dict[str, str]:
    done = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "format_tags", "-of", "json", str(path)],
        capture_output=True,
        check=True,
    )
    tags: dict[str, str] = json.loads(done.stdout).get("format", {}).get("tags", {})
    return tags


@pytest.fixture(scope="module")
def video(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A 1-second test-pattern MP4 without any AIGC tag."""
    path = tmp_path_factory.mktemp("video") / "plain.mp4"
    subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-f", "lavfi"),
            *("-i", "testsrc=size=320x240:rate=10", "-t", "1", "-pix_fmt", "yuv420p", str(path)),
        ],
        check=True,
    )
    return path


# --- the record -------------------------------------------------------------------------------


def test_the_record_round_trips_as_ascii_json_in_the_standards_field_order() -> None:
    record = make_record()
    encoded = encode_record(record)
    assert encoded.isascii()
    assert "\\u676d\\u5dde" in encoded  # 杭州, \u-escaped
    assert "\\ud83d\\ude00" in encoded  # 😀 as a UTF-16 surrogate pair, as JSON requires
    assert list(json.loads(encoded)) == list(FIELDS)
    assert json.loads(encoded)["ContentProducer"] == PRODUCER
    assert parse_record(encoded) == record
    assert parse_record(encoded.encode("ascii")) == record


def valid_fields() -> dict[str, object]:
    fields: dict[str, object] = json.loads(encode_record(make_record()))
    return fields


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        (
            {"ContentProducer": None, "ProduceID": None},
            "missing field(s): ContentProducer, ProduceID",
        ),
        ({"Extra": "x"}, "unknown field(s): Extra"),
        ({"Label": 1}, "Label must be a string, got int"),
        ({"Label": "9"}, "Label must be one of 1, 2, 3"),
        ({"Label": "AI"}, "Label must be one of 1, 2, 3"),
        ({"ProduceID": " "}, "ProduceID is empty"),
        ({"ContentProducer": ""}, "ContentProducer is empty"),
        ({"PropagateID": ""}, "both set or both empty"),
    ],
)
def test_invalid_records_are_rejected_with_the_reason(
    changes: dict[str, object], reason: str
) -> None:
    fields = valid_fields() | changes
    text = json.dumps({name: value for name, value in fields.items() if value is not None})
    with pytest.raises(InvalidInput, match="invalid AIGC record") as raised:
        parse_record(text)
    assert reason in str(raised.value)


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("not json", "not JSON"),
        ('["Label"]', "must be a JSON object, got list"),
        (json.dumps({"Label": "1", "ContentProducer": PRODUCER}, ensure_ascii=False), "not ASCII"),
    ],
)
def test_malformed_text_is_rejected_with_the_reason(text: str, reason: str) -> None:
    with pytest.raises(InvalidInput, match=reason):
        parse_record(text)


def test_build_record_refuses_an_unknown_label_and_an_empty_producer() -> None:
    with pytest.raises(InvalidInput) as raised:
        make_record(label="4", producer="")
    assert "Label must be one of 1, 2, 3" in str(raised.value)
    assert "ContentProducer is empty" in str(raised.value)


def test_write_record_refuses_an_invalid_record(tmp_path: Path) -> None:
    src = tmp_path / "a.html"
    src.write_text("<html><head></head></html>")
    bad = msgspec.structs.replace(make_record(), label="AI")
    with pytest.raises(InvalidInput, match="Label must be one of"):
        write_record(src, tmp_path / "b.html", bad)
    assert not (tmp_path / "b.html").exists()


# --- MP4 --------------------------------------------------------------------------------------


def test_mp4_carries_the_record_written_with_use_metadata_tags(video: Path, tmp_path: Path) -> None:
    record = make_record()
    out = write_record(video, tmp_path / "labelled.mp4", record)
    assert ffprobe_tags(out)["AIGC"] == encode_record(record)  # read back by ffprobe itself
    assert out.stat().st_mode == video.stat().st_mode  # the input's permissions, not 0600
    found = check_file(out)
    assert (found.carrier, found.found, found.valid, found.record) == ("mp4", True, True, record)
    assert check_file(video).found is False


def test_without_use_metadata_tags_ffmpeg_drops_the_tag_silently(
    video: Path, tmp_path: Path
) -> None:
    out = tmp_path / "no-flag.mp4"
    done = subprocess.run(
        [
            *("ffmpeg", "-nostdin", "-v", "error", "-i", str(video), "-c", "copy"),
            *("-metadata", f"AIGC={encode_record(make_record())}", str(out)),
        ],
        capture_output=True,
        check=True,
    )
    assert done.stderr == b""  # no warning at all …
    assert "AIGC" not in ffprobe_tags(out)  # … and no tag: the reason for the flag
    found = check_file(out)
    assert (found.found, found.valid) == (False, False)
    assert "use_metadata_tags" in found.problems[0]


def test_relabelling_in_place_keeps_one_record(video: Path, tmp_path: Path) -> None:
    path = write_record(video, tmp_path / "v.mp4", make_record())
    write_record(path, path, make_record(label="2"))
    found = check_file(path)
    assert found.record is not None
    assert found.record.label == "2"
    assert list(tmp_path.iterdir()) == [path]  # no temporary file left behind


def test_a_missing_ffmpeg_says_how_to_install_it(
    video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"install the Debian package ffmpeg \(make setup"):
        check_file(video)
    with pytest.raises(ConfigurationError, match="ffmpeg is not installed"):
        write_record(video, tmp_path / "out.mp4", make_record())


# --- HTML, PDF, sidecar -----------------------------------------------------------------------


def test_html_carries_the_record_in_a_meta_element_in_the_head(tmp_path: Path) -> None:
    src = tmp_path / "report.html"
    src.write_text("<!doctype html><html><head><title>复盘</title></head><body>x</body></html>")
    record = make_record()
    out = write_record(src, tmp_path / "labelled.html", record)
    text = out.read_text(encoding="utf-8")
    head = text.split("</head>")[0]
    assert '<meta name="AIGC" content="{&quot;Label&quot;:&quot;1&quot;' in head
    assert check_file(out).record == record
    write_record(out, out, make_record(label="3"))  # relabelling replaces the element
    assert out.read_text(encoding="utf-8").count('name="AIGC"') == 1
    assert check_file(out).valid


def test_an_invalid_html_record_is_found_but_not_valid(tmp_path: Path) -> None:
    path = tmp_path / "bad.html"
    bad = encode_record(make_record()).replace('"Label":"1"', '"Label":"7"')
    path.write_text(f"<html><head><meta name=AIGC content='{bad}'></head></html>")
    found = check_file(path)
    assert (found.found, found.valid) == (True, False)
    assert found.record is not None
    assert any("Label must be one of" in problem for problem in found.problems)


def pdfinfo(path: Path) -> str:
    done = subprocess.run(["pdfinfo", "-custom", str(path)], capture_output=True, check=True)
    assert done.stderr == b"", done.stderr  # poppler accepts the incremental update silently
    return done.stdout.decode("utf-8")


@pytest.mark.parametrize("uncompressed", [False, True], ids=["xref-stream", "xref-table"])
def test_pdf_carries_the_record_in_the_document_information(
    tmp_path: Path, uncompressed: bool
) -> None:
    src = tmp_path / "report.pdf"
    page = "<html><head><title>直播复盘</title><meta name=author content=livelens></head>"
    HTML(string=page + "<body><p>你好</p></body></html>").write_pdf(
        src, uncompressed_pdf=uncompressed
    )
    assert check_file(src).found is False
    record = make_record()
    out = write_record(src, tmp_path / "labelled.pdf", record)
    assert out.read_bytes().startswith(src.read_bytes())  # an incremental update: appended only
    assert check_file(out).record == record
    info = pdfinfo(out)
    assert f"AIGC:            {encode_record(record)}\n" in info  # poppler reads it back
    assert "Title:           直播复盘" in info  # and the original entries are kept
    assert "Author:          livelens" in info
    write_record(out, out, make_record(label="2"))  # a second update supersedes the first
    assert '"Label":"2"' in pdfinfo(out)
    relabelled = check_file(out).record
    assert relabelled is not None
    assert relabelled.label == "2"


def test_weasyprint_writes_the_record_natively_and_it_reads_back(tmp_path: Path) -> None:
    record = make_record()
    document = HTML(string="<html><head><title>t</title></head><body>x</body></html>").render()
    document.metadata.custom["AIGC"] = encode_record(record)
    path = tmp_path / "native.pdf"
    document.write_pdf(path, custom_metadata=True)
    assert check_file(path).record == record  # from inside a compressed object stream


@pytest.mark.parametrize("suffix", [".csv", ".jsonl", ".json"])
def test_exports_carry_a_sidecar_that_binds_the_record_to_the_bytes(
    tmp_path: Path, suffix: str
) -> None:
    path = tmp_path / f"audience{suffix}"
    path.write_text("viewer_id,segment\nv1,高价值\n", encoding="utf-8")
    assert check_file(path).problems == (f"no sidecar audience{suffix}.aigc.json beside the file",)
    record = make_record()
    write_record(path, path, record)
    sidecar = sidecar_path(path).read_bytes()
    assert sidecar.isascii()
    assert json.loads(sidecar)["AIGC"] == msgspec.to_builtins(record)
    assert check_file(path).valid
    path.write_text("viewer_id,segment\nv1,changed\n", encoding="utf-8")
    changed = check_file(path)
    assert not changed.valid
    assert "changed after it was labelled" in changed.problems[0]


def test_a_damaged_pdf_is_reported_not_raised(tmp_path: Path) -> None:
    path = tmp_path / "broken.pdf"
    path.write_bytes(b"%PDF-1.7\nnot really\n")
    found = check_file(path)
    assert (found.found, found.valid) == (False, False)
    assert "not a readable PDF" in found.problems[0]


# --- the CLI ----------------------------------------------------------------------------------


def test_label_write_then_check_exit_codes(video: Path, tmp_path: Path) -> None:
    runner = CliRunner()
    out = tmp_path / "live.mp4"
    args = ["label", "write", str(video), str(out), "--producer", PRODUCER]
    written = runner.invoke(cli, [*args, "--propagator", "抖音"])
    assert written.exit_code == 0, written.output
    assert written.output == f"wrote {out} (mp4): AIGC valid\n"
    checked = runner.invoke(cli, ["label", "check", str(out)])
    assert checked.exit_code == 0, checked.output
    shown = json.loads(checked.stdout)
    assert list(shown) == ["file", "carrier", "valid", "record", "problems"]
    assert (shown["carrier"], shown["valid"], shown["problems"]) == ("mp4", True, [])
    assert shown["record"]["ContentProducer"] == PRODUCER
    assert shown["record"]["ProduceID"].startswith("sha256-")
    assert shown["record"]["PropagateID"] == shown["record"]["ProduceID"]
    unlabelled = runner.invoke(cli, ["label", "check", str(video)])
    assert unlabelled.exit_code == 1
    assert json.loads(unlabelled.stdout)["valid"] is False


def test_label_check_exits_one_for_an_invalid_record_and_errors_are_one_line(
    tmp_path: Path,
) -> None:
    path = tmp_path / "bad.html"
    path.write_text('<head><meta name="AIGC" content="{}"></head>')
    checked = CliRunner().invoke(cli, ["label", "check", str(path)])
    assert checked.exit_code == 1
    assert json.loads(checked.stdout)["problems"] == ["missing field(s): " + ", ".join(FIELDS)]
    wrong = CliRunner().invoke(
        cli, ["label", "write", str(path), str(tmp_path / "x.pdf"), "--producer", "p"]
    )
    assert wrong.exit_code == 1
    assert "must be the same kind of file" in wrong.output
