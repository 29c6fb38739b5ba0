"""Vitamin D units end to end, as a subscriber whose lab prints nmol/L: a value typed without a
unit is never read as ng/mL; the bot asks once (buttons, and how to tell from the lab report),
remembers the answer, names the unit in every reply, in /history and in /export, and a typed
unit changes what it remembers. Day 1 shows both forms."""

from __future__ import annotations

import csv
import io

from sqlalchemy import select

from bot.storage.models import Subscriber, VitaminDResult


async def stored(bot, user_id: int) -> tuple[str | None, list[tuple[float, str, float]]]:
    async with bot.runtime.deps.sessions() as session:
        subscriber = (await session.execute(select(Subscriber).where(Subscriber.telegram_user_id == user_id))).scalar_one()
        results = (await session.execute(select(VitaminDResult).order_by(VitaminDResult.id))).scalars().all()
    return subscriber.level_unit, [(r.original_value, r.original_unit, round(r.value_ng_ml, 3)) for r in results]


async def test_the_unit_is_asked_once_remembered_and_named_everywhere(bot, content):
    user = bot.user(7001, "Noor")
    day1 = await bot.enrol(user)
    assert "/level 24 ng/mL" in day1.text and "/level 60 nmol/L" in day1.text

    # The example: /level 40 is not "40 ng/mL, optimal". The bot asks, and stores nothing yet.
    [question] = await user.replies_after(user.command("/level 40"))
    assert "ng/mL" in question.text and "nmol/L" in question.text and "lab report" in question.text
    assert user.buttons(question) == ["40 ng/mL", "40 nmol/L"]
    assert await stored(bot, user.id) == (None, [])

    [answer] = await user.replies_after(user.press("40 nmol/L"))
    assert answer.text.startswith("Saved: vitamin D 40 nmol/L (= 16.0 ng/mL)")
    assert "Deficient (25 to under 50 nmol/L, that is 10 to under 20 ng/mL)" in answer.text
    assert "talk to your doctor about this result" in answer.text.lower()
    assert "From now on I'll read results without a unit as nmol/L" in answer.text
    assert await stored(bot, user.id) == ("nmol/L", [(40.0, "nmol/L", 16.026)])

    # Remembered: no question, the same unit, the lab's nmol/L edges (75 and 150 are edges).
    [answer] = await user.replies_after(user.command("/level 75"))
    assert answer.text.startswith("Saved: vitamin D 75 nmol/L")
    assert "Between insufficient and optimal (75 to under 100 nmol/L" in answer.text
    assert "up 35.0 nmol/L since your last result" in answer.text
    assert "From now on" not in answer.text  # nothing changed
    [answer] = await user.replies_after(user.command("/level 120"))
    assert "Optimal for musculoskeletal health (100 to 150 nmol/L" in answer.text
    [answer] = await user.replies_after(user.command("/level 150 nmol/L"))
    assert "Optimal for musculoskeletal health" in answer.text  # not "above optimal" (60.1 ng/mL)

    # Typing the other unit changes what is remembered.
    [answer] = await user.replies_after(user.command("/level 30 ng/mL"))
    assert answer.text.startswith("Saved: vitamin D 30 ng/mL")
    assert "Between insufficient and optimal (30 to under 40 ng/mL)" in answer.text
    assert "At or above the top of the range the article calls insufficient" in answer.text
    assert "From now on I'll read results without a unit as ng/mL" in answer.text
    [answer] = await user.replies_after(user.command("/level 32"))
    assert answer.text.startswith("Saved: vitamin D 32 ng/mL")
    unit, results = await stored(bot, user.id)
    assert unit == "ng/mL" and [r[:2] for r in results] == [
        (40.0, "nmol/L"), (75.0, "nmol/L"), (120.0, "nmol/L"), (150.0, "nmol/L"), (30.0, "ng/mL"), (32.0, "ng/mL"),
    ]

    [history] = await user.replies_after(user.command("/history"))
    for line in ("40 nmol/L", "75 nmol/L", "150 nmol/L", "30 ng/mL", "32 ng/mL"):
        assert line in history.text

    documents = {d.filename: d for d in await user.replies_after(user.command("/export"), count=3)}
    dump = list(csv.reader(io.StringIO(documents["all-data.csv"].document_bytes.decode("utf-8-sig"))))
    assert any(r[0] == "subscribers" and r[2:] == ["level_unit", "ng/mL"] for r in dump)
    assert any(r[2] == "original_unit" and r[3] == "nmol/L" for r in dump)
    results = documents["results.csv"].document_bytes.decode("utf-8-sig")
    assert "nmol/L" in results  # the readable table names the unit the lab used


async def test_someone_not_enrolled_is_told_so_and_a_forged_unit_press_stores_nothing(bot):
    stranger = bot.user(7002, "Ola")
    [answer] = await stranger.replies_after(stranger.command("/level 40"))
    assert "not enrolled" in answer.text.lower() and answer.buttons == []
    await stranger.press_data("lvl:40:2027-01-04:ng")
    answer = await stranger.next_reply()
    assert "not enrolled" in answer.text.lower()
    async with bot.runtime.deps.sessions() as session:
        assert (await session.execute(select(VitaminDResult))).scalars().all() == []


def test_the_chart_speaks_the_subscribers_unit(content):
    from datetime import date

    from bot.domain.progress import LevelPoint
    from bot.services.chart import build_figure, chart_series
    from bot.services.progress_data import band_shades

    levels = [
        LevelPoint(taken_on=date(2027, 1, 4), value_ng_ml=16.026, original_value=40.0, original_unit="nmol/L"),
        LevelPoint(taken_on=date(2027, 1, 20), value_ng_ml=30.0, original_value=30.0, original_unit="ng/mL"),
    ]
    series = chart_series([], levels, "nmol/L")
    assert series.level_values == [40.0, 74.9] and series.level_unit == "nmol/L"
    shades = band_shades(content.bands, "nmol/L")
    assert [(s.lower, s.upper) for s in shades] == [(0, 50), (50, 75), (100, 150)]
    figure = build_figure(series, bands=shades)
    assert figure.axes[1].get_ylabel() == "Vitamin D (nmol/L)"
    assert chart_series([], levels).level_values == [16.026, 30.0]
