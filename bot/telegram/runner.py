"""Runs the bot until SIGINT/SIGTERM: long polling (default) or a webhook server.

Polling: only one process may poll a token, so on PostgreSQL the process holding the polling
lock polls and the others only sweep and broadcast, taking over if the poller dies. Webhook:
Telegram's requests come in on WEBHOOK_PORT, checked against WEBHOOK_SECRET. On shutdown the
bot stops taking updates first, then lets the updates and sends in flight finish.
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.ext import Application, ContextTypes

from bot.config import Settings
from bot.content.models import Content
from bot.telegram.app import build_application
from bot.telegram.webhook import start_monitoring

log = logging.getLogger(__name__)
LEADERSHIP_RETRY = 15.0


def run_bot(settings: Settings, content: Content) -> None:
    asyncio.run(serve(settings, content))


async def serve(settings: Settings, content: Content, stop: asyncio.Event | None = None, **build_kwargs) -> None:
    stop = stop or _stop_on_signals()
    application = build_application(settings, content, **build_kwargs)
    await application.initialize()
    await application.post_init(application)
    site = monitoring = None
    try:
        await application.start()
        monitoring = await start_monitoring(application, settings)
        if settings.bot_mode == "webhook":
            from bot.telegram.webhook import start_webhook

            site = await start_webhook(application, settings)
        else:
            await _poll_when_leading(application)
            application.job_queue.run_repeating(_lead_job, interval=LEADERSHIP_RETRY, first=LEADERSHIP_RETRY)
        log.info("bot running (%s mode)", settings.bot_mode)
        await stop.wait()
        log.info("shutting down: finishing updates and sends in flight")
    finally:
        if site is not None:
            await site.cleanup()  # stop accepting requests; those under way complete
        if monitoring is not None:
            await monitoring.cleanup()
        if application.updater is not None and application.updater.running:
            await application.updater.stop()
        if application.running:
            await application.stop()  # processes queued updates, waits for running jobs
        await application.shutdown()
        await application.post_shutdown(application)


async def _poll_when_leading(application: Application) -> None:
    if application.updater.running:
        return
    if await application.bot_data["leadership"].try_lead():
        await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("this process polls Telegram for updates")


async def _lead_job(context: ContextTypes.DEFAULT_TYPE) -> None:
    await _poll_when_leading(context.application)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
