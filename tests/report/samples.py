"""A realistic report (and a crowded one) for the PDF tests and for docs/report-example.png.

Regenerate the docs image with:
    .venv/bin/python -m tests.report.samples docs/report-example.png
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot.content.loader import default_content_dir, load_content
from bot.domain.progress import LevelPoint, PainPoint
from bot.domain.report import weekly_rows
from bot.services.progress_data import band_shades
from bot.services.report import NoteRow, RedFlagRow, ReportData, ResultRow, plain_text
from tests.progress.samples import START, realistic_history

NOTES = {
    2: "stiff after sitting at my desk all morning",
    5: "better after a 20 minute walk in the sun",
    9: "slept badly, aching lower back",
    13: "started the posture exercises",
    18: "=HYPERLINK(\"https://example.org\",\"click\") copied from a forum, ignore",
    22: "much easier to get out of bed",
}


def sample_report(name: str | None = "Zoë Łukasiewicz-Петрова") -> ReportData:
    content = load_content(default_content_dir())
    pain, levels = realistic_history()
    levels = [LevelPoint(levels[0].taken_on, 18.0, 45.0, "nmol/L"), levels[1]]
    results = [
        ResultRow(level.taken_on, level.original_value, level.original_unit, level.value_ng_ml,
                  next(b.label for b in content.bands if b.contains(level.value_ng_ml)))
        for level in levels
    ]
    by_day = {p.day: p.score for p in pain}
    notes = [NoteRow(START + timedelta(days=d - 1), by_day[START + timedelta(days=d - 1)], text) for d, text in NOTES.items()
             if START + timedelta(days=d - 1) in by_day]
    return ReportData(
        name=name, made_on=START + timedelta(days=24), zone="Europe/Berlin", started_on=START, completed_on=None,
        program_day=25, program_length=len(content.days), status="active", pain=pain, levels=levels,
        bands=band_shades(content.bands), results=results, weeks=weekly_rows(pain, START, START),
        notes=notes, red_flags=[RedFlagRow(START + timedelta(days=11), "Seek medical care now", "Pain after a fall or injury")],
        disclaimer=plain_text(content.safety.disclaimer),
    )


def crowded_report() -> ReportData:
    """Far more than a page holds: a year of check-ins, every one with a long note, 30 results,
    20 red flags and the longest name allowed."""
    base = sample_report("W" * 64)
    days = [START + timedelta(days=i) for i in range(365)]
    pain = [PainPoint(day, (i * 7) % 11) for i, day in enumerate(days)]
    levels = [LevelPoint(START + timedelta(days=12 * i), 20.0 + i, 20.0 + i, "ng/mL") for i in range(30)]
    return replace(
        base, pain=pain, levels=levels, made_on=days[-1], program_day=30,
        results=[
            ResultRow(lv.taken_on, lv.original_value, "ng/mL", lv.value_ng_ml, "Between insufficient and optimal")
            for lv in levels
        ],
        weeks=weekly_rows(pain, START, START),
        notes=[NoteRow(p.day, p.score, f"note {i} " + "very long words " * 30) for i, p in enumerate(pain)],
        red_flags=[
            RedFlagRow(START + timedelta(days=i), "Seek medical care now", "Loss of bladder or bowel control")
            for i in range(20)
        ],
    )


def pdf_to_png(pdf: bytes, target: Path, dpi: int = 110) -> Path:
    """The first page as PNG through poppler's pdftoppm (as a PDF reader would show it)."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "report.pdf"
        source.write_bytes(pdf)
        stem = target.with_suffix("")
        subprocess.run(["pdftoppm", "-png", "-r", str(dpi), "-singlefile", str(source), str(stem)], check=True)
    return target


if __name__ == "__main__":
    from bot.services.report_pdf import render_report_pdf

    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/report-example.png")
    pdf_to_png(render_report_pdf(sample_report()), out)
    print(f"wrote {out}")
