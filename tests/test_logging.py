"""Logs carry neither the token nor what subscribers write, in text or JSON format."""

from __future__ import annotations

import io
import json
import logging

import pytest

from bot.logs import setup_logging


@pytest.fixture
def captured_logs(server):
    stream = io.StringIO()
    setup_logging("json", "DEBUG", server.token)
    root = logging.getLogger()
    handler = root.handlers[0]
    handler.setStream(stream)
    yield stream
    root.handlers.clear()
    root.setLevel(logging.WARNING)


async def test_no_token_and_no_message_text_in_the_logs(captured_logs, server, database_url, clock, content, settings_for):
    from tests.e2e import running_bot

    async with running_bot(settings_for(server, database_url), content, clock, server) as bot:
        zoe = bot.user(3001, "Zoe")
        await bot.enrol(zoe)
        await zoe.command("/pain 6 my-private-note-xyz")
        await zoe.next_reply()
        await zoe.send("my-private-question-xyz about mattresses")
        await zoe.next_reply()
        await zoe.send("I lost control of my bladder my-private-flag-xyz")
        await zoe.next_reply()
    text = captured_logs.getvalue()
    assert text, "nothing was logged at all"
    for line in text.splitlines():
        json.loads(line)  # every line is one JSON object
    assert server.token not in text
    assert server.token.split(":")[1] not in text
    assert "xyz" not in text


def test_a_token_that_reaches_a_log_line_is_masked(server):
    stream = io.StringIO()
    setup_logging("text", "INFO", server.token)
    logging.getLogger().handlers[0].setStream(stream)
    logging.getLogger("somewhere").warning("calling https://api.telegram.org/bot%s/getMe", server.token)
    assert server.token not in stream.getvalue() and "<token>" in stream.getvalue()
    logging.getLogger().handlers.clear()
