"""Reading Bot API request parameters the way Telegram does: from the query string, a form or
multipart body (python-telegram-bot sends these, with objects as JSON strings) or a JSON body."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeAlias

from aiohttp import web


class ApiError(Exception):
    """An answer in Telegram's error shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def payload(self) -> dict:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


def bad_request(detail: str) -> ApiError:
    return ApiError(400, f"Bad Request: {detail}")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes
    content_type: str | None


# Params has methods named after these builtins; annotations inside it use the aliases.
_Str: TypeAlias = str
_Int: TypeAlias = int
_Float: TypeAlias = float
_Bool: TypeAlias = bool


class Params:
    """Typed access to one request's parameters; a value that does not parse is a 400."""

    def __init__(self, values: dict[str, Any], uploads: dict[str, Upload]) -> None:
        self.values = values
        self.uploads = uploads

    @classmethod
    async def read(cls, request: web.Request) -> Params:
        values: dict[str, Any] = dict(request.query)
        uploads: dict[str, Upload] = {}
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise bad_request("invalid JSON body") from exc
            if not isinstance(body, dict):
                raise bad_request("JSON body must be an object")
            values.update(body)
        elif request.can_read_body:
            form = await request.post()
            for name, value in form.items():
                if isinstance(value, web.FileField):
                    uploads[name] = Upload(value.filename, value.file.read(), value.content_type)
                else:
                    values[name] = value
        return cls(values, uploads)

    def has(self, name: str) -> bool:
        return self.values.get(name) is not None

    def str(self, name: str, default: str | None = None) -> str | None:
        value = self.values.get(name)
        return default if value is None else str(value)

    def int(self, name: _Str, default: _Int | None = None) -> _Int | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return int(value)
        except ValueError:
            pass
        try:
            return int(float(value))  # PTB sends a float timeout as "10.0"
        except ValueError:
            raise bad_request(f"invalid {name}") from None

    def float(self, name: _Str, default: _Float | None = None) -> _Float | None:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        try:
            return float(value)
        except ValueError:
            raise bad_request(f"invalid {name}") from None

    def bool(self, name: _Str) -> _Bool:
        value = self.values.get(name)
        if isinstance(value, str):
            return value.lower() in ("true", "1")
        return bool(value)

    def json(self, name: _Str, default: Any = None) -> Any:
        value = self.values.get(name)
        if value is None or value == "":
            return default
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except ValueError:
            raise bad_request(f"can't parse {name} JSON object") from None

    def chat_id(self) -> _Int:
        value = self.values.get("chat_id")
        try:
            return int(value)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise bad_request("chat not found") from None
