"""Webhook mode: an aiohttp server that takes Telegram's updates; and, in every mode, /healthz and
/metrics on a listener of their own (METRICS_LISTEN, by default 127.0.0.1 only), so the port that
faces the internet answers nothing but Telegram.

A request without the `X-Telegram-Bot-Api-Secret-Token` header equal to WEBHOOK_SECRET gets 403
and is not processed. Telegram re-sends an update it did not see acknowledged, so recent update
ids are remembered and a repeat is acknowledged without being processed twice.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections import OrderedDict
from urllib.parse import urlparse

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from telegram import Update

from bot.config import Settings
from bot.metrics import QUEUE_DEPTH, REGISTRY, SWEEP_LAG
from bot.services.monitoring import database_ok, queue_snapshot
from bot.telegram.incoming import lighten
from bot.telegram.runtime import App

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
REMEMBERED_UPDATES = 10_000


class RecentIds:
    """A bounded memory of update ids seen."""

    def __init__(self, size: int = REMEMBERED_UPDATES) -> None:
        self.size = size
        self._ids: OrderedDict[int, None] = OrderedDict()

    def seen(self, update_id: int) -> bool:
        """True if already seen; remembers it otherwise."""
        if update_id in self._ids:
            return True
        self._ids[update_id] = None
        if len(self._ids) > self.size:
            self._ids.popitem(last=False)
        return False


def webhook_path(settings: Settings) -> str:
    return urlparse(settings.webhook_url or "").path or "/telegram"


def web_app(application: App, settings: Settings) -> web.Application:
    secret = settings.webhook_secret.get_secret_value().encode() if settings.webhook_secret else b""
    recent = RecentIds()

    async def telegram_update(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER, "").encode()
        if not secret or not hmac.compare_digest(given, secret):
            return web.Response(status=403, text="forbidden")
        try:
            update = Update.de_json(lighten(await request.json()), application.bot)
        except (json.JSONDecodeError, ValueError, TypeError, KeyError):
            return web.Response(status=400, text="not an update")
        if update is None:
            return web.Response(status=400, text="not an update")
        if not recent.seen(update.update_id):
            await application.update_queue.put(update)
        return web.Response(status=200)

    app = web.Application()
    app.router.add_post(webhook_path(settings), telegram_update)
    return app


def monitoring_app(application: App) -> web.Application:
    def deps():
        return application.bot_data.runtime.deps

    async def healthz(_: web.Request) -> web.Response:
        healthy = await database_ok(deps())
        return web.json_response({"status": "ok" if healthy else "database unreachable"}, status=200 if healthy else 503)

    async def metrics(_: web.Request) -> web.Response:
        snapshot = await queue_snapshot(deps())
        QUEUE_DEPTH.set(snapshot.due + snapshot.pending_broadcast)
        SWEEP_LAG.set(snapshot.lag_seconds)
        return web.Response(body=generate_latest(REGISTRY), headers={"Content-Type": CONTENT_TYPE_LATEST})

    app = web.Application()
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/metrics", metrics)
    return app


async def start_monitoring(application: App, settings: Settings) -> web.AppRunner | None:
    """/healthz and /metrics; None (and a warning) when the port is taken: monitoring is never a
    reason for the bot not to run."""
    runner = web.AppRunner(monitoring_app(application))
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.metrics_listen, settings.metrics_port).start()
    except OSError as exc:
        log.warning(
            "no /healthz and /metrics: cannot listen on %s:%d (%s)", settings.metrics_listen, settings.metrics_port, exc.strerror,
        )
        await runner.cleanup()
        return None
    log.info("/healthz and /metrics on %s:%d", settings.metrics_listen, settings.metrics_port)
    return runner


async def start_webhook(application: App, settings: Settings) -> web.AppRunner:
    assert settings.webhook_url is not None, "Settings refuses webhook mode without it"
    runner = web.AppRunner(web_app(application, settings), shutdown_timeout=30)
    await runner.setup()
    await web.TCPSite(runner, settings.webhook_listen, settings.webhook_port).start()
    await application.bot.set_webhook(
        url=settings.webhook_url,
        secret_token=settings.webhook_secret.get_secret_value() if settings.webhook_secret else None,
        allowed_updates=Update.ALL_TYPES,
    )
    log.info("webhook server listening on %s:%d", settings.webhook_listen, settings.webhook_port)
    return runner
