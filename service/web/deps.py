"""Dependencies every controller shares: the request's unit of work, the actor, the registry rules."""

from __future__ import annotations

from collections.abc import AsyncGenerator
from datetime import datetime, timedelta
from typing import Annotated, Any

from litestar import Request, Response
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncConnection
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.service import Principal
from service.compensation.service import compensation_rules
from service.context import Actor
from service.devices.service import RegistryRules
from service.idempotency.service import run_once
from service.pagination import MAX_LIMIT
from service.settings import Settings

# Handlers name what they need by these aliases; Litestar 3 will no longer infer dependencies by name.
DbSession = NamedDependency[AsyncSession]
ReadConnection = NamedDependency[AsyncConnection]
CurrentActor = NamedDependency[Actor]
Rules = NamedDependency[RegistryRules]
AppSettings = NamedDependency[Settings]
# The page size every list route takes (?limit=, default 50); the bounds of service/pagination.py.
PageLimit = Annotated[int, Parameter(ge=1, le=MAX_LIMIT)]


async def provide_session(state: State) -> AsyncGenerator[AsyncSession, None]:
    """One transaction per request: committed when the handler succeeds, rolled back otherwise."""
    async with state.sessionmaker() as session:
        try:
            yield session
        except BaseException:
            await session.rollback()
            raise
        else:
            await session.commit()


async def provide_read_connection(state: State) -> AsyncGenerator[AsyncConnection, None]:
    """A connection for a handler that only reads, and never writes.

    On PostgreSQL it runs in autocommit: one statement sees one snapshot either way, so the BEGIN and COMMIT
    round trips of :func:`provide_session` would buy nothing and cost two of the three round trips; and no
    ORM session is built for a read that loads no entities.
    """
    async with state.engine.connect() as conn:
        if not state.settings.is_sqlite:
            await conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn


def provide_actor(request: Request[Principal, Any, Any]) -> Actor:
    p = request.user
    return Actor(
        name=p.username,
        user_id=p.id,
        role=p.role,
        charity_id=p.charity_id,
        correlation_id=getattr(request.state, "correlation_id", ""),
    )


def provide_settings(state: State) -> Settings:
    return state.settings


def provide_rules(state: State) -> RegistryRules:
    settings: Settings = state.settings
    return RegistryRules(
        max_purchase_price_cents=settings.max_purchase_price_cents,
        today=datetime.now(settings.tz).date(),
        compensation=compensation_rules(settings),
    )


async def created(
    request: Request[Principal, Any, Any],
    session: AsyncSession,
    body: Any,
    create: Any,
) -> Response[Any]:
    """Runs a create use case under the request's ``Idempotency-Key``, if it sent one."""
    settings: Settings = request.app.state.settings
    route = f"{request.method} {request.url.path}"
    status, payload, replayed = await run_once(
        session,
        user_id=request.user.id,
        route=route,
        key=request.headers.get("idempotency-key"),
        body=body.model_dump(mode="json"),
        ttl=timedelta(hours=settings.idempotency_ttl_hours),
        create=create,
    )
    return Response(payload, status_code=status, headers={"Idempotent-Replayed": "true"} if replayed else None)
