"""/help, /today, unknown commands, and the error handler."""

from __future__ import annotations

import logging

from telegram import Update

from bot.content.program import day_markdown
from bot.domain.state import Status
from bot.metrics import HANDLER_ERRORS
from bot.services.messages import pain_keyboard
from bot.telegram.menu import help_lines
from bot.telegram.runtime import Context, chat_of, reply, runtime, user_of
from bot.telegram.texts import UNKNOWN_COMMAND

log = logging.getLogger(__name__)


async def help_command(update: Update, context: Context) -> None:
    rt = runtime(context)
    operator = rt.deps.settings.is_operator(user_of(update).id)
    text = (
        f"**Your {rt.deps.content.program_length}-day vitamin D and back pain program**\n\n"
        "Every day, at the local time you chose, you get one day of the program: a reading "
        "from the article and one concrete task. Tell me how your back feels (0-10) with the "
        "buttons under each day, add your vitamin D blood results in the unit your lab uses "
        "(`/level 24 ng/mL` or `/level 60 nmol/L`), ask questions in your own words, and "
        "watch your progress on a chart.\n\n"
        + "\n".join(help_lines(operator))
        + f"\n\n{rt.deps.content.safety.warning_signs}"
        + f"\n\n_{rt.deps.content.safety.disclaimer}_"
    )
    await reply(update, context, text)


async def today(update: Update, context: Context) -> None:
    rt = runtime(context)
    snapshot = await rt.subscriptions.get(user_of(update).id)
    if snapshot is None or snapshot.status == Status.ENROLLING:
        await reply(update, context, "Your Day 1 arrives as soon as enrolment is complete — send /start.")
        return
    if snapshot.program_day == 0:
        await reply(update, context, "Day 1 is on its way — it arrives in a moment.")
        return
    await reply(update, context, day_markdown(rt.deps.content, snapshot.program_day), pain_keyboard())


async def unknown_command(update: Update, context: Context) -> None:
    await reply(update, context, UNKNOWN_COMMAND)


async def on_error(update: object, context: Context) -> None:
    """Log it, tell the subscriber, keep running. The update's text is not logged."""
    HANDLER_ERRORS.inc()
    log.error("error while handling an update", exc_info=context.error)
    if isinstance(update, Update) and update.effective_chat is not None:
        try:
            await runtime(context).messenger.send(
                chat_of(update).id, "Sorry — something went wrong on my side. Please try again in a moment."
            )
        except Exception:  # the chat may be unreachable; never let the error handler fail
            log.warning("could not tell the subscriber about the error")
