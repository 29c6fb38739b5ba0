"""The report's PDF, read back as a PDF reader would: one A4 page whatever was stored, fonts
embedded, every value where a clinician looks for it; and the page rendered to PNG by poppler."""

from __future__ import annotations

import io
import os
import re
import shutil
import struct
from pathlib import Path

import pytest
from pypdf import PdfReader

from bot.services.report_pdf import render_report_pdf, unprintable
from tests.report.samples import crowded_report, pdf_to_png, sample_report

A4_POINTS = (595.28, 841.89)
MARGIN_POINTS = 13 / 25.4 * 72


def page_of(pdf: bytes):
    reader = PdfReader(io.BytesIO(pdf))
    assert len(reader.pages) == 1
    return reader.pages[0]


def text_of(pdf: bytes) -> str:
    return " ".join(page_of(pdf).extract_text().split())


def placed_lines(pdf: bytes) -> list[tuple[float, str]]:
    """(height from the bottom of the page in points, text) of every piece of text drawn."""
    found = []

    def visit(text, cm, tm, font, size):
        if text.strip():
            found.append((tm[5] * cm[3] + cm[5], text.strip()))

    page_of(pdf).extract_text(visitor_text=visit)
    return found


def embedded_fonts(pdf: bytes) -> list[tuple[str, bool]]:
    fonts = page_of(pdf)["/Resources"]["/Font"]
    result = []
    for ref in fonts.values():
        font = ref.get_object()
        descendant = font["/DescendantFonts"][0].get_object() if "/DescendantFonts" in font else font
        descriptor = descendant["/FontDescriptor"].get_object()
        result.append((str(font["/BaseFont"]), any(k in descriptor for k in ("/FontFile", "/FontFile2", "/FontFile3"))))
    return result


def test_the_sample_report_has_every_part():
    data = sample_report()
    pdf = render_report_pdf(data)
    assert pdf.startswith(b"%PDF-")
    page = page_of(pdf)
    assert [round(float(v), 2) for v in page.mediabox[2:]] == list(A4_POINTS)
    text = text_of(pdf)
    assert data.name in text
    assert "30-day program started 1 Nov 2026; Day 25 of 30 so far" in text
    for result in data.results:
        value = f"{result.value:g} {result.unit}"
        assert value in text and result.band in text
    assert "45 nmol/L 18 Deficient" in text  # the unit the lab used, then its ng/mL equivalent and band
    for week in data.weeks:
        assert f"{week.average:.1f} {week.checkins}" in text
    for note in data.notes:
        assert note.note in text  # a formula-looking note is just text here
    assert "12 Nov 2026 — Seek medical care now — Pain after a fall or injury" in text
    assert data.disclaimer in text
    assert "… and" not in text  # everything fits


def test_fonts_are_embedded_so_any_reader_shows_the_same_letters():
    fonts = embedded_fonts(render_report_pdf(sample_report()))
    assert fonts and all(embedded for _, embedded in fonts), fonts
    assert all("DejaVu" in name for name, _ in fonts)


def test_a_crowded_history_still_fits_one_page():
    data = crowded_report()
    pdf = render_report_pdf(data)
    text = text_of(pdf)
    assert data.name in text
    assert "… and 22 more results in between (see /export)" in text
    assert "… and 45 more weeks in between" in text
    assert "… and 16 more earlier" in text
    shown_notes = len(re.findall(r"note \d+ very long", text))
    assert shown_notes >= 5 and f"… and {len(data.notes) - shown_notes} more earlier notes" in text
    # The baseline (first result, week 1) and the newest are kept.
    assert "1 Nov 2026 20 ng/mL" in text and "15 Oct 2027 49 ng/mL" in text
    assert data.disclaimer in text

    lines = placed_lines(pdf)
    disclaimer = [y for y, t in lines if t in data.disclaimer]
    body = [y for y, t in lines if t not in data.disclaimer]
    assert disclaimer and body
    assert min(disclaimer) >= MARGIN_POINTS - 1  # nothing runs off the foot of the page
    assert min(body) > max(disclaimer) + 8  # and nothing runs into the disclaimer
    assert max(y for y, _ in lines) < A4_POINTS[1] - MARGIN_POINTS


def test_no_name_means_no_name_line():
    with_name, without = text_of(render_report_pdf(sample_report())), text_of(render_report_pdf(sample_report(None)))
    assert sample_report().name in with_name and sample_report().name not in without


def test_what_the_font_cannot_show():
    assert unprintable("Zoë Łukasiewicz-Петрова Ωmega") == ""
    assert unprintable("李小龙 and 李") == "李小龙"


def png_size(png: bytes) -> tuple[int, int]:
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", png[16:24])


def test_rendered_to_png_by_poppler(tmp_path):
    if shutil.which("pdftoppm") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("pdftoppm (poppler-utils) is missing: .ci/run installs it")
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    png = pdf_to_png(render_report_pdf(sample_report()), tmp_path / "report.png").read_bytes()
    width, height = png_size(png)
    assert abs(width - 210 / 25.4 * 110) <= 1 and abs(height - 297 / 25.4 * 110) <= 1  # A4 at 110 dpi
    import numpy  # matplotlib's dependencies
    from PIL import Image

    pixels = numpy.asarray(Image.open(io.BytesIO(png)).convert("RGB")).astype(int)
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    ink = int(((red + green + blue) < 600).sum())
    orange = int(((red > 150) & (green < 110) & (blue < 60)).sum())  # the results' markers
    assert ink > width * height * 0.02 and orange > 50
    # docs/report-example.png is this same sample (regenerate: python -m tests.report.samples).
    docs = Path(__file__).resolve().parents[2] / "docs" / "report-example.png"
    assert png_size(docs.read_bytes()) == (width, height)


def test_characters_without_glyphs_are_left_out_quietly(caplog):
    from dataclasses import replace

    from bot.services.report import NoteRow

    data = sample_report()
    data = replace(data, notes=[NoteRow(data.started_on, 5, "腰痛 stiff today")])
    with caplog.at_level("DEBUG"):
        text = text_of(render_report_pdf(data))
    assert "5/10 stiff today" in text
    assert not [r for r in caplog.records if "腰痛" in r.getMessage()]  # no subscriber text in logs
