"""Articles worth sending, end to end: an article with neither body nor url is refused with the
reason (the shipped samples are such teasers); one with a url is previewed exactly as sent, with
its "Read the article" button, and its title is never cut."""

from __future__ import annotations

from tests.conftest import OPERATOR_ID
from tests.e2e import running_bot
from tests.test_broadcast import seed


async def test_a_teaser_without_body_or_url_is_refused_with_the_reason(bot):
    operator = bot.user(OPERATOR_ID, "Olga")
    [answer] = await operator.replies_after(operator.command("/broadcast burning-feet-at-night"))
    assert answer.text.startswith("Not sent:")
    assert "neither a body nor a url" in answer.text and "Read the article" in answer.text
    assert operator.buttons(answer) == []
    async with bot.runtime.deps.sessions() as session:
        from sqlalchemy import select

        from bot.storage.models import Broadcast

        assert (await session.execute(select(Broadcast))).scalars().all() == []


async def test_an_article_with_a_url_is_sent_with_a_read_the_article_button(
    server, database_url, clock, content, settings_for, tmp_path
):
    title = "Anxiety Without a Trigger: Could It Be a Magnesium Deficiency? A Long Title That Is Never Cut Short"
    folder = tmp_path / "content"
    (folder / "articles").mkdir(parents=True)
    (folder / "articles" / "anxiety.md").write_text(
        f'---\ntitle: "{title}"\nsummary: "When anxiety appears out of nowhere"\nurl: https://example.org/anxiety\n---\n'
    )
    async with running_bot(settings_for(server, database_url, content_dir=folder), content, clock, server) as bot:
        await seed(bot.runtime.deps.sessions, server, [26_001])
        operator = bot.user(OPERATOR_ID, "Olga")
        await operator.command("/broadcast anxiety")
        intro, preview, confirm = await operator.replies(3)
        assert preview.text == f"{title}\n\nWhen anxiety appears out of nowhere"
        assert preview.button("Read the article")["url"] == "https://example.org/anxiety"
        await operator.press("Send to 1")
        await operator.next_reply()
        await bot.runtime.broadcasts.run_once()
    [sent] = [m for m in server.messages() if m.chat_id == 26_001]
    assert (sent.text, sent.entities) == (preview.text, preview.entities)
    assert sent.button("Read the article")["url"] == "https://example.org/anxiety"
