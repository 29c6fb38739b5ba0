"""The report's one A4 page, drawn with fpdf2.

DejaVu Sans (shipped inside matplotlib) is embedded, so every PDF reader shows the same glyphs and
Cyrillic, Greek or accented names print. Page breaks are off: every list is cut to what the space
left on the page holds, with "… and N more", so the report is one page whatever was stored."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from functools import cache
from pathlib import Path
from typing import cast

import matplotlib
from fpdf import FPDF

from bot.domain.levels import short_date
from bot.domain.report import keep_first_and_last, more_text, newest
from bot.services.chart import render_progress_chart
from bot.services.report import ReportData

FONT_DIR = Path(matplotlib.get_data_path()) / "fonts" / "ttf"
FONT = "DejaVu"
PAGE_W, PAGE_H = 210.0, 297.0
MARGIN = 13.0
WIDTH = PAGE_W - 2 * MARGIN
ROW = 4.6  # table and list line height, mm
CHART_PX = (1500, 640)
INK, MUTED, RULE, HEAD_FILL = (25, 25, 25), (95, 95, 95), (190, 190, 190), (236, 240, 245)
MAX_RESULTS = 8
MAX_WEEKS = 8
MAX_RED_FLAGS = 4


@cache
def _font_characters() -> frozenset[int]:
    from fontTools.ttLib import TTFont  # fpdf2 depends on fontTools

    with TTFont(str(FONT_DIR / "DejaVuSans.ttf"), lazy=True) as font:
        return frozenset(font.getBestCmap())


def unprintable(text: str) -> str:
    """The characters of ``text`` the report's font has no glyph for (fpdf2 would drop them),
    e.g. Chinese or emoji; each once, in order."""
    missing = dict.fromkeys(ch for ch in text if not ch.isspace() and ord(ch) not in _font_characters())
    return "".join(missing)


def render_report_pdf(data: ReportData) -> bytes:
    pdf = _new_pdf(data)
    _header(pdf, data)
    _chart(pdf, data)
    _tables(pdf, data)
    below_tables = pdf.get_y()
    disclaimer_top = _disclaimer(pdf, data.disclaimer)
    pdf.set_y(below_tables)
    _notes_and_flags(pdf, data, disclaimer_top - 3)
    return bytes(pdf.output())


def _new_pdf(data: ReportData) -> FPDF:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(False)
    pdf.set_margins(MARGIN, MARGIN, MARGIN)
    pdf.add_font(FONT, "", str(FONT_DIR / "DejaVuSans.ttf"))
    pdf.add_font(FONT, "B", str(FONT_DIR / "DejaVuSans-Bold.ttf"))
    pdf.add_font(FONT, "I", str(FONT_DIR / "DejaVuSans-Oblique.ttf"))
    pdf.set_title("Vitamin D and back pain report")
    if data.name:
        pdf.set_author(data.name)
    pdf.set_creator("vitd-bot")
    # The day it was made, not the wall clock: the same data gives the same file.
    pdf.set_creation_date(datetime.combine(data.made_on, time(), tzinfo=UTC))
    pdf.add_page()
    pdf.set_text_color(*INK)
    return pdf


def _day(day: date) -> str:
    return short_date(day, with_year=True)


def _number(value: float) -> str:
    text = f"{value:.1f}"
    return text[:-2] if text.endswith(".0") else text


def _program_line(data: ReportData) -> str:
    if data.started_on is None:
        return "Program: not started"
    text = f"{data.program_length}-day program started {_day(data.started_on)}"
    if data.completed_on is not None:
        return f"{text}, completed {_day(data.completed_on)}"
    text += f"; Day {data.program_day} of {data.program_length}"
    if data.program_day < data.program_length:
        text += " so far"
    return text + {"paused": " (paused)", "stopped": " (stopped)"}.get(data.status, "")


def _header(pdf: FPDF, data: ReportData) -> None:
    pdf.set_font(FONT, "B", 15)
    pdf.cell(WIDTH, 8, "Vitamin D and back pain: a report for my clinician", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, "B", 11)
    if data.name:
        _fit(pdf, WIDTH, 6, data.name)
        pdf.ln(6)
    pdf.set_font(FONT, "", 9)
    pdf.cell(WIDTH, ROW, _program_line(data), new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(*MUTED)
    pdf.cell(
        WIDTH, ROW,
        f"Made {_day(data.made_on)}. Dates are local ({data.zone}). Pain is self-reported, 0 (none) to 10 (worst).",
        new_x="LMARGIN", new_y="NEXT",
    )
    pdf.set_text_color(*INK)
    pdf.ln(1)


def _chart(pdf: FPDF, data: ReportData) -> None:
    width_px, height_px = CHART_PX
    png = render_progress_chart(data.pain, data.levels, width_px=width_px, height_px=height_px, dpi=150, bands=data.bands)
    height = WIDTH * height_px / width_px
    pdf.image(io.BytesIO(png), x=MARGIN, y=pdf.get_y(), w=WIDTH, h=height)
    pdf.set_y(pdf.get_y() + height + 2)


def _tables(pdf: FPDF, data: ReportData) -> None:
    top = pdf.get_y()
    gap = 5.0
    left_w = 112.0
    right_w = WIDTH - left_w - gap
    left_end = _results_table(pdf, data, MARGIN, top, left_w)
    right_end = _weeks_table(pdf, data, MARGIN + left_w + gap, top, right_w)
    pdf.set_xy(MARGIN, max(left_end, right_end) + 2)


def _heading(pdf: FPDF, x: float, y: float, width: float, text: str) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "B", 10)
    pdf.cell(width, 6, text)
    return y + 6


def _table(pdf: FPDF, x: float, y: float, widths: Sequence[float], header: Sequence[str], rows, aligns) -> float:
    pdf.set_draw_color(*RULE)
    pdf.set_fill_color(*HEAD_FILL)
    pdf.set_font(FONT, "B", 8)
    pdf.set_xy(x, y)
    for width, text, align in zip(widths, header, aligns):
        _fit(pdf, width, ROW + 0.4, text, align=align, fill=True)
    y += ROW + 0.4
    pdf.set_font(FONT, "", 8)
    for row in rows:
        pdf.set_xy(x, y)
        if isinstance(row, str):  # a "… and N more" line across the table
            pdf.set_text_color(*MUTED)
            _fit(pdf, sum(widths), ROW, row)
            pdf.set_text_color(*INK)
        else:
            for width, text, align in zip(widths, row, aligns):
                _fit(pdf, width, ROW, text, align=align)
        y += ROW
        pdf.line(x, y, x + sum(widths), y)
    return y


def _results_table(pdf: FPDF, data: ReportData, x: float, y: float, width: float) -> float:
    y = _heading(pdf, x, y, width, "Vitamin D results (25-hydroxyvitamin D)")
    if not data.results:
        return _note_line(pdf, x, y, width, "No result recorded yet.")
    first, latest, hidden = keep_first_and_last(data.results, MAX_RESULTS)
    rows: list = [
        (_day(r.taken_on), f"{_number(r.value)} {r.unit}", _number(r.value_ng_ml), r.band) for r in first
    ]
    if hidden:
        rows.append(more_text(hidden, "results in between (see /export)"))
    rows += [(_day(r.taken_on), f"{_number(r.value)} {r.unit}", _number(r.value_ng_ml), r.band) for r in latest]
    widths = (21.0, 24.0, 14.0, width - 59.0)
    end = _table(pdf, x, y, widths, ("Date", "As reported", "ng/mL", "Band"), rows, ("L", "R", "R", "L"))
    return _note_line(pdf, x, end, width, "1 ng/mL = 2.496 nmol/L.", muted=True)


def _weeks_table(pdf: FPDF, data: ReportData, x: float, y: float, width: float) -> float:
    y = _heading(pdf, x, y, width, "Weekly back pain (0-10)")
    if not data.weeks:
        return _note_line(pdf, x, y, width, "No check-in recorded yet.")
    first, latest, hidden = keep_first_and_last(data.weeks, MAX_WEEKS)

    def cells(week) -> tuple[str, ...]:
        other_year = week.end.year != data.made_on.year
        dates = f"{short_date(week.start, with_year=other_year)} – {short_date(week.end, with_year=other_year)}"
        average = "–" if week.average is None else f"{week.average:.1f}"
        return (str(week.number), dates, average, str(week.checkins))

    rows: list = [cells(w) for w in first]
    if hidden:
        rows.append(more_text(hidden, "weeks in between"))
    rows += [cells(w) for w in latest]
    widths = (11.0, width - 11.0 - 15.0 - 16.0, 15.0, 16.0)
    return _table(pdf, x, y, widths, ("Week", "Dates", "Average", "Check-ins"), rows, ("C", "L", "R", "R"))


def _note_line(pdf: FPDF, x: float, y: float, width: float, text: str, muted: bool = False) -> float:
    pdf.set_xy(x, y)
    pdf.set_font(FONT, "I" if muted else "", 8)
    pdf.set_text_color(*(MUTED if muted else INK))
    _fit(pdf, width, ROW, text)
    pdf.set_text_color(*INK)
    return y + ROW


def _disclaimer(pdf: FPDF, text: str) -> float:
    """Drawn at the foot of the page; returns where it starts."""
    pdf.set_font(FONT, "I", 7.5)
    line = 3.6
    lines = cast(list[str], pdf.multi_cell(WIDTH, line, text, dry_run=True, output="LINES"))
    top = PAGE_H - MARGIN - len(lines) * line
    pdf.set_draw_color(*RULE)
    pdf.line(MARGIN, top - 1.5, MARGIN + WIDTH, top - 1.5)
    pdf.set_xy(MARGIN, top)
    pdf.set_text_color(*MUTED)
    pdf.multi_cell(WIDTH, line, text)
    pdf.set_text_color(*INK)
    return top - 1.5


def _notes_and_flags(pdf: FPDF, data: ReportData, bottom: float) -> None:
    flags, hidden_flags = newest(data.red_flags, MAX_RED_FLAGS)
    flag_lines = max(len(flags), 1) + (1 if hidden_flags else 0)
    flags_height = 6 + flag_lines * ROW + 2
    y = _heading(pdf, MARGIN, pdf.get_y(), WIDTH, "Notes written with check-ins (newest first)")
    room = int((bottom - flags_height - y) // ROW)
    if not data.notes:
        y = _note_line(pdf, MARGIN, y, WIDTH, "No notes.")
    else:
        shown, hidden = newest(data.notes, room if len(data.notes) <= room else room - 1)
        pdf.set_font(FONT, "", 8)
        for note in shown:
            pdf.set_xy(MARGIN, y)
            pdf.set_font(FONT, "B", 8)
            pdf.cell(33, ROW, f"{_day(note.day)}  {note.score}/10")
            pdf.set_font(FONT, "", 8)
            _fit(pdf, WIDTH - 33, ROW, note.note, shrink=False)
            y += ROW
        if hidden:
            y = _note_line(pdf, MARGIN, y, WIDTH, more_text(hidden, "earlier notes (all are in /export)"), muted=True)
    y = _heading(pdf, MARGIN, y + 2, WIDTH, "Safety replies the bot sent (red-flag symptoms mentioned)")
    if not flags:
        _note_line(pdf, MARGIN, y, WIDTH, "None.")
        return
    for flag in flags:
        y = _note_line(pdf, MARGIN, y, WIDTH, f"{_day(flag.day)} — {flag.level} — {flag.sign}")
    if hidden_flags:
        _note_line(pdf, MARGIN, y, WIDTH, more_text(hidden_flags, "earlier"), muted=True)


def _fit(pdf: FPDF, width: float, height: float, text: str, *, align: str = "L", fill: bool = False, shrink: bool = True) -> None:
    """One cell on one line: a long text gets a smaller font (down to 6.5 pt), then an ellipsis.
    Characters the font has no glyph for are left out here, so fpdf2 never logs them (they may
    come from a subscriber's note)."""
    text = text.translate({ord(ch): None for ch in unprintable(text)})
    size = pdf.font_size_pt
    padding = 2 * pdf.c_margin
    if shrink:
        while pdf.get_string_width(text) > width - padding and pdf.font_size_pt > 6.5:
            pdf.set_font_size(pdf.font_size_pt - 0.5)
    if pdf.get_string_width(text) > width - padding:
        while text and pdf.get_string_width(text + "…") > width - padding:
            text = text[:-1]
        text = text.rstrip() + "…"
    pdf.cell(width, height, text, align=align, fill=fill)
    pdf.set_font_size(size)
