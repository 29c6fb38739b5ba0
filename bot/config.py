"""Configuration from environment variables (and a `.env` file in the working directory).

The names and defaults are SPEC.md's contract. `load_settings()` turns every validation problem into
one readable line per variable, so a deployer sees what to fix instead of a traceback.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///data/bot.db"
REPOSITORY_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(Exception):
    """Configuration that cannot work; the message is meant for the deployer."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", env_ignore_empty=True)

    telegram_bot_token: SecretStr | None = None
    telegram_api_base_url: str = "https://api.telegram.org/bot"
    database_url: str = DEFAULT_DATABASE_URL
    operator_ids: Annotated[frozenset[int], NoDecode] = frozenset()
    content_dir: Path = REPOSITORY_ROOT / "content"
    send_rate_limit: float = Field(default=25, gt=0, le=1000)
    # How long a claimed send blocks a retry; after a crash, what was in flight is sent again
    # once its lease has run out.
    delivery_lease_seconds: float = Field(default=300, gt=0, le=86400)

    bot_mode: Literal["polling", "webhook"] = "polling"
    webhook_url: str | None = None
    webhook_secret: SecretStr | None = None
    webhook_listen: str = "0.0.0.0"
    webhook_port: int = Field(default=8080, ge=1, le=65535)
    # /healthz and /metrics: a listener of their own, private unless a deployer opens it.
    metrics_listen: str = "127.0.0.1"
    metrics_port: int = Field(default=8081, ge=1, le=65535)

    log_format: Literal["text", "json"] = "text"
    log_level: str = "INFO"

    @field_validator("operator_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        if isinstance(value, str):
            parts = [p.strip() for p in value.split(",") if p.strip()]
            try:
                return frozenset(int(p) for p in parts)
            except ValueError:
                raise ValueError("must be comma-separated Telegram user ids, e.g. 12345,67890") from None
        return value

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str) -> str:
        if value.startswith("postgresql://") or value.startswith("postgres://"):
            # A plain URL would pick a sync driver; the bot is async throughout.
            return "postgresql+asyncpg://" + value.split("://", 1)[1]
        if value.startswith("sqlite:///"):
            return "sqlite+aiosqlite:///" + value.removeprefix("sqlite:///")
        if not (value.startswith("sqlite+aiosqlite://") or value.startswith("postgresql+asyncpg://")):
            raise ValueError("use sqlite+aiosqlite:///path/to/bot.db or postgresql+asyncpg://user@host/db")
        return value

    @model_validator(mode="after")
    def _webhook_needs_url_and_secret(self) -> Settings:
        if self.bot_mode == "webhook":
            missing = [n for n in ("webhook_url", "webhook_secret") if getattr(self, n) is None]
            if missing:
                raise ValueError(f"BOT_MODE=webhook needs {', '.join(m.upper() for m in missing)}")
        return self

    @property
    def token(self) -> str:
        if self.telegram_bot_token is None or not self.telegram_bot_token.get_secret_value().strip():
            raise ConfigError(
                "TELEGRAM_BOT_TOKEN is not set: put your bot's token from @BotFather in the "
                "environment or in a .env file (see .env.example)."
            )
        return self.telegram_bot_token.get_secret_value().strip()

    def is_operator(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.operator_ids


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        lines = []
        for error in exc.errors():
            name = "_".join(str(p) for p in error["loc"]).upper() or "configuration"
            lines.append(f"{name}: {error['msg'].removeprefix('Value error, ')}")
        raise ConfigError("Invalid configuration: " + "; ".join(lines)) from None
