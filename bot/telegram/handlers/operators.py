"""Operator commands: /broadcast with its preview and buttons, /stats. Everyone else gets the
unknown-command reply, for the commands and for their buttons (forged callback data included)."""

from __future__ import annotations

from functools import wraps

from telegram import Update

from bot.content.articles import article_slugs, find_article
from bot.content.loader import ContentError
from bot.content.program import article_message, plain, why_not_sendable
from bot.services import stats as stats_service
from bot.telegram.runtime import Context, chat_of, query_of, remove_buttons, reply, runtime, user_of
from bot.telegram.texts import UNKNOWN_COMMAND


def operators_only(handler):
    @wraps(handler)
    async def guarded(update: Update, context: Context) -> None:
        if not runtime(context).deps.settings.is_operator(update.effective_user.id if update.effective_user else None):
            if update.callback_query:
                await query_of(update).answer()
            # The chat of the pressed message, or the user's own chat for a forged press without one.
            chat = chat_of(update).id if update.effective_chat else user_of(update).id
            await runtime(context).messenger.send(chat, UNKNOWN_COMMAND)
            return
        await handler(update, context)

    return guarded


@operators_only
async def broadcast_command(update: Update, context: Context) -> None:
    rt = runtime(context)
    content, content_dir = rt.deps.content, rt.deps.settings.content_dir
    slug = " ".join(context.args or []).strip()
    available = ", ".join(f"`{s}`" for s in article_slugs(content, content_dir)) or "none"
    if not slug:
        await reply(update, context, f"Usage: `/broadcast <slug>`. Available articles: {available}")
        return
    try:
        article = find_article(content, content_dir, slug)
    except ContentError as exc:
        await reply(update, context, f"`{slug}` has problems:\n{plain(str(exc))}")
        return
    if article is None:
        await reply(update, context, f"There is no article “{plain(slug)}”. Available articles: {available}")
        return
    refusal = why_not_sendable(article)
    if refusal is not None:
        await reply(update, context, f"Not sent: {refusal}")
        return
    broadcast = await rt.broadcasts.create(article, requested_by=chat_of(update).id, status="draft")
    audience = await rt.broadcasts.audience_size()
    await reply(update, context, "Preview — exactly what subscribers will see:")
    await reply(update, context, *article_message(broadcast.markdown))
    await reply(
        update, context,
        f"Send **{plain(article.title)}** to {audience} active subscriber{'s' if audience != 1 else ''}?",
        [[(f"Send to {audience}", f"bc:send:{broadcast.id}"), ("Cancel", f"bc:cancel:{broadcast.id}")]],
    )


@operators_only
async def broadcast_button(update: Update, context: Context) -> None:
    query = query_of(update)
    await query.answer()
    rt = runtime(context)
    try:
        _, action, raw_id = (query.data or "").split(":")
        broadcast_id = int(raw_id)
    except ValueError:
        return
    if action not in ("send", "cancel"):
        return
    await remove_buttons(context, query)  # a second press finds them gone already
    if action == "cancel":
        cancelled = await rt.broadcasts.cancel(broadcast_id)
        await reply(
            update, context, "Cancelled: nothing was sent." if cancelled else "That broadcast can't be cancelled any more.",
        )
        return
    count = await rt.broadcasts.start(broadcast_id, from_statuses=("draft",))
    if count is None:
        await reply(update, context, "That broadcast was already sent or cancelled.")
        return
    rate = rt.deps.settings.send_rate_limit
    await reply(
        update, context, f"Sending to {count} subscribers at up to {rate:g} messages a second. I'll report when it's done."
    )
    rt.kick_broadcasts()


@operators_only
async def recipients_button(update: Update, context: Context) -> None:
    query = query_of(update)
    await query.answer()
    try:
        broadcast_id = int((query.data or "").removeprefix("bcsv:"))
    except ValueError:
        return
    data = await runtime(context).broadcasts.recipients_csv(broadcast_id)
    await runtime(context).messenger.send_document(chat_of(update).id, data, f"broadcast-{broadcast_id}-recipients.csv")


@operators_only
async def stats_command(update: Update, context: Context) -> None:
    text = stats_service.render(await stats_service.collect(runtime(context).deps))
    await runtime(context).messenger.send_plain(chat_of(update).id, text)
