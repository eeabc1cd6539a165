from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from litestar import Controller, Request, Response, get, patch, post
from litestar.datastructures import State
from litestar.di import Provide
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.device_models.schemas import Category
from service.devices import repository, service
from service.devices.lifecycle import Move
from service.devices.schemas import (
    AssignBody,
    DeviceCreate,
    DeviceOut,
    DevicePage,
    DeviceUpdate,
    EventOut,
    EventPage,
    ReasonBody,
    RepairBody,
    ReturnBody,
    UnassignBody,
)
from service.imports.export import csv_chunks
from service.money import format_cents, parse_amount
from service.pagination import DEFAULT_LIMIT
from service.web.deps import CurrentActor, DbSession, PageLimit, ReadConnection, Rules, created, provide_read_connection
from service.web.downloads import CsvStream


def device_out(row: sa.Row[Any], currency: str, custom: dict[str, Any]) -> DeviceOut:
    values = row._asdict()
    values["purchase_price"] = format_cents(values.pop("purchase_price_cents"))
    return DeviceOut(**values, currency=currency, custom_fields=custom)


async def one_device_out(db: Any, device_id: int, currency: str) -> DeviceOut:
    row = await repository.device_view(db, device_id)
    custom = await repository.custom_values(db, [device_id])
    return device_out(row, currency, custom.get(device_id, {}))


async def devices_csv_response(state: State, **filters: Any) -> CsvStream:
    repository.check_statuses(filters.get("status"))  # a 422 must come before the streamed 200 starts
    stamp = datetime.now(state.settings.tz).strftime("%Y%m%d")
    fields = await repository.export_fields(state.engine)
    return CsvStream(
        csv_chunks(repository.export_pages(state.engine, custom_fields=fields, **filters), custom_fields=fields),
        media_type="text/csv",  # Litestar appends "; charset=utf-8" to text types itself
        headers={"Content-Disposition": f'attachment; filename="devices-{stamp}.csv"'},
    )


LIST_HELP = (
    "Custom fields filter too: `cf.<key>=value` for equality (any type), `cf.<key>.gte=` and `cf.<key>.lte=` for "
    "a range of a number or date field (GET /api/v1/custom-fields lists the keys). An unknown key or a value that "
    "does not fit the field is a 422 naming the parameter."
)


def _cents(text: str | None) -> int | None:
    return None if text is None else parse_amount(text)


class DeviceController(Controller):
    path = "/api/v1/devices"
    tags = ["devices"]
    guards = [requires(Permission.read_registry)]

    @get("/", description=LIST_HELP)
    async def list_devices(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: DbSession,
        status: list[str] | None = Parameter(default=None, description="one or more statuses"),
        holder_id: int | None = None,
        model_id: int | None = None,
        category: Category | None = None,
        q: str | None = Parameter(default=None, description="asset tag, serial, model or holder name contains"),
        company_id: int | None = Parameter(default=None, ge=1, description="only this company's devices"),
        cost_centre: str | None = Parameter(default=None, max_length=64, description="only this cost centre's"),
        sort: str | None = Parameter(
            default=None,
            pattern=r"^-?(id|cf\.[A-Za-z0-9_]+)$",
            description="id (the default), or cf.<key> to sort by a custom field; -cf.<key> for descending. Devices "
            "without a value come last; the cursor keeps the order.",
        ),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
        format: str = Parameter(
            default="json",
            pattern="^(json|csv)$",
            description="csv: every matching device, streamed, in the import format (cursor and limit ignored)",
        ),
    ) -> DevicePage:
        params = dict(request.query_params)
        if format == "csv":
            # The download reads through the engine, page by page; the request's session stays unused (on SQLite
            # its write transaction would lock the download's reads out).
            async with state.engine.connect() as conn:
                custom = await repository.custom_filters(conn, params)
            # Litestar sends a returned Response as it is; the annotation keeps the JSON page in the OpenAPI schema.
            return await devices_csv_response(  # type: ignore[return-value]
                state, status=status, holder_id=holder_id, model_id=model_id, category=category, q=q, custom=custom,
                company_id=company_id, cost_centre=cost_centre,
            )  # fmt: skip
        custom = await repository.custom_filters(session, params)
        order = await repository.sort_of(session, sort)
        page = await repository.list_device_views(
            session,
            status=status,
            holder_id=holder_id,
            model_id=model_id,
            category=category,
            q=q,
            custom=custom,
            company_id=company_id,
            cost_centre=cost_centre,
            sort=order,
            cursor=cursor,
            limit=limit,
        )
        currency = state.settings.currency
        values = await repository.custom_values(session, [r.id for r in page.items])
        items = [device_out(r, currency, values.get(r.id, {})) for r in page.items]
        return DevicePage(items=items, next_cursor=page.next_cursor)

    @post("/", guards=[requires(Permission.change_registry)])
    async def register(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: DbSession,
        actor: CurrentActor,
        rules: Rules,
        data: JSONBody[DeviceCreate],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            device = await service.register_device(session, actor, data, rules)
            assert device.id is not None
            return 201, (await one_device_out(session, device.id, state.settings.currency)).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/{device_id:int}", dependencies={"conn": Provide(provide_read_connection)})
    async def get_device(self, state: State, conn: ReadConnection, device_id: int) -> DeviceOut:
        return await one_device_out(conn, device_id, state.settings.currency)

    @patch("/{device_id:int}", guards=[requires(Permission.change_registry)])
    async def update(
        self,
        state: State,
        session: DbSession,
        actor: CurrentActor,
        rules: Rules,
        device_id: int,
        data: JSONBody[DeviceUpdate],
    ) -> DeviceOut:
        await service.update_device(session, actor, device_id, data, rules)
        return await one_device_out(session, device_id, state.settings.currency)

    @get("/{device_id:int}/events")
    async def events(
        self,
        session: DbSession,
        device_id: int,
        cursor: str | None = None,
        limit: PageLimit = 100,
    ) -> EventPage:
        page = await repository.list_events(session, device_id, cursor=cursor, limit=limit)
        items = [EventOut.model_validate(e, from_attributes=True) for e in page.items]
        return EventPage(items=items, next_cursor=page.next_cursor)

    async def _moved(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, move: Move, **kwargs: Any
    ) -> DeviceOut:
        await service.move_device(session, actor, device_id, move, **kwargs)
        return await one_device_out(session, device_id, state.settings.currency)

    @post("/{device_id:int}/assign", guards=[requires(Permission.change_registry)], status_code=200)
    async def assign(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[AssignBody]
    ) -> DeviceOut:
        return await self._moved(
            state, session, actor, device_id, Move.assign, holder_id=data.employee_id, expected_version=data.version
        )

    @post("/{device_id:int}/unassign", guards=[requires(Permission.change_registry)], status_code=200)
    async def unassign(
        self,
        state: State,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: JSONBody[UnassignBody | None] = None,
    ) -> DeviceOut:
        body = data or UnassignBody()
        return await self._moved(
            state, session, actor, device_id, Move.unassign, reason=body.reason, expected_version=body.version
        )

    @post("/{device_id:int}/repair", guards=[requires(Permission.change_registry)], status_code=200)
    async def repair(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[RepairBody]
    ) -> DeviceOut:
        details = {"supplier": data.supplier, "expected_cost_cents": _cents(data.expected_cost)}
        return await self._moved(
            state,
            session,
            actor,
            device_id,
            Move.repair,
            reason=data.reason,
            details=details,
            expected_version=data.version,
        )

    @post("/{device_id:int}/return", guards=[requires(Permission.change_registry)], status_code=200)
    async def return_from_repair(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[ReturnBody]
    ) -> DeviceOut:
        details = {"cost_cents": _cents(data.cost), "outcome": data.outcome}
        return await self._moved(
            state,
            session,
            actor,
            device_id,
            Move.return_from_repair,
            reason=data.notes,
            details=details,
            expected_version=data.version,
        )

    @post("/{device_id:int}/retire", guards=[requires(Permission.change_registry)], status_code=200)
    async def retire(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[ReasonBody]
    ) -> DeviceOut:
        return await self._moved(
            state, session, actor, device_id, Move.retire, reason=data.reason, expected_version=data.version
        )

    @post("/{device_id:int}/lost", guards=[requires(Permission.change_registry)], status_code=200)
    async def report_lost(
        self, state: State, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[ReasonBody]
    ) -> DeviceOut:
        return await self._moved(
            state, session, actor, device_id, Move.report_lost, reason=data.reason, expected_version=data.version
        )
