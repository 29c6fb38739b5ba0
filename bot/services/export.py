"""A subscriber's data as files a person can open: ``checkins.csv`` and ``results.csv`` (one row
each, local dates, units, notes) and ``all-data.csv`` (everything stored, one line per field).

Spreadsheet-friendly: UTF-8 with a byte order mark (so Excel reads accents and non-Latin names),
and every cell that a spreadsheet would run as a formula is prefixed with an apostrophe (OWASP's
advice for CSV injection). /export and `vitd-bot export` both call ``ExportService.files``."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from bot.domain.levels import classify, ng_to_nmol
from bot.services.context import Deps
from bot.services.tracking import NotEnrolled
from bot.storage.repositories import Subscribers, rows_of_subscriber

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
CHECKINS = "checkins.csv"
RESULTS = "results.csv"
ALL_DATA = "all-data.csv"


@dataclass(frozen=True)
class ExportFile:
    filename: str
    data: bytes


def formula_safe(cell: object) -> str:
    """The cell as text that no spreadsheet evaluates: '=1+1' becomes "'=1+1"."""
    text = "" if cell is None else str(cell)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_bytes(header: list[str], rows: list[list[object]]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows([formula_safe(cell) for cell in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _number(value: float) -> str:
    return f"{value:g}"


class ExportService:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    async def files(self, telegram_user_id: int) -> list[ExportFile]:
        """The three files, in the order they are sent; NotEnrolled if nothing is stored."""
        async with self.deps.sessions() as session:
            subscriber = await Subscribers(session).by_user(telegram_user_id)
            if subscriber is None:
                raise NotEnrolled
            tables = await rows_of_subscriber(session, subscriber.id)
            zone_name = subscriber.timezone
        try:
            zone = ZoneInfo(zone_name)
        except (ZoneInfoNotFoundError, ValueError):  # whatever is stored, the export still works
            zone, zone_name = ZoneInfo("UTC"), "UTC"
        checkins = [
            [c.local_date.isoformat(), c.program_day or "", c.score, c.note or "",
             c.updated_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")]
            for c in sorted(tables["checkins"], key=lambda c: c.local_date)
        ]
        results = [
            [r.taken_on.isoformat(), _number(r.original_value), r.original_unit,
             _number(r.original_value if r.original_unit == "ng/mL" else round(r.value_ng_ml, 1)),
             _number(r.original_value if r.original_unit == "nmol/L" else round(ng_to_nmol(r.value_ng_ml), 1)),
             self._band(r.value_ng_ml),
             r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M")]
            for r in sorted(tables["vitamin_d_results"], key=lambda r: (r.taken_on, r.id))
        ]
        dump = [
            [table, row.id, column.key, _dump_value(getattr(row, column.key))]
            for table, rows in tables.items() for row in rows for column in row.__table__.columns
        ]
        saved = f"saved at (local time, {zone_name})"
        return [
            ExportFile(CHECKINS, csv_bytes(["date", "program day", "pain (0-10)", "note", saved], checkins)),
            ExportFile(RESULTS, csv_bytes(
                ["date taken", "value", "unit", "ng/mL", "nmol/L", "band", saved], results
            )),
            ExportFile(ALL_DATA, csv_bytes(["table", "row_id", "field", "value"], dump)),
        ]

    def _band(self, value_ng_ml: float) -> str:
        try:
            return classify(value_ng_ml, self.deps.content.bands).label
        except ValueError:  # a gap in the content's bands must not stop an export
            return ""


def _dump_value(value: object) -> str:
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)
