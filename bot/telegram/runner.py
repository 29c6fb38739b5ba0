"""Runs the bot until SIGINT/SIGTERM: long polling (default) or a webhook server.

Polling: only one process may poll a token, so on PostgreSQL the process holding the polling
lock polls and the others only sweep and broadcast, taking over if the poller dies. Webhook:
Telegram's requests come in on WEBHOOK_PORT, checked against WEBHOOK_SECRET.

On SIGTERM (every deploy) the bot stops claiming and starts no new send at once, stops taking
updates, lets the requests in flight finish, and exits within `SHUTDOWN_GRACE` seconds even in
the middle of a large broadcast: what it had claimed but not sent is released in the ledger, and
the rest resumes after the restart (docker-compose's `stop_grace_period` leaves room for it).
"""

from __future__ import annotations

import asyncio
import logging
import signal

from telegram import Update
from telegram.ext import Updater

from bot.config import Settings
from bot.content.models import Content
from bot.storage.leadership import PollingLeadership
from bot.telegram.app import build_application
from bot.telegram.runtime import App, Context
from bot.telegram.webhook import start_monitoring

log = logging.getLogger(__name__)
LEADERSHIP_CHECK = 5.0  # seconds: how often the poller re-checks its lock, and others try to take it
SHUTDOWN_GRACE = 8.0  # seconds from SIGTERM to exit, for what is in flight: under 10 s in total


def run_bot(settings: Settings, content: Content) -> None:
    asyncio.run(serve(settings, content))


async def serve(settings: Settings, content: Content, stop: asyncio.Event | None = None, **build_kwargs) -> None:
    stop = stop or _stop_on_signals()
    application = build_application(settings, content, **build_kwargs)
    await application.initialize()
    assert application.post_init is not None and application.post_shutdown is not None, "build_application sets them"
    await application.post_init(application)
    site = monitoring = None
    try:
        await application.start()
        monitoring = await start_monitoring(application, settings)
        if settings.bot_mode == "webhook":
            from bot.telegram.webhook import start_webhook

            site = await start_webhook(application, settings)
        else:
            await _poll_when_leading(application.updater, application.bot_data.leadership)
            assert application.job_queue is not None, "the job-queue extra is installed"
            application.job_queue.run_repeating(_lead_job, interval=LEADERSHIP_CHECK, first=LEADERSHIP_CHECK)
        log.info("bot running (%s mode)", settings.bot_mode)
        await stop.wait()
        log.info("shutting down: finishing updates and sends in flight")
    finally:
        application.bot_data.runtime.ledger.stop()  # first of all: claim nothing more, start no new send
        try:
            await asyncio.wait_for(_wind_down(application, site, monitoring), SHUTDOWN_GRACE)
        except TimeoutError:
            log.warning("sends still in flight after %.0f s; exiting anyway (they may repeat)", SHUTDOWN_GRACE)
        await application.shutdown()
        await application.post_shutdown(application)


async def _wind_down(application: App, site, monitoring) -> None:
    if site is not None:
        await site.cleanup()  # stop accepting requests; those under way complete
    if monitoring is not None:
        await monitoring.cleanup()
    if application.updater is not None and application.updater.running:
        await application.updater.stop()
    if application.running:
        await application.stop()  # processes queued updates, waits for running jobs


async def _poll_when_leading(updater: Updater | None, leadership: PollingLeadership) -> None:
    assert updater is not None, "polling mode has an updater"
    if updater.running:
        return
    if await leadership.try_lead():
        await updater.start_polling(allowed_updates=Update.ALL_TYPES)
        log.info("this process polls Telegram for updates")


async def _lead_job(context: Context) -> None:
    """The poller re-checks its lock (a database restart takes it away while this process lives
    on) and stops polling once it is lost; a process that does not poll tries to take it."""
    leadership, updater = context.bot_data.leadership, context.application.updater
    assert updater is not None, "polling mode has an updater"
    if updater.running and not await leadership.still_leading():
        log.warning("lost the polling lock (database restarted?); this process stops polling")
        await updater.stop()
        return  # try again next round: whoever took the lock meanwhile keeps it
    if not context.bot_data.runtime.ledger.stopping:
        await _poll_when_leading(updater, leadership)


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    return stop
