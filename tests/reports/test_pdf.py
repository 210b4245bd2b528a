"""The PDF review: real text in Chinese, the CJK font embedded, no missing glyph, a real page.

Checked with poppler's own tools (pdftotext, pdffonts, pdftoppm), as a reader's viewer would see it.
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import matplotlib.image
import pytest
from fontTools.ttLib import TTFont
from report_session import GENERATED_AT, StoredSession

from livelens.reports import write_report
from livelens.store.duckdb import DuckDBStore

CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")


@pytest.fixture(scope="module")
def pdf(stored_session: StoredSession, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf") / "review.pdf"
    with DuckDBStore(stored_session.db) as store:
        return write_report(store, stored_session.session_id, out, generated_at=GENERATED_AT)


def _tool(*args: str) -> str:
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


@pytest.fixture(scope="module")
def text(pdf: Path) -> str:
    return _tool("pdftotext", "-enc", "UTF-8", str(pdf), "-")


def test_text_holds_the_chinese_headings_and_the_insights(
    text: str, stored_session: StoredSession
) -> None:
    flat = re.sub(r"\s+", "", text)  # pdftotext breaks lines where the layout does
    headings = ("直播复盘报告", "核心指标", "转化漏斗", "评论关注点", "洞察与证据")
    for heading in (*headings, "异常告警", "价格与弹性", "需求预测", "建议与结果"):
        assert heading in flat
    for insight in stored_session.analysis.insights:
        assert re.sub(r"\s+", "", insight.text_zh) in flat
    assert "本报告由livelens自动生成(AI-generatedanalysis)" in flat


def _fonts(pdf: Path) -> list[tuple[str, str]]:
    """(name, emb) per font; the type column has spaces, so emb is counted from the right."""
    lines = _tool("pdffonts", str(pdf)).splitlines()[2:]
    return [(line.split()[0], line.split()[-5]) for line in lines if line.strip()]


def test_the_cjk_font_is_embedded_and_every_font_is(pdf: Path) -> None:
    fonts = _fonts(pdf)
    assert any("Noto-Sans-CJK-SC" in name for name, _ in fonts), fonts
    assert all(emb == "yes" for _, emb in fonts), fonts


def _noto_sans_cjk_sc() -> TTFont:
    found = _tool("fc-match", "-f", "%{file}\n%{index}", "Noto Sans CJK SC:style=Regular")
    path, index = found.splitlines()
    assert "NotoSansCJK" in path, f"fc-match found {path}: install fonts-noto-cjk"
    return TTFont(path, fontNumber=int(index), lazy=True)


def test_no_glyph_is_missing(pdf: Path, text: str) -> None:
    """Every character of the PDF's text has a glyph in the font it was set in.

    pdffonts shows which fonts set the text; this asserts that they are all Noto Sans CJK SC
    (regular and bold have the same coverage), so no character fell back to another font.
    pdftotext gives back the characters the PDF draws (from the fonts' ToUnicode maps); each
    must be in the cmap of Noto Sans CJK SC, read with fontTools from the installed font file.
    A character outside the cmap would have been drawn as the .notdef box (tofu), and U+FFFD in
    the extracted text would mean a drawn glyph with no character behind it. The charts hold no
    text objects (their labels are outlines) and are checked by matplotlib's missing-glyph
    warning in test_charts.py.
    """
    assert {name.split("+", 1)[-1] for name, _ in _fonts(pdf)} <= {
        "Noto-Sans-CJK-SC",
        "Noto-Sans-CJK-SC-Bold",
    }
    cmap = _noto_sans_cjk_sc().getBestCmap()
    drawn = {ch for ch in text if not ch.isspace()}
    assert len(CJK.findall(text)) > 500  # the check covers a real amount of Chinese text
    assert "\ufffd" not in drawn
    missing = sorted(ch for ch in drawn if ord(ch) not in cmap)
    assert missing == []


def test_the_first_page_is_not_blank(pdf: Path, tmp_path: Path) -> None:
    subprocess.run(
        ["pdftoppm", "-r", "50", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    (page,) = tmp_path.glob("page*.png")
    pixels = matplotlib.image.imread(page)[..., :3].mean(axis=2)
    height, width = pixels.shape
    assert abs(height - 585) <= 1  # A4 at 50 dpi: 297 mm x 210 mm
    assert abs(width - 414) <= 1
    dark = (pixels < 0.5).mean()
    assert 0.01 < dark < 0.5, f"{dark:.1%} dark pixels"
