"""/stats for operators, over what subscribers really did through the bot: status and program day
(and where people left), check-ins, the pain trend, result bands, unanswered questions, red flags
and broadcasts in flight. On SQLite and PostgreSQL.
"""

from __future__ import annotations

from bot.domain.levels import classify
from tests.conftest import OPERATOR_ID
from tests.test_broadcast import SLUG, seed


async def test_stats_sum_up_what_subscribers_did(bot, server, content):
    sessions = bot.runtime.deps.sessions
    await seed(sessions, server, [50_001, 50_002, 50_003], program_day=2)
    await seed(sessions, server, [50_010], status="paused", program_day=7)
    await seed(sessions, server, [50_020, 50_021], status="stopped", program_day=5)
    await seed(sessions, server, [50_030], blocked=True, program_day=9)
    ann, ben, cat = (bot.user(i) for i in (50_001, 50_002, 50_003))
    for user, text in ((ann, "/pain 6"), (ben, "/pain 3"), (ann, "/level 15 ng/mL"), (ben, "/level 45 ng/mL"),
                       (cat, "what about quantum flux capacitors?"),
                       (cat, "I lost bladder control and my back hurts")):
        await user.replies_after(user.command(text) if text.startswith("/") else user.send(text))
    await bot.runtime.broadcasts.create(content.articles[SLUG], requested_by=None, status="queued")

    operator = bot.user(OPERATOR_ID, "Olga")
    [stats] = await operator.replies_after(operator.command("/stats"))
    text = stats.text

    for part in ("active: 3", "paused: 1", "stopped: 2", "blocked: 1"):
        assert part in text, part
    assert "Active/paused by program day: day 2: 3, day 7: 1" in text
    assert "Left (stopped or blocked) at program day: day 5: 2, day 9: 1" in text
    assert "Check-ins per day (latest 14 days): 2027-01-04: 2" in text
    assert "Average pain, program days 1-7: 4.5; latest 7 days: 4.5" in text
    for value in (15, 45):
        assert f"{classify(value, content.bands).label}: 1" in text
    assert "1× what about quantum flux capacitors?" in text
    assert "(total 1)" in text
    assert f"{SLUG} [queued]: 0/0" in text
