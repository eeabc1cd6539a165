"""All configuration, read once from ``KRINGLOOP_*`` environment variables."""

from __future__ import annotations

import ipaddress
from datetime import date
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from zoneinfo import ZoneInfo

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET = "insecure-development-secret-change-me"
DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///./data/kringloop.db"


class InsecureSettingsError(RuntimeError):
    """Raised when production settings would be unsafe to run with."""


# Where the reliability tests may pause a process to kill it (service/pausepoints.py uses them by name).
PAUSE_POINTS = ("donation-run.drafted", "import.chunk-written")


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
    # The organisation's language (nl or en): for jobs, the CLI, new charities' statements, and a person whose
    # profile and browser name no language Kringloop speaks.
    lang: str = "nl"
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
    # Fault-based replacement (service/faults/policy.py): replace when a repair costs more than this share of the
    # device's market value as a working unit, priced by the current valuation policy (its retention curves and
    # grade factors, edited by admin), so both features value a device the same way.
    replacement_max_repair_share: Decimal = Field(default=Decimal("0.50"), ge=0, le=10)
    # Lifetime figures compare the age at replacement with a fixed refresh cycle of this many months.
    replacement_baseline_months: int = Field(default=36, ge=1, le=240)
    # One for one: devices of these categories bought on or after the start date owe one e-waste compensation.
    compensation_categories: str = "laptop,phone,tablet"
    compensation_start_date: date = date(2023, 1, 1)
    # The compensation partner's API; empty means the built-in fake partner.
    compensation_partner_url: str = ""
    compensation_partner_token: str = ""
    compensation_partner_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # The compensation job's schedule as a five-field crontab (daily at 02:30 by default).
    compensation_cron: str = "30 2 * * *"
    compensation_batch_size: int = Field(default=100, ge=1, le=1000)
    compensation_max_batches_per_run: int = Field(default=50, ge=1, le=10_000)
    # A failed batch waits this long before its first retry, doubling per attempt up to a day.
    compensation_retry_seconds: int = Field(default=900, ge=1)
    # Donations: the run's schedule as a five-field crontab (quarterly, 06:00 on the first day, by default).
    donations_cron: str = "0 6 1 1,4,7,10 *"
    # Above this amount two different finance users, neither the submitter, approve a donation (EUR 10,000).
    donation_two_approvers_above_cents: int = Field(default=1_000_000, ge=0)
    # The donor printed on statements (reference/statements.md: name, address, chamber of commerce number, RSIN).
    donor_name: str = ""
    donor_address: str = ""
    donor_kvk_number: str = ""
    donor_rsin: str = ""
    # Statement delivery to the charities' webhooks: how often the job looks, how often it tries, how long it waits.
    statement_delivery_interval_seconds: int = Field(default=60, ge=5)
    statement_delivery_max_attempts: int = Field(default=8, ge=1, le=50)
    statement_delivery_backoff_seconds: int = Field(default=60, ge=1)
    charity_webhook_timeout_seconds: float = Field(default=10.0, gt=0, le=120)
    # Wipes: a device retired longer than this without its verified certificates is flagged overdue.
    wipe_overdue_days: int = Field(default=14, ge=1, le=365)
    # A wipe tool's report file (PDF, XML or JSON) is at most this large; one upload carries at most this many
    # files and this many bytes in all.
    wipe_report_max_bytes: int = Field(default=5 * 1024 * 1024, ge=1024, le=100 * 1024 * 1024)
    wipe_upload_max_files: int = Field(default=20, ge=1, le=500)
    wipe_upload_max_bytes: int = Field(default=50 * 1024 * 1024, ge=1024, le=1024 * 1024 * 1024)
    # Device imports (service/imports): the largest file an upload may send (200 MB is about a million rows), and
    # where the upload page keeps a file while its import runs in the background, and the per-row report after
    # (default: "imports" beside the SQLite file, else ./data/imports). Several app instances behind a load
    # balancer need this directory on storage they share.
    import_max_bytes: int = Field(default=200 * 1024 * 1024, ge=1024, le=4 * 1024 * 1024 * 1024)
    import_dir: Path | None = None
    # The daily import-files job removes upload-page reports older than this (the runs and their counts stay).
    import_report_days: int = Field(default=30, ge=1, le=3650)
    # Where people reach this installation: a label's QR code encodes {base_url}/devices/{id}.
    base_url: str = Field(default="http://127.0.0.1:8000", pattern=r"^https?://[^/\s]+(/\S*)?$")
    # One label PDF holds at most this many labels (10 A4 sheets of 24), so a filter left empty cannot ask for
    # the whole fleet at once.
    label_max_per_request: int = Field(default=240, ge=1, le=1000)
    # A stock-taking list upload takes at most this many lines.
    stock_audit_upload_max_lines: int = Field(default=5000, ge=1, le=100_000)
    # Tests only (service/pausepoints.py): pause at this named point so a test can kill the process there.
    test_pause_at: str = ""
    test_pause_signal_file: Path | None = None
    test_pause_seconds: float = Field(default=60.0, ge=0, le=600)
    # Addresses or networks (comma-separated, e.g. "10.0.0.5,192.168.0.0/24") whose scrapers read /metrics without
    # a token; empty means only an admin's bearer token does. Matched against the address uvicorn reports (behind a
    # proxy, the forwarded address only when the proxy is trusted through FORWARDED_ALLOW_IPS).
    metrics_allowed_ips: str = ""
    # Host names the app answers to (comma-separated, "*.example.org" for subdomains); empty answers any. Behind a
    # proxy that forwards the Host header this refuses requests for other names (DNS rebinding, forged links).
    allowed_hosts: str = ""

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if not self.demo_mode and self.secret_key == DEFAULT_SECRET:
            raise InsecureSettingsError(
                "KRINGLOOP_SECRET_KEY is the built-in development default; set a long random secret "
                "for production, or set KRINGLOOP_DEMO_MODE=true to try Kringloop with demo data."
            )
        if len(self.secret_key) < 16:
            raise InsecureSettingsError("KRINGLOOP_SECRET_KEY must be at least 16 characters long.")
        if self.test_pause_at and self.test_pause_at.partition(":")[0] not in PAUSE_POINTS:
            raise ValueError(f"KRINGLOOP_TEST_PAUSE_AT names no pause point; known: {', '.join(PAUSE_POINTS)}")
        ZoneInfo(self.timezone)  # fail at start, not at the first rendered page
        if self.lang not in ("nl", "en"):
            raise ValueError(f"KRINGLOOP_LANG must be nl or en, not {self.lang!r}")
        try:
            _check_crontab(self.donations_cron)
        except ValueError as exc:
            raise ValueError(f"KRINGLOOP_DONATIONS_CRON is not a five-field crontab: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_compensation(self) -> Settings:
        known = ("laptop", "phone", "tablet", "desktop", "monitor", "other")
        unknown = [c for c in self.compensation_category_list if c not in known]
        if unknown:
            message = f"unknown category {unknown[0]!r}; use {', '.join(known)}"
            raise ValueError(f"KRINGLOOP_COMPENSATION_CATEGORIES: {message}")
        try:
            _check_crontab(self.compensation_cron)
        except ValueError as exc:
            raise ValueError(f"KRINGLOOP_COMPENSATION_CRON is not a five-field crontab: {exc}") from None
        return self

    @model_validator(mode="after")
    def _check_metrics_networks(self) -> Settings:
        try:
            _ = self.metrics_networks
        except ValueError as exc:
            raise ValueError(f"KRINGLOOP_METRICS_ALLOWED_IPS: {exc}") from None
        return self

    @cached_property
    def metrics_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        parts = (p.strip() for p in self.metrics_allowed_ips.split(","))
        return tuple(ipaddress.ip_network(p, strict=False) for p in parts if p)

    @property
    def allowed_host_list(self) -> list[str]:
        return [h.strip() for h in self.allowed_hosts.split(",") if h.strip()]

    @property
    def compensation_category_list(self) -> tuple[str, ...]:
        return tuple(c.strip().lower() for c in self.compensation_categories.split(",") if c.strip())

    @cached_property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def imports_path(self) -> Path:
        if self.import_dir is not None:
            return self.import_dir
        database = self.sqlite_path()
        return database.parent / "imports" if database is not None else Path("./data/imports")

    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split(":///", 1)[1]
        return None if path in ("", ":memory:") else Path(path)


def _check_crontab(crontab: str) -> None:
    """Raises ValueError unless APScheduler takes the crontab (as the jobs will hand it over)."""
    from apscheduler.triggers.cron import CronTrigger

    from service.jobs.crontab import cron_fields

    CronTrigger(**cron_fields(crontab))
