from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, patch, post
from litestar.params import JSONBody

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.device_models import service
from service.device_models.models import DeviceModel
from service.device_models.schemas import (
    Category,
    DeviceModelCreate,
    DeviceModelOut,
    DeviceModelPage,
    DeviceModelUpdate,
    score_text,
)
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, Rules, created


def model_out(model: DeviceModel) -> DeviceModelOut:
    return DeviceModelOut.model_validate(
        {**model.model_dump(), "repairability_score": score_text(model.repairability_tenths)}
    )


class DeviceModelController(Controller):
    path = "/api/v1/device-models"
    tags = ["device models"]
    guards = [requires(Permission.read_registry)]

    @get("/")
    async def list_models(
        self,
        session: DbSession,
        category: Category | None = None,
        q: str | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> DeviceModelPage:
        page = await service.list_models(session, category=category, q=q, cursor=cursor, limit=limit)
        return DeviceModelPage(items=[model_out(m) for m in page.items], next_cursor=page.next_cursor)

    @post("/", guards=[requires(Permission.change_registry)])
    async def create_model(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        data: JSONBody[DeviceModelCreate],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            model = await service.create_model(session, actor, data)
            return 201, model_out(model).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{model_id:int}")
    async def get_model(self, session: DbSession, model_id: int) -> DeviceModelOut:
        return model_out(await service.get_model(session, model_id))

    @patch("/{model_id:int}", guards=[requires(Permission.change_registry)])
    async def update_model(
        self, session: DbSession, actor: CurrentActor, rules: Rules, model_id: int, data: JSONBody[DeviceModelUpdate]
    ) -> DeviceModelOut:
        return model_out(await service.update_model(session, actor, model_id, data, rules.compensation))
