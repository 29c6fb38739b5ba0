"""Every message the bot puts in a chat goes through the messenger, so /metrics counts it. After a
subscriber's tour (enrolment and its button edits, /progress's chart, /export's files, /report's
PDF and its button, /forget's question) and an operator's /stats, the send counter has moved by
exactly as many requests as the fake Bot API received: a handler calling the bot directly makes
the two differ."""

from __future__ import annotations

from bot.metrics import REGISTRY
from tests.conftest import OPERATOR_ID
from tests.e2e import eventually

SLOW = 60.0
SENDING = {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup"}


def counted() -> float:
    return sum(
        sample.value
        for metric in REGISTRY.collect() if metric.name == "vitd_messages"
        for sample in metric.samples if sample.name == "vitd_messages_total"
    )


def requested(server) -> int:
    return sum(1 for method, _ in server.requests if method.lower() in SENDING)


async def test_every_send_is_counted(bot):
    before_count, before_requests = counted(), requested(bot.server)
    user = bot.user(4101)
    await bot.enrol(user)
    await user.replies_after(user.command("/pain 6 stiff"))
    # Charts and PDFs take a while on a busy machine: the waits are generous, never slept.
    [photo] = await user.replies_after(user.command("/progress"), timeout=SLOW)
    assert photo.kind == "photo"
    files = await user.replies_after(user.command("/export"), count=3, timeout=SLOW)
    assert {file.kind for file in files} == {"document"}
    [pdf] = await user.replies_after(user.command("/report Jane"), timeout=SLOW)
    assert pdf.kind == "document"
    await user.replies_after(user.press("Make it without my name"), timeout=SLOW)
    await user.replies_after(user.command("/forget"))
    await user.replies_after(user.press("No, keep it"))
    operator = bot.user(OPERATOR_ID)
    await operator.replies_after(operator.command("/stats"))
    sends = requested(bot.server) - before_requests
    assert sends > 15
    # The counter moves when Telegram's answer is back, a moment after the fake has recorded it.
    async def all_counted() -> bool:
        return counted() - before_count == sends

    assert await eventually(all_counted, timeout=SLOW), (counted() - before_count, sends)
