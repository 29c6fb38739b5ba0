"""/export's readable files, end to end: checkins.csv and results.csv open in a spreadsheet as
tables (UTF-8 with BOM, one row each, local dates, units, notes), no cell runs as a formula; and
`vitd-bot export <telegram id>` writes the very same files for an operator."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest

from bot.services.export import csv_bytes, formula_safe
from tests.test_broadcast_crash import bot_environment
from tests.test_cli_operator import run_cli
from tests.test_report import CHECKINS, FIRST_LOCAL_DAY, FORMULA_NOTE, ZONE, fill_history

BOM = b"\xef\xbb\xbf"


def table(document) -> list[list[str]]:
    assert document.kind == "document" and document.document_bytes.startswith(BOM)
    rows = list(csv.reader(io.StringIO(document.document_bytes.decode("utf-8-sig"), newline="")))
    assert len({len(row) for row in rows}) == 1, "every row has the header's columns"
    return rows


async def test_checkins_and_results_as_tables(bot, tmp_path):
    tess = bot.user(7001, "Tess")
    await fill_history(bot, tess)
    documents = await tess.replies_after(tess.command("/export"), count=3)
    assert [d.filename for d in documents] == ["checkins.csv", "results.csv", "all-data.csv"]
    checkins, results, everything = (table(d) for d in documents)

    saved = f"saved at (local time, {ZONE})"
    assert checkins[0] == ["date", "program day", "pain (0-10)", "note", saved]
    assert len(checkins) == 1 + len(CHECKINS)
    for offset, ((score, note), row) in enumerate(zip(CHECKINS, checkins[1:])):
        day = FIRST_LOCAL_DAY + timedelta(days=offset)
        assert row[0] == day.isoformat() and row[2] == str(score)
        # Local time: the first check-in was at 12:00 UTC on 4 Jan, 01:00 on 5 Jan in Auckland.
        assert row[4] == f"{day.isoformat()} 01:00"
        if note is None:
            assert row[3] == ""
        elif note[0] in "=+-@":
            assert row[3] == "'" + note  # shown as text, never run as a formula
        else:
            assert row[3] == note
    assert ["'" + FORMULA_NOTE, "'@work all day, fine"] == [r[3] for r in checkins[1:] if r[3].startswith("'")]

    assert results[0] == ["date taken", "value", "unit", "ng/mL", "nmol/L", "band", saved]
    first, latest = results[1:]
    assert first[:3] == ["2027-01-05", "45", "nmol/L"] and float(first[3]) == round(45 / 2.496, 1)
    assert first[4] == "45" and first[5] == "Deficient"
    last_day = FIRST_LOCAL_DAY + timedelta(days=len(CHECKINS) - 1)
    assert latest[:4] == [last_day.isoformat(), "31.5", "ng/mL", "31.5"]
    assert float(latest[4]) == round(31.5 * 2.496, 1) and latest[5] == "Between insufficient and optimal"

    assert everything[0] == ["table", "row_id", "field", "value"]
    notes = [r[3] for r in everything if r[0] == "checkins" and r[2] == "note" and r[3]]
    assert "'" + FORMULA_NOTE in notes and FORMULA_NOTE not in notes
    assert not [r for r in everything if r[3][:1] in ("=", "+", "-", "@", "\t", "\r")]

    # The operator's command line writes the same three files.
    out = tmp_path / "request"
    code, output = await run_cli(bot_environment(bot.server, bot.runtime.deps.settings.database_url), tmp_path,
                                 "export", str(tess.id), "--out", str(out))
    assert code == 0, output
    for document in documents:
        assert (out / document.filename).read_bytes() == document.document_bytes
        assert str(out / document.filename) in output

    code, output = await run_cli(bot_environment(bot.server, bot.runtime.deps.settings.database_url), tmp_path,
                                 "export", "424242")
    assert code == 1 and "Nothing is stored about Telegram user 424242" in output
    assert not (tmp_path / "export-424242").exists()


@pytest.mark.parametrize("cell, shown", [
    ("=1+1", "'=1+1"),
    ('=HYPERLINK("https://evil.example","win")', '\'=HYPERLINK("https://evil.example","win")'),
    ("+41 79 000", "'+41 79 000"),
    ("-2+3", "'-2+3"),
    ("@SUM(A1:A2)", "'@SUM(A1:A2)"),
    ("\t=1", "'\t=1"),
    ("\r=1", "'\r=1"),
    ("stiff = sore", "stiff = sore"),
    ("", ""),
    (None, ""),
    (7, "7"),
    (31.5, "31.5"),
])
def test_formula_safe_cells(cell, shown):
    assert formula_safe(cell) == shown


def test_csv_bytes_open_as_a_table_in_excel():
    data = csv_bytes(["date", "note"], [["2027-01-05", 'a "quoted", two-line\nnote'], ["2027-01-06", "=1+1"]])
    assert data.startswith(BOM) and b"\r\n" in data
    assert list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline=""))) == [
        ["date", "note"], ["2027-01-05", 'a "quoted", two-line\nnote'], ["2027-01-06", "'=1+1"],
    ]
