from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from litestar import Response, get
from litestar.datastructures import State

from service.web.problems import problem


@get("/health/live", tags=["health"], summary="The process is up")
async def live() -> dict[str, str]:
    return {"status": "ok"}


@get("/health/ready", tags=["health"], summary="The database answers and is migrated")
async def ready(state: State) -> Response[Any]:
    try:
        async with state.engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1 FROM audit_chain_head"))
    except Exception as exc:
        return problem(
            503, "Not ready", f"The database is not reachable or not migrated: {type(exc).__name__}", slug="not-ready"
        )
    return Response({"status": "ok", "database": state.engine.dialect.name})
