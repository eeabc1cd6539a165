from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.params import JSONBody

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.custom_fields import repository, service
from service.custom_fields.schemas import FieldCreate, FieldList, FieldOut, FieldUpdate, field_out
from service.web.deps import CurrentActor, DbSession, created


class CustomFieldController(Controller):
    path = "/api/v1/custom-fields"
    tags = ["custom fields"]
    guards = [requires(Permission.read_registry)]

    @get("/")
    async def list_fields(self, session: DbSession) -> FieldList:
        """Every custom field, by name: a handful, so one page."""
        counts = await repository.value_counts(session)
        return FieldList(items=[field_out(r, counts.get(r.id, 0)) for r in await repository.field_rows(session)])

    @post("/", guards=[requires(Permission.administer)])
    async def create_field(
        self, request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor, data: JSONBody[FieldCreate]
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            field = await service.create_field(session, actor, data)
            return 201, field_out(field, 0).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{field_id:int}")
    async def get_field(self, session: DbSession, field_id: int) -> FieldOut:
        field = await service.get_field(session, field_id)
        return field_out(field, await repository.count_values(session, field_id))

    @patch("/{field_id:int}", guards=[requires(Permission.administer)])
    async def update_field(
        self, session: DbSession, actor: CurrentActor, field_id: int, data: JSONBody[FieldUpdate]
    ) -> FieldOut:
        field = await service.update_field(session, actor, field_id, data)
        return field_out(field, await repository.count_values(session, field_id))

    @delete("/{field_id:int}", guards=[requires(Permission.administer)])
    async def delete_field(self, session: DbSession, actor: CurrentActor, field_id: int) -> None:
        """Removes the field and every device's value of it (the audit record counts them)."""
        await service.delete_field(session, actor, field_id)
