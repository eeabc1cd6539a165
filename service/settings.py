"""All configuration, read once from ``KRINGLOOP_*`` environment variables."""

from __future__ import annotations

from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-development-secret-change-me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/kringloop.db"


class InsecureSettingsError(RuntimeError):
    """Raised when production settings would be unsafe to run with."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="KRINGLOOP_", extra="ignore", env_ignore_empty=True)

    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    secret_key: str = DEFAULT_SECRET
    # Demo mode off means production (API.md): demo data and demo logins exist only in demo mode.
    demo_mode: bool = False
    scheduler_enabled: bool = True
    timezone: str = "Europe/Amsterdam"
    currency: str = "EUR"
    log_level: str = "INFO"
    log_json: bool = False

    token_ttl_seconds: int = Field(default=8 * 3600, ge=60)
    session_ttl_seconds: int = Field(default=12 * 3600, ge=60)
    # Seconds a request may trust a cached user row; bounds how long a deactivation takes to bite.
    auth_cache_seconds: float = Field(default=5.0, ge=0)
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=15 * 60, ge=1)
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024)
    # Above this a purchase price is far more likely a typo (cents typed as euros) than a real device.
    max_purchase_price_cents: int = Field(default=100_000_00, ge=1)
    idempotency_ttl_hours: int = Field(default=24, ge=1)
    cookie_secure: bool = False
    bench_routes: bool = False

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.demo_mode and self.secret_key == DEFAULT_SECRET:
            raise InsecureSettingsError(
                "KRINGLOOP_SECRET_KEY is the built-in development default; set a long random secret "
                "for production, or set KRINGLOOP_DEMO_MODE=true to try Kringloop with demo data."
            )
        if len(self.secret_key) < 16:
            raise InsecureSettingsError("KRINGLOOP_SECRET_KEY must be at least 16 characters long.")
        ZoneInfo(self.timezone)  # fail at start, not at the first rendered page
        return self

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)
