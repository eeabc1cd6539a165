"""The application factory: everything is built here from settings, nothing at import time."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import date, datetime
from pathlib import Path
from typing import Any

from litestar import Litestar
from litestar.config.allowed_hosts import AllowedHostsConfig
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import Provide
from litestar.middleware import DefineMiddleware
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.static_files import create_static_files_router
from litestar.template import TemplateConfig

from service.accounts.api import AuthController, ProfileController, UserController
from service.accounts.auth import PUBLIC_PATHS, AuthMiddleware, PrincipalCache, make_signers
from service.accounts.views import PROFILE_VIEW_HANDLERS
from service.audit.api import AuditController
from service.bootstrap import build_ports, declared_jobs, wire_features
from service.charities.api import CharityController
from service.charities.views import CHARITY_VIEW_HANDLERS
from service.companies.api import CompanyController
from service.companies.views import COMPANY_VIEW_HANDLERS
from service.compensation.api import CompensationController
from service.compensation.views import COMPENSATION_VIEW_HANDLERS
from service.custom_fields.api import CustomFieldController
from service.custom_fields.openapi import custom_fields_in_schema
from service.custom_fields.views import CUSTOM_FIELD_VIEW_HANDLERS
from service.db import make_engine, make_sessionmaker
from service.device_models.api import DeviceModelController
from service.devices.api import DeviceController
from service.donations.api import DonationController
from service.donations.views import DONATION_VIEW_HANDLERS
from service.employees.api import EmployeeController
from service.faults.api import FAULT_API_HANDLERS
from service.faults.views import FAULT_VIEW_HANDLERS, FAULTS_SECTION
from service.i18n import (
    LOCALE_NAMES,
    current_locale,
    format_day,
    format_moment,
    format_money,
    format_number,
    gettext,
    ngettext,
    set_default_locale,
)
from service.impact.api import ImpactController
from service.impact.views import IMPACT_VIEW_HANDLERS
from service.imports.api import import_routes
from service.imports.views import IMPORT_VIEW_HANDLERS, UPLOAD_VIEW_HANDLERS
from service.jobs.api import JobController
from service.jobs.scheduler import build_scheduler
from service.jobs.views import JOB_VIEW_HANDLERS
from service.labels.api import LABEL_API_HANDLERS
from service.labels.views import LABEL_VIEW_HANDLERS
from service.logging import configure_logging
from service.metrics.api import metrics
from service.metrics.middleware import MetricsMiddleware
from service.money import format_cents
from service.pool.api import PoolController, fleet_value
from service.pool.views import POOL_VIEW_HANDLERS
from service.settings import Settings
from service.stocktaking.api import StockAuditController
from service.stocktaking.views import STOCKTAKING_VIEW_HANDLERS
from service.valuation.api import DeviceValuationController, ValuationController, ValuationPolicyController
from service.valuation.views import VALUATION_VIEW_HANDLERS
from service.web import health
from service.web.deps import provide_actor, provide_rules, provide_session, provide_settings
from service.web.locale import LocaleMiddleware
from service.web.middleware import CorrelationIdMiddleware
from service.web.openapi import document_downloads, document_problems
from service.web.problems import EXCEPTION_HANDLERS
from service.web.views import VIEW_HANDLERS
from service.wipes.api import wipe_routes
from service.wipes.views import WIPE_UPLOAD_VIEW_HANDLERS, WIPE_VIEW_HANDLERS, WIPES_SECTION

PACKAGE_DIR = Path(__file__).parent
VERSION = "0.1.0"


def _template_engine_callback(settings: Settings) -> Any:
    def configure(engine: JinjaTemplateEngine) -> None:
        env = engine.engine
        tz = settings.tz
        # Every date, number and amount a page shows is formatted here, in the request's language (service/i18n.py).
        def local_time(value: datetime | None, fmt: str = "%d %b %Y %H:%M") -> str:
            if value is None:
                return ""
            if "%H" not in fmt:  # a day, as that day was in the configured time zone
                return format_day(value.astimezone(tz).date())
            return format_moment(value, tz)

        def local_date(value: date | str | None) -> str:
            if isinstance(value, str):  # an ISO date from a report document (the impact report)
                value = date.fromisoformat(value) if value else None
            return "" if value is None else format_day(value)

        def money(value: int | str | None, currency: str | None = None) -> str:
            return "" if value is None or value == "" else format_money(value, currency or settings.currency)

        def number(value: int | str | None) -> str:
            return "" if value is None else format_number(value)

        env.add_extension("jinja2.ext.i18n")
        env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
        env.filters["local_time"] = local_time
        env.filters["local_date"] = local_date
        # Plain decimal ("1234.50"), for form fields a person edits; shown amounts use ``money``.
        env.filters["cents"] = format_cents
        env.filters["money"] = money
        env.filters["number"] = number
        env.globals.update(
            settings=settings,
            currency=settings.currency,
            app_version=VERSION,
            current_locale=current_locale,
            locale_names=LOCALE_NAMES,
        )

    return configure


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or Settings()
    configure_logging(settings.log_level, settings.log_json)
    set_default_locale(settings.lang)
    wire_features()
    engine = make_engine(settings)
    api_tokens, session_tokens = make_signers(
        settings.secret_key, settings.token_ttl_seconds, settings.session_ttl_seconds
    )

    sessionmaker = make_sessionmaker(engine)
    ports = build_ports(settings)
    jobs = declared_jobs(settings)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        # Every instance may run the scheduler: jobs claim their slot in the database (service/jobs).
        scheduler = build_scheduler(sessionmaker, jobs, ports, settings) if settings.scheduler_enabled else None
        if scheduler is not None:
            scheduler.start()
        try:
            yield
        finally:
            if scheduler is not None:
                scheduler.shutdown(wait=False)
            await engine.dispose()

    route_handlers: list[Any] = [
        health.live,
        health.ready,
        metrics,
        AuthController,
        UserController,
        ProfileController,
        CompanyController,
        EmployeeController,
        DeviceModelController,
        CustomFieldController,
        DeviceController,
        AuditController,
        JobController,
        DeviceValuationController,
        ValuationController,
        ValuationPolicyController,
        PoolController,
        fleet_value,
        CharityController,
        DonationController,
        *VIEW_HANDLERS,
        *PROFILE_VIEW_HANDLERS,
        *CUSTOM_FIELD_VIEW_HANDLERS,
        *COMPANY_VIEW_HANDLERS,
        *JOB_VIEW_HANDLERS,
        *POOL_VIEW_HANDLERS,
        *VALUATION_VIEW_HANDLERS,
        *CHARITY_VIEW_HANDLERS,
        *DONATION_VIEW_HANDLERS,
        *FAULT_API_HANDLERS,
        CompensationController,
        *FAULT_VIEW_HANDLERS,
        *COMPENSATION_VIEW_HANDLERS,
        *wipe_routes(settings, WIPE_UPLOAD_VIEW_HANDLERS),
        *WIPE_VIEW_HANDLERS,
        *import_routes(settings, UPLOAD_VIEW_HANDLERS),
        *IMPORT_VIEW_HANDLERS,
        ImpactController,
        *IMPACT_VIEW_HANDLERS,
        *LABEL_API_HANDLERS,
        *LABEL_VIEW_HANDLERS,
        StockAuditController,
        *STOCKTAKING_VIEW_HANDLERS,
        create_static_files_router(path="/static", directories=[PACKAGE_DIR / "static"], include_in_schema=False),
    ]
    if settings.bench_routes:
        from service.web.bench import bench_device_raw

        route_handlers.append(bench_device_raw)

    app = Litestar(
        route_handlers=route_handlers,
        # Logging is configured once by service.logging (structlog for ours and the libraries' records alike).
        logging_config=None,
        lifespan=[lifespan],
        on_startup=[document_downloads],
        dependencies={
            "session": Provide(provide_session),
            "actor": Provide(provide_actor, sync_to_thread=False),
            "rules": Provide(provide_rules, sync_to_thread=False),
            "settings": Provide(provide_settings, sync_to_thread=False),
        },
        middleware=[
            CorrelationIdMiddleware,
            custom_fields_in_schema,
            LocaleMiddleware,  # the browser's language, for what comes before sign-in
            MetricsMiddleware,
            # /metrics decides itself: an allowed scraper address needs no token (service/metrics/api.py).
            DefineMiddleware(AuthMiddleware, exclude=[*PUBLIC_PATHS, "^/metrics$"]),
            LocaleMiddleware,  # the signed-in person's own choice
        ],
        csrf_config=CSRFConfig(
            secret=settings.secret_key,
            exclude=["/api/", "/health/", "/bench/"],
            cookie_secure=settings.cookie_secure,
            cookie_httponly=True,
            cookie_samesite="lax",
        ),
        template_config=TemplateConfig(
            directory=PACKAGE_DIR / "templates",
            engine=JinjaTemplateEngine,
            engine_callback=_template_engine_callback(settings),
        ),
        openapi_config=OpenAPIConfig(
            title="Kringloop",
            version=VERSION,
            path="/schema",
            components=Components(security_schemes={"bearer": SecurityScheme(type="http", scheme="bearer")}),
            security=[{"bearer": []}],
        ),
        exception_handlers=EXCEPTION_HANDLERS,
        # Health probes come from the container or the load balancer under whatever Host they use.
        allowed_hosts=AllowedHostsConfig(allowed_hosts=settings.allowed_host_list, exclude=["^/health/"])
        if settings.allowed_host_list
        else None,
        request_max_body_size=settings.max_body_bytes,
        state=State(
            {
                "settings": settings,
                "engine": engine,
                "sessionmaker": sessionmaker,
                "ports": ports,
                "jobs": jobs,
                # The features' sections of the device page, in the order it draws them (devices/sections.py).
                "device_sections": (FAULTS_SECTION, WIPES_SECTION),
                "api_tokens": api_tokens,
                "session_tokens": session_tokens,
                "principal_cache": PrincipalCache(settings.auth_cache_seconds),
            }
        ),
        debug=False,
    )
    document_problems(app)
    return app
