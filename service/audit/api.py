from __future__ import annotations

from typing import Annotated

from litestar import Controller, get
from litestar.params import QueryParameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.audit import service
from service.audit.schemas import AuditPage, AuditRecordOut, VerifyOut
from service.web.deps import DbSession, PageLimit


class AuditController(Controller):
    path = "/api/v1/audit"
    tags = ["audit"]
    guards = [requires(Permission.read_audit)]

    @get("/")
    async def list_records(
        self,
        session: DbSession,
        entity_type: str | None = None,
        entity_id: str | None = None,
        actor_name: Annotated[str | None, QueryParameter(name="actor", description="who acted")] = None,
        cursor: str | None = None,
        limit: PageLimit = 100,
    ) -> AuditPage:
        page = await service.list_records(
            session, entity_type=entity_type, entity_id=entity_id, actor=actor_name, cursor=cursor, limit=limit
        )
        return AuditPage(
            items=[AuditRecordOut.model_validate(r, from_attributes=True) for r in page.items],
            next_cursor=page.next_cursor,
        )

    @get("/verify")
    async def verify(self, session: DbSession) -> VerifyOut:
        result = await service.verify_chain(session)
        return VerifyOut(
            ok=result.ok,
            checked=result.checked,
            head_seq=result.head_seq,
            first_broken_seq=result.broken.seq if result.broken else None,
            reason=result.broken.reason if result.broken else None,
        )
