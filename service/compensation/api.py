from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.compensation import repository, service
from service.compensation.schemas import BatchOut, BatchPage, CompensationOut, ObligationOut, RequeueBody
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit


def obligation_out(row: Any) -> ObligationOut:
    return ObligationOut.model_validate(row, from_attributes=True)


def batch_out(batch: Any) -> BatchOut:
    return BatchOut.model_validate(batch, from_attributes=True)


async def compensation_view(
    state: State, session: Any, status: str | None, cursor: str | None, limit: int
) -> CompensationOut:
    summary = await repository.summary(session, service.compensation_rules(state.settings))
    page = await repository.list_obligations(session, status=status, cursor=cursor, limit=limit)
    return CompensationOut(
        partner=state.ports.compensation.name,
        **summary,
        recent_batches=[batch_out(b) for b in await repository.recent_batches(session)],
        items=[obligation_out(r) for r in page.items],
        next_cursor=page.next_cursor,
    )


class CompensationController(Controller):
    path = "/api/v1/compensation"
    tags = ["compensation"]
    guards = [requires(Permission.read_registry)]

    @get("/", summary="One-for-one obligations by status, coverage and kg compensated")
    async def overview(
        self,
        state: State,
        session: DbSession,
        status: str | None = Parameter(default=None, description="pending, batched, compensated or rejected"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> CompensationOut:
        return await compensation_view(state, session, status, cursor, limit)

    @get("/batches", summary="Batches sent to the compensation partner")
    async def batches(
        self,
        session: DbSession,
        status: str | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> BatchPage:
        page = await repository.list_batches(session, status=status, cursor=cursor, limit=limit)
        return BatchPage(items=[batch_out(b) for b in page.items], next_cursor=page.next_cursor)

    @post(
        "/batches/{batch_id:int}/requeue",
        guards=[requires(Permission.administer)],
        status_code=200,
        summary="Put a rejected batch's obligations back in the queue (a new batch, a new key)",
    )
    async def requeue(
        self, session: DbSession, actor: CurrentActor, batch_id: int, data: JSONBody[RequeueBody]
    ) -> BatchOut:
        return batch_out(await service.requeue_rejected(session, actor, batch_id, data.reason))
