"""Operator commands: /broadcast with its preview and buttons, /stats. Everyone else gets the
unknown-command reply, for the commands and for their buttons (forged callback data included)."""

from __future__ import annotations

from functools import wraps

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot.content.loader import ContentError, load_article
from bot.services import stats as stats_service
from bot.services.broadcasts import Progress
from bot.telegram.handlers.general import UNKNOWN_COMMAND
from bot.telegram.runtime import reply, runtime


def operators_only(handler):
    @wraps(handler)
    async def guarded(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        if not runtime(context).deps.settings.is_operator(update.effective_user and update.effective_user.id):
            if update.callback_query:
                await update.callback_query.answer()
            await reply(update, context, UNKNOWN_COMMAND)
            return
        await handler(update, context)

    return guarded


@operators_only
async def broadcast_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    rt = runtime(context)
    articles = rt.deps.content.articles
    slug = " ".join(context.args).strip()
    available = ", ".join(f"`{s}`" for s in sorted(articles)) or "none"
    if not slug:
        await reply(update, context, f"Usage: `/broadcast <slug>`. Available articles: {available}")
        return
    article = articles.get(slug)
    if article is None:
        path = rt.deps.settings.content_dir / "articles" / f"{slug}.md"
        try:  # an article added after start-up is picked up without a restart
            article = load_article(path) if path.is_file() else None
        except ContentError as exc:
            await reply(update, context, f"`{slug}` has problems:\n{exc}")
            return
    if article is None:
        await reply(update, context, f"There is no article `{slug}`. Available articles: {available}")
        return
    broadcast = await rt.broadcasts.create(article, requested_by=update.effective_chat.id, status="draft")
    audience = await rt.broadcasts.audience_size()
    await reply(update, context, "Preview — exactly what subscribers will see:")
    await reply(update, context, broadcast.markdown)
    await reply(
        update, context,
        f"Send *{article.title}* to {audience} active subscriber{'s' if audience != 1 else ''}?",
        [[(f"Send to {audience}", f"bc:send:{broadcast.id}"), ("Cancel", f"bc:cancel:{broadcast.id}")]],
    )


@operators_only
async def broadcast_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    rt = runtime(context)
    try:
        _, action, raw_id = query.data.split(":")
        broadcast_id = int(raw_id)
    except ValueError:
        return
    await query.edit_message_reply_markup(None)
    if action == "cancel":
        cancelled = await rt.broadcasts.cancel(broadcast_id)
        await reply(update, context, "Cancelled: nothing was sent." if cancelled else "That broadcast can't be cancelled any more.")
        return
    count = await rt.broadcasts.start(broadcast_id, from_statuses=("draft",))
    if count is None:
        await reply(update, context, "That broadcast was already sent or cancelled.")
        return
    await reply(update, context, f"Sending to {count} subscribers at up to {rt.deps.settings.send_rate_limit:g} messages a second. I'll report when it's done.")
    rt.kick_broadcasts()


@operators_only
async def recipients_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    query = update.callback_query
    await query.answer()
    try:
        broadcast_id = int(query.data.removeprefix("bcsv:"))
    except ValueError:
        return
    data = await runtime(context).broadcasts.recipients_csv(broadcast_id)
    await context.bot.send_document(update.effective_chat.id, InputFile(data, filename=f"broadcast-{broadcast_id}-recipients.csv"))


@operators_only
async def stats_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = stats_service.render(await stats_service.collect(runtime(context).deps))
    await runtime(context).messenger.bot.send_message(update.effective_chat.id, text)


def summary_text(progress: Progress) -> str:
    return (
        f"Broadcast #{progress.id} *{progress.title}* is done: {progress.sent} sent, "
        f"{progress.blocked} blocked, {progress.failed} failed (of {progress.recipients})."
    )
