"""python-telegram-bot's HTTP layer on aiohttp: the bot stays a `telegram.Bot`, only the transport
changes.

PTB's default `HTTPXRequest` spends about 1.5 ms of CPU per request in httpx itself; on two cores
that caps a process near 600 sends a second before anything else runs. aiohttp does the same
request in a fraction of that, so this is the bot's default (see docs/PERFORMANCE.md).

PTB's conventions are kept: `BaseRequest._request_wrapper` turns the status code and body into
PTB's own errors (403 Forbidden, 400 BadRequest, 429 RetryAfter with its retry_after, 409 Conflict,
other codes NetworkError); here a timeout becomes `TimedOut` and any other transport failure
`NetworkError`. Parameters go as PTB's own JSON payload (the same strings HTTPXRequest puts in a
form), files as multipart with the parameters as form fields, as HTTPXRequest sends them.
One `ClientSession` per request object keeps connections alive between sends; the connector holds
`connection_pool_size` of them, so the drip's concurrent sends never queue for a socket.
"""

from __future__ import annotations

import asyncio
from contextlib import suppress

import aiohttp
import yarl
from aiohttp.helpers import basicauth_from_netrc, get_env_proxy_for_url, netrc_from_env
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

JSON = {"Content-Type": "application/json"}


class AiohttpRequest(BaseRequest):
    """A `BaseRequest` on one aiohttp `ClientSession`; the same arguments as `HTTPXRequest`."""

    __slots__ = (
        "_session", "_pool_size", "_read_timeout", "_write_timeout", "_connect_timeout",
        "_pool_timeout", "_media_write_timeout", "_environment",
    )

    def __init__(
        self,
        connection_pool_size: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        if connection_pool_size < 1:
            raise ValueError("connection_pool_size must be at least 1")
        self._pool_size = connection_pool_size
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None
        self._environment: dict[str, _Environment] = {}  # per scheme and host

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            # The session needs a running loop, so it is made here, not in __init__.
            connector = aiohttp.TCPConnector(limit=self._pool_size, limit_per_host=0, ttl_dns_cache=300)
            # HTTPS_PROXY / NO_PROXY and ~/.netrc are honoured, as PTB's httpx default does, but
            # looked up once per host (`_environment_for`), not by aiohttp's trust_env, which looks
            # both up in a thread on every request: two thread hops per send.
            self._session = aiohttp.ClientSession(connector=connector, headers={"User-Agent": self.USER_AGENT})

    async def shutdown(self) -> None:
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if self._session is None or self._session.closed:
            raise RuntimeError("This AiohttpRequest is not initialized!")
        files = bool(request_data and request_data.contains_files)
        read = self._read_timeout if isinstance(read_timeout, DefaultValue) else read_timeout
        connect = self._connect_timeout if isinstance(connect_timeout, DefaultValue) else connect_timeout
        pool = self._pool_timeout if isinstance(pool_timeout, DefaultValue) else pool_timeout
        if isinstance(write_timeout, DefaultValue):
            write = self._media_write_timeout if files else self._write_timeout
        else:
            write = write_timeout
        body, headers = _body(request_data, files)
        proxy, proxy_auth, auth = await self._environment_for(url)
        try:
            async with self._session.request(
                method, url, data=body, headers=headers, timeout=_timeout(read, write, connect, pool),
                proxy=proxy, proxy_auth=proxy_auth, auth=auth,
            ) as response:
                return response.status, await response.read()
        except (TimeoutError, aiohttp.ServerTimeoutError) as err:
            raise TimedOut from err
        except aiohttp.ClientError as err:
            # Named like HTTPXRequest's, so a log says which layer failed.
            raise NetworkError(f"aiohttp.{err.__class__.__name__}: {err}") from err


    async def _environment_for(self, url: str) -> _Environment:
        scheme, _, host = url.split("/", 3)[:3]
        found = self._environment.get(scheme + host)
        if found is None:  # (reading the environment and ~/.netrc may block: a thread, once)
            found = self._environment[scheme + host] = await asyncio.to_thread(_from_environment, url)
        return found


_Environment = tuple[yarl.URL | None, aiohttp.BasicAuth | None, aiohttp.BasicAuth | None]


def _from_environment(url: str) -> _Environment:
    """The proxy (and its credentials) and the ~/.netrc credentials the environment names for `url`."""
    target = yarl.URL(url)
    proxy, proxy_auth, auth = None, None, None
    with suppress(LookupError):
        proxy, proxy_auth = get_env_proxy_for_url(target)
    if target.host is not None:
        with suppress(LookupError):
            auth = basicauth_from_netrc(netrc_from_env(), target.host)
    return proxy, proxy_auth, auth


def _body(request_data: RequestData | None, files: bool) -> tuple[object, dict[str, str] | None]:
    if request_data is None:
        return None, None
    if not files:
        # A JSON body, which the Bot API takes as it takes a form: json.dumps runs in C, while
        # percent-encoding a long message text costs more than the rest of the request.
        return request_data.json_payload, JSON
    form = aiohttp.FormData(quote_fields=False)
    for name, value in request_data.json_parameters.items():
        form.add_field(name, value)
    for name, part in request_data.multipart_data.items():
        filename, content, mime_type = part[0], part[1], part[2] if len(part) > 2 else None
        form.add_field(name, content, filename=filename, content_type=mime_type)
    return form, None


def _timeout(read: float | None, write: float | None, connect: float | None, pool: float | None) -> aiohttp.ClientTimeout:
    # aiohttp has no write timeout; the total bounds a stalled upload instead. Its `connect`
    # covers waiting for a pooled connection plus connecting, hence pool + connect.
    parts = (read, write, connect, pool)
    total = sum(parts) if all(p is not None for p in parts) else None  # type: ignore[arg-type]
    connect_total = connect + pool if connect is not None and pool is not None else None
    return aiohttp.ClientTimeout(total=total, connect=connect_total, sock_connect=connect, sock_read=read)
