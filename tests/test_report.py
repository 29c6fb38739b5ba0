"""/report end to end: a subscriber in Auckland checks in for ten days, adds two results in two
units and mentions a red-flag symptom; the PDF that arrives through the fake Bot API is read back
for the values a clinician needs. Then the name choices, refusals, the operators' count, and
/forget (the count and the anonymous red-flag count stay)."""

from __future__ import annotations

import io
import re
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from pypdf import PdfReader
from sqlalchemy import func, select

from bot.domain.progress import EMPTY_TEXT
from bot.storage.models import RedFlagEvent
from bot.telegram.texts import not_enrolled
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually
from tests.test_broadcast_crash import bot_environment
from tests.test_cli_operator import run_cli

ZONE = "Pacific/Auckland"  # UTC+13 in January: local dates run a day ahead of UTC dates
FIRST_LOCAL_DAY = date(2027, 1, 5)  # the fake clock starts at 06:00 UTC on 4 Jan; check-ins begin at 12:00 UTC
FORMULA_NOTE = '=HYPERLINK("https://evil.example","win")'
CHECKINS = [
    (7, 'stiff after sitting, "bad"'), (6, None), (6, None), (5, FORMULA_NOTE), (7, None), (5, None),
    (4, "better after a walk"), (4, None), (3, "@work all day, fine"), (4, None),
]


async def fill_history(bot, user) -> None:
    """Enrol in Auckland, then ten daily check-ins (local days 5-14 Jan), a result in nmol/L dated
    the first day, a red flag on day 5, and a result in ng/mL on the last day."""
    await bot.enrol(user, zone_text=ZONE)
    bot.clock.advance(timedelta(hours=6))
    await user.replies_after(user.command("/level 45 nmol/L 2027-01-05"))
    for index, (score, note) in enumerate(CHECKINS):
        if index:
            bot.clock.advance(timedelta(days=1))
        await user.replies_after(user.command(f"/pain {score}" + (f" {note}" if note else "")))
        if index == 4:
            await user.replies_after(user.send("I have wet myself twice today"))
    await user.replies_after(user.command("/level 31.5 ng/mL"))


def pdf_text(message) -> str:
    assert message.kind == "document" and message.filename.endswith(".pdf")
    assert message.mime_type == "application/pdf"
    reader = PdfReader(io.BytesIO(message.document_bytes))
    assert len(reader.pages) == 1
    return " ".join(reader.pages[0].extract_text().split())


def half_up(scores: list[int]) -> str:
    return str((Decimal(sum(scores)) / len(scores)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


async def reports_counted(bot) -> int:
    operator = bot.user(OPERATOR_ID, "Op")
    [stats] = await operator.replies_after(operator.command("/stats"))
    return int(re.search(r"Reports made \(/report\): (\d+)", stats.text).group(1))


async def test_report_holds_what_a_clinician_needs(bot):
    tess = bot.user(7001, "Tess")
    await fill_history(bot, tess)
    [document] = await tess.replies_after(tess.command("/report"))
    text = pdf_text(document)
    assert "with the name Tess on it" in document.caption and "/report Jane Doe" in document.caption
    assert tess.buttons(document) == ["Make it without my name"]

    assert "Tess" in text
    assert "30-day program started 4 Jan 2027" in text  # she enrolled at 19:00 on 4 Jan, Auckland time
    last_day = FIRST_LOCAL_DAY + timedelta(days=len(CHECKINS) - 1)
    assert f"Made {last_day.day} Jan 2027" in text and ZONE in text
    # Results: as the lab reported them, the ng/mL equivalent, the band.
    assert "5 Jan 2027 45 nmol/L 18 Deficient" in text
    assert f"{last_day.day} Jan 2027 31.5 ng/mL 31.5 Between insufficient and optimal" in text
    # Weekly pain from the program's first day (4 Jan): week 1 is 4-10 Jan, week 2 is 11-17 Jan.
    scores = [score for score, _ in CHECKINS]
    week1, week2 = scores[:6], scores[6:]
    assert f"1 4 Jan – 10 Jan {half_up(week1)} {len(week1)}" in text
    assert f"2 11 Jan – 17 Jan {half_up(week2)} {len(week2)}" in text
    # Notes, newest first, with their day and score; the formula-looking one printed as typed.
    for offset, (score, note) in enumerate(CHECKINS):
        day = FIRST_LOCAL_DAY + timedelta(days=offset)
        if note:
            assert f"{day.day} Jan 2027 {score}/10 {note}" in text
    assert text.index("@work all day") < text.index(FORMULA_NOTE) < text.index("stiff after sitting")
    # The red-flag reply: its date and level and which sign, never her words.
    flag_day = FIRST_LOCAL_DAY + timedelta(days=4)
    assert re.search(rf"{flag_day.day} Jan 2027 — [^—]+ — Loss of bladder or bowel control", text)
    assert "wet myself" not in text
    assert bot.runtime.deps.content.safety.disclaimer.replace("**", "") in text

    # Another name, then none.
    [named] = await tess.replies_after(tess.command("/report Jane D."))
    named_text = pdf_text(named)
    assert "Jane D." in named_text and "Tess" not in named_text
    [unnamed] = await tess.replies_after(tess.press("Make it without my name"))
    unnamed_text = pdf_text(unnamed)
    assert "Jane" not in unnamed_text and "Tess" not in unnamed_text and "31.5 ng/mL" in unnamed_text
    assert "without a name" in unnamed.caption and not tess.buttons(unnamed)
    assert await reports_counted(bot) == 3


async def test_refused_names_make_no_report(bot):
    ann = bot.user(7002, "Ann")
    await bot.enrol(ann)
    await ann.replies_after(ann.command("/pain 5"))
    refusals = {
        "/report 12345": "at least one letter",
        "/report " + "A" * 65: "too long",
        "/report 李小龙": "font has no letters for “李小龙”",
    }
    for command, says in refusals.items():
        [answer] = await ann.replies_after(ann.command(command))
        assert answer.kind == "text" and says in answer.text, answer.text
    assert await reports_counted(bot) == 0
    query = await ann.press_data("report:everyone")  # forged button data: no report

    async def answered():
        return ann.answer_to(query)

    assert "isn't valid" in (await eventually(answered)).text
    # A first name the font cannot print is left off rather than printed as blanks.
    mei = bot.user(7003, "美玲")
    await bot.enrol(mei)
    await mei.replies_after(mei.command("/pain 4"))
    [document] = await mei.replies_after(mei.command("/report"))
    assert "without a name" in document.caption
    assert pdf_text(document).startswith("Vitamin D and back pain: a report for my clinician 30-day program started")
    assert await reports_counted(bot) == 1


async def test_nothing_to_report_and_strangers(bot):
    ben = bot.user(7004, "Ben")
    await bot.enrol(ben)
    [help_text] = await ben.replies_after(ben.command("/help"))
    assert "/report [name] — a one-page PDF for your clinician" in help_text.text
    [answer] = await ben.replies_after(ben.command("/report"))
    assert answer.kind == "text" and answer.text.startswith(EMPTY_TEXT.split("`")[0].strip())
    stranger = bot.user(7005, "Cy")
    [answer] = await stranger.replies_after(stranger.command("/report"))
    assert answer.text == not_enrolled(30)
    assert await reports_counted(bot) == 0


async def test_forget_keeps_only_anonymous_counts(bot, tmp_path):
    tess = bot.user(7001, "Tess")
    await fill_history(bot, tess)
    await tess.replies_after(tess.command("/report"))
    await tess.replies_after(tess.command("/forget"))
    [done] = await tess.replies_after(tess.press("Yes, delete everything"))
    assert "deleted" in done.text

    async def red_flags():
        async with bot.runtime.deps.sessions() as session:
            return (await session.execute(
                select(RedFlagEvent.subscriber_id, func.count()).group_by(RedFlagEvent.subscriber_id)
            )).all()

    assert await eventually(red_flags) == [(None, 1)]  # counted, tied to nobody
    assert await reports_counted(bot) == 1
    [answer] = await tess.replies_after(tess.command("/report"))
    assert answer.text == not_enrolled(30)
    # The operator's shell counts the same.
    env = bot_environment(bot.server, bot.runtime.deps.settings.database_url)
    code, output = await run_cli(env, tmp_path, "stats")
    assert code == 0 and "Reports made (/report): 1" in output, output
