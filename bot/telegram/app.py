"""Builds the python-telegram-bot Application: the rate limiter, per-chat ordering, every
handler, and the two periodic jobs (the drip sweep and the broadcast runner).

Start-up (`post_init`) applies migrations, connects to the database and publishes the command
menu; the sweep runs once at start-up and then every `sweep_interval` seconds.
"""

from __future__ import annotations

import gc
import logging
import math
import time
import uuid
from datetime import timedelta
from typing import Any

from sqlalchemy import event
from telegram.ext import Application, ExtBot, JobQueue

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.content.models import Content
from bot.services.context import Deps
from bot.services.workers import APPLICATION_NAME, HEARTBEAT_EVERY, WorkerRegistry
from bot.storage.db import create_engine, session_factory, upgrade
from bot.storage.leadership import PollingLeadership
from bot.telegram import commands
from bot.telegram.incoming import UpdatesRequest
from bot.telegram.messenger import MessengerBot, TelegramMessenger
from bot.telegram.notices import GroupNotices
from bot.telegram.ratelimit import BulkRateLimiter
from bot.telegram.request import AiohttpRequest
from bot.telegram.runtime import App, BotData, Context, Runtime, context_types
from bot.telegram.texts import summary_text
from bot.telegram.updates import FLOOD_NOTICE, PerChatUpdateProcessor

log = logging.getLogger(__name__)

SWEEP_INTERVAL = 30.0  # seconds; the sweep is cheap when nothing is due (one indexed query)
BROADCAST_INTERVAL = 2.0
SEND_CONNECTIONS = 256  # above the drip's sends in flight plus replies, so none waits for a socket


def build_application(
    settings: Settings,
    content: Content,
    *,
    clock: Clock | None = None,
    sweep_interval: float | None = SWEEP_INTERVAL,
    broadcast_interval: float | None = BROADCAST_INTERVAL,
    migrate: bool = True,
) -> App:
    """`sweep_interval=None` turns the periodic jobs off (tests drive them by hand)."""
    clock = clock or SystemClock()
    bot = MessengerBot(
        settings.token,
        base_url=settings.telegram_api_base_url,
        base_file_url=settings.telegram_api_base_url.replace("/bot", "/file/bot"),
        rate_limiter=BulkRateLimiter(settings.send_rate_limit),
        # aiohttp instead of PTB's httpx: the send path's CPU cost is most of the drip's (PERFORMANCE.md).
        # Long polling gets a connection of its own, as PTB does, so it never waits behind sends;
        # its answers are lightened before parsing (bot/telegram/incoming.py).
        request=AiohttpRequest(connection_pool_size=SEND_CONNECTIONS),
        get_updates_request=UpdatesRequest(connection_pool_size=1),
    )
    messenger = TelegramMessenger(bot)
    jobs: JobQueue[Context] = JobQueue()
    # The engine connects lazily: nothing touches the database before post_init has migrated it.
    engine = create_engine(settings.database_url)
    postgres = engine.dialect.name == "postgresql"
    deps = Deps(settings=settings, clock=clock, sessions=session_factory(engine), content=content)
    worker_id = uuid.uuid4().hex
    workers = WorkerRegistry(deps.sessions, worker_id=worker_id)

    def kick_broadcasts() -> None:
        if broadcast_interval is not None:
            jobs.run_once(run_broadcasts, 0)

    wake_ups: set[int] = set()  # the seconds (monotonic, whole) at which a sweep is queued

    def sweep_due_again(pause: timedelta) -> None:
        """A failed send's next round (or a released claim) is due in `pause`: sweep then, when
        that comes before the periodic sweep. A second at least, so the confirm that set it has
        committed; on a whole second, so that a burst of failures makes one sweep, not one each."""
        if sweep_interval is None or pause.total_seconds() >= sweep_interval:
            return
        at = math.ceil(time.monotonic() + max(pause.total_seconds(), 1.0))
        if at in wake_ups:
            return
        wake_ups.add(at)

        async def woken(context: Context) -> None:
            wake_ups.discard(at)
            await sweep(context)

        jobs.run_once(woken, at - time.monotonic(), job_kwargs={"misfire_grace_time": None})

    # On PostgreSQL a process whose own heartbeat is old sends nothing it claimed: the others
    # are about to take those claims over.
    runtime = Runtime.build(
        deps, messenger, worker_id, may_send=workers.fresh if postgres else None, kick_broadcasts=kick_broadcasts,
        sweep_due_again=sweep_due_again,
    )
    data = BotData(
        engine=engine, runtime=runtime, workers=workers, leadership=PollingLeadership(engine),
        group_notices=GroupNotices(),
    )
    updates = PerChatUpdateProcessor(notify=lambda chat_id: messenger.send(chat_id, FLOOD_NOTICE))

    async def post_init(application: App) -> None:
        if migrate:
            await upgrade(settings.database_url)
        await commands.publish_menu(application, settings.operator_ids)
        if postgres:
            name_connections(engine, APPLICATION_NAME + worker_id, workers)
        application.bot_data.serving = True
        # What a process that is gone had claimed is sent again now, not when its lease ends.
        # SQLite is one process at a time: every claim and heartbeat left over is a dead one's.
        # On PostgreSQL the heartbeat job releases the claims of processes whose heartbeat stopped.
        if not postgres:
            await workers.forget_others()
            await runtime.ledger.release_claims_of_the_dead(everyone_else=True)
        live = await share_rate(application.bot, application.bot_data)
        jobs.run_repeating(heartbeat, interval=HEARTBEAT_EVERY.total_seconds(), first=HEARTBEAT_EVERY.total_seconds())
        # With other processes alive, wait one heartbeat round before bulk sends, so that they
        # have lowered their share of the rate first. Alone, there is nobody to wait for.
        settle = HEARTBEAT_EVERY.total_seconds() + 1 if live > 1 else 0
        if broadcast_interval is not None:
            jobs.run_repeating(run_broadcasts, interval=broadcast_interval, first=settle + 1, job_kwargs={"max_instances": 1})
        # What start-up built (content, the FAQ matcher's model, the libraries) lives as long as
        # the process: out of the collector's sight, so that a full collection does not walk it
        # again and again (300 ms pauses of the event loop in the middle of a drip).
        gc.freeze()
        if sweep_interval is not None:
            # A restart resumes at once: APScheduler never runs a repeating job whose first run is
            # "now" (it skips to the next interval), so the start-up sweep is a job of its own.
            jobs.run_once(sweep, settle, job_kwargs={"misfire_grace_time": None})
            jobs.run_repeating(sweep, interval=sweep_interval, first=settle + sweep_interval, job_kwargs={"max_instances": 1})

    async def post_shutdown(application: App) -> None:
        if application.bot_data.serving:
            try:  # what this process claimed and did not finish is due again at once
                await runtime.ledger.release_own_claims()
            except Exception:  # noqa: BLE001 - the database is away: the others release it later
                log.warning("could not release this process's claims at shutdown", exc_info=True)
            await workers.leave()
            await application.bot_data.leadership.release()
        await engine.dispose()

    application = (
        Application.builder()
        .bot(bot)
        .context_types(context_types(data))
        .job_queue(jobs)
        .concurrent_updates(updates)
        .post_init(post_init)
        .post_shutdown(post_shutdown)
        .build()
    )
    commands.register(application)
    return application


async def share_rate(bot: ExtBot[Any], data: BotData) -> int:
    """This process's share of SEND_RATE_LIMIT; returns how many processes are alive."""
    live = await data.workers.beat()
    limiter = bot.rate_limiter
    assert isinstance(limiter, BulkRateLimiter), "build_application gives the bot its limiter"
    limiter.window.set_rate(data.runtime.deps.settings.send_rate_limit / live)
    return live


async def heartbeat(context: Context) -> None:
    data = context.bot_data
    await share_rate(context.bot, data)
    # A claim whose COMMIT answer was lost is released here too, not only by the next claim,
    # which may never come (the other processes took the rest; nothing else is due).
    await data.runtime.ledger.release_uncertain()
    if data.engine.dialect.name == "postgresql" and data.workers.may_judge_others():
        await data.runtime.ledger.release_claims_of_the_dead(connected=await data.workers.connected())


def name_connections(engine, name: str, workers: WorkerRegistry) -> None:
    """PostgreSQL sees this process's connections under `name`, so the others can tell when it
    has none left (it was killed). A connection lost may mean the database restarted and every
    process is reconnecting: this process then judges nobody gone until it is steady again."""

    @event.listens_for(engine.sync_engine, "connect")
    def _application_name(dbapi_connection, _record):
        cursor = dbapi_connection.cursor()
        cursor.execute(f"SET application_name = '{name}'")
        cursor.close()

    @event.listens_for(engine.sync_engine, "invalidate")
    def _lost(_dbapi_connection, _record, _exception):
        workers.connection_lost()


async def sweep(context: Context) -> None:
    sent = await context.bot_data.runtime.delivery.sweep()
    if sent:
        log.info("sweep delivered %d items", sent)


async def run_broadcasts(context: Context) -> None:
    rt = context.bot_data.runtime
    for progress in await rt.broadcasts.run_once():
        if not await rt.broadcasts.mark_summary_sent(progress.id):
            continue
        broadcast = await rt.broadcasts.get(progress.id)
        if broadcast is None:  # deleted since
            continue
        targets = [broadcast.requested_by] if broadcast.requested_by else sorted(rt.deps.settings.operator_ids)
        for chat_id in targets:
            await rt.messenger.send_markdown(
                chat_id, summary_text(progress), keyboard=[[("Recipients CSV", f"bcsv:{progress.id}")]]
            )
