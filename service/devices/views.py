"""Device pages: the searchable list, and a device with its history and lifecycle actions (registering one:
register_views.py).

The pages call the same services as ``devices/api.py``; a refused action re-renders its page with the reason
beside the form, and leaves nothing changed.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Template
from pydantic import BaseModel
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.companies import service as companies
from service.custom_fields import repository as custom_fields
from service.devices import repository, service
from service.devices.lifecycle import DeviceStatus, Move
from service.devices.models import DeviceEvent
from service.devices.register_views import CHANGE, REGISTER_VIEW_HANDLERS, filled
from service.devices.schemas import (
    AssignBody,
    DeviceUpdate,
    ReasonBody,
    RepairBody,
    ReturnBody,
    UnassignBody,
)
from service.employees import repository as employee_repository
from service.errors import InvalidInput
from service.i18n import format_money, gettext, lazy_gettext
from service.money import decimal_point, parse_amount
from service.web.deps import CurrentActor, DbSession, Rules
from service.web.forms import Refused, cleaned, submit_form

PAGE_SIZE = 50

STATUSES = {s.value: s for s in DeviceStatus}
MOVE_LABELS = {
    Move.register.value: lazy_gettext("Registered"),
    Move.assign.value: lazy_gettext("Assigned"),
    Move.unassign.value: lazy_gettext("Unassigned"),
    Move.repair.value: lazy_gettext("Sent for repair"),
    Move.return_from_repair.value: lazy_gettext("Back from repair"),
    Move.retire.value: lazy_gettext("Retired"),
    Move.wipe.value: lazy_gettext("Wiped"),
    Move.value.value: lazy_gettext("Valued"),
    Move.dispose.value: lazy_gettext("Disposed"),
    Move.report_lost.value: lazy_gettext("Reported lost"),
}
# The moves a person makes on the device page; wipe, value and dispose happen elsewhere.
PAGE_MOVES = ("assign", "unassign", "repair", "return", "retire", "lost")
OUTCOMES = {
    "repaired": lazy_gettext("Repaired"),
    "not_repaired": lazy_gettext("Not repaired"),
    "no_fault_found": lazy_gettext("No fault found"),
}


def _is_fragment(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for the results only; a history restore (back button, cache miss) wants the whole page."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def _event_details(event: DeviceEvent, currency: str) -> list[str]:
    parts = []
    for key, value in (event.details or {}).items():
        if value is None or value == "":
            continue
        if key.endswith("_cents") and isinstance(value, int):
            label = gettext(key.removesuffix("_cents").replace("_", " "))
            parts.append(f"{label}: {format_money(value, currency)}")
        elif key == "outcome":
            parts.append(gettext("outcome: {outcome}").format(outcome=OUTCOMES.get(str(value), value)))
        elif key == "replaces_id":
            parts.append(gettext("replaces device #{id}").format(id=value))
        else:
            parts.append(f"{key.replace('_', ' ')}: {value}")
    return parts


# ---------------------------------------------------------------------------------------------------------- list


@get("/devices", guards=[requires(Permission.read_registry)], include_in_schema=False)
async def device_list(request: Request[Any, Any, Any], session: DbSession) -> Template:
    params = request.query_params
    q = (params.get("q") or "").strip()
    status = (params.get("status") or "").strip()
    cursor = params.get("cursor") or None
    if status and status not in STATUSES:
        raise InvalidInput.field("status", gettext("unknown status {status}").format(status=repr(status)))
    # The API's own filters, by the API's names: a filtered page's link and an API call look alike.
    company = (params.get("company_id") or "").strip()
    if company and not company.isdigit():
        raise InvalidInput.field("company_id", gettext("choose a company from the list"))
    cost_centre = (params.get("cost_centre") or "").strip()
    # The page's field-and-value pair is the API's cf.<key>=value; links carry the cf. form.
    chosen = {k: v for k, v in params.items() if k.startswith("cf.") and v}
    cf_field, cf_value = (params.get("cf_field") or "").strip(), (params.get("cf_value") or "").strip()
    if cf_field and cf_value:
        chosen[f"cf.{cf_field}"] = cf_value
    custom = await repository.custom_filters(session, chosen)
    sort = (params.get("sort") or "").strip()
    page = await repository.list_device_views(
        session, status=[status] if status else None, q=q or None, custom=custom, cursor=cursor, limit=PAGE_SIZE,
        company_id=int(company) if company else None, cost_centre=cost_centre or None,
        sort=await repository.sort_of(session, sort or None),
    )  # fmt: skip
    given = (("q", q), ("status", status), ("company_id", company), ("cost_centre", cost_centre), ("sort", sort),
             *chosen.items())  # fmt: skip
    filters = {k: v for k, v in given if v}
    seen = await companies.all_companies(session)
    next_url = f"/devices?{urlencode({**filters, 'cursor': page.next_cursor})}" if page.next_cursor else None
    first_url = f"/devices?{urlencode(filters)}" if filters else "/devices"
    context = {
        "devices": page.items,
        "q": q,
        "status": status,
        "statuses": list(DeviceStatus),
        "status_of": STATUSES,
        # One company: no company select and no company column, as before companies existed.
        "companies": seen if len(seen) > 1 else [],
        "company_names": {c.id: c.name for c in seen},
        "company_id": company,
        "cost_centre": cost_centre,
        "sort": sort,
        "custom_fields": await custom_fields.field_rows(session),
        "cf_field": cf_field or next((k[3:] for k in chosen), ""),
        "cf_value": cf_value or next(iter(chosen.values()), ""),
        "next_url": next_url,
        "first_url": first_url if cursor else None,
        "can_change": can(request.user.role, Permission.change_registry),
    }
    name = "devices/_results.html" if _is_fragment(request) else "devices/list.html"
    return Template(name, context=context, headers={"Vary": "HX-Request"}, media_type=MediaType.HTML)


# ---------------------------------------------------------------------------------------------------- one device


async def render_device_page(
    request: Request[Any, Any, Any],
    state: State,
    session: AsyncSession,
    device_id: int,
    *,
    refused: Refused | None = None,
    section: str = "",
) -> Template:
    """The device page; ``refused`` draws a refused form again: one of the page's own (its form_id is the move), or
    with ``section`` one of that section's."""
    own = refused if refused is not None and not section else None
    device = await repository.device_view(session, device_id)
    currency = state.settings.currency
    events = await repository.events_of(session, device_id)
    names = await employee_repository.names_by_id(session, {e.holder_id for e in events if e.holder_id is not None})
    history = [
        {
            "at": e.at,
            "move": MOVE_LABELS.get(e.move, e.move),
            "from": STATUSES.get(e.from_status or ""),
            "to": STATUSES.get(e.to_status),
            "holder": names.get(e.holder_id) if e.holder_id is not None else None,
            "actor": e.actor,
            "reason": e.reason,
            "details": _event_details(e, currency),
        }
        for e in events
    ]
    role = request.user.role
    can_change = can(role, Permission.change_registry)
    allowed = [m for m in service.allowed_moves_for(device.status) if m in PAGE_MOVES] if can_change else []
    predecessor = await repository.device_view(session, device.replaces_id) if device.replaces_id else None
    successor_id = await service.successor_of(session, device_id)
    successor = await repository.device_view(session, successor_id) if successor_id else None
    done = request.query_params.get("done") if refused is None else None
    # The other features' sections (faults, wipes ...), as create_app registered them (devices/sections.py).
    sections = [
        {
            "name": s.name,
            "template": s.template,
            "context": await s.context(request, state, session, device, refused if s.name == section else None),
        }
        for s in state.device_sections
    ]
    fields = [f for f in await custom_fields.field_rows(session) if f.category in (None, device.category)]
    company = await companies.get_company(session, device.company_id)
    custom_values = (await repository.custom_values(session, [device_id])).get(device_id, {})
    return Template(
        "devices/detail.html",
        status_code=refused.status_code if refused is not None else 200,
        # Explicit: a handler annotated ``Any`` would otherwise send the page as JSON.
        media_type=MediaType.HTML,
        context={
            "device": device,
            "company": company,
            "status": STATUSES[device.status],
            "history": history,
            "allowed": allowed,
            "employees": await employee_repository.active_for_select(session, company_id=device.company_id)
            if "assign" in allowed
            else [],
            "outcomes": OUTCOMES,
            "predecessor": predecessor,
            "successor": successor,
            "can_change": can_change,
            "can_value": can(role, Permission.estimate_valuation),
            "can_replace": can_change and device.status in {"retired", "wiped", "valued", "disposed", "lost"},
            "today": datetime.now(state.settings.tz).date(),
            "done": MOVE_LABELS.get(done or "") if done in PAGE_MOVES else None,
            "form": own.form if own else {},
            "error_for": own.form_id if own else "",
            "error": own.message if own else None,
            "field_errors": own.errors if own else {},
            "sections": sections,
            "custom_fields": fields,
            "custom_values": custom_values,
        },
    )


@get("/devices/{device_id:int}", guards=[requires(Permission.read_registry)], include_in_schema=False)
async def device_page(request: Request[Any, Any, Any], state: State, session: DbSession, device_id: int) -> Template:
    return await render_device_page(request, state, session, device_id)


def _validate(schema: type[BaseModel], form: dict[str, str], fields: tuple[str, ...]) -> Any:
    return schema.model_validate(filled(form, (*fields, "version")))


def _cents(text: str | None) -> int | None:
    return None if text is None else parse_amount(text)


def _assign_args(form: dict[str, str]) -> dict[str, Any]:
    body = _validate(AssignBody, form, ("employee_id",))
    return {"holder_id": body.employee_id, "expected_version": body.version}


def _reason_args(form: dict[str, str]) -> dict[str, Any]:
    body = _validate(ReasonBody, form, ("reason",))
    return {"reason": body.reason, "expected_version": body.version}


def _unassign_args(form: dict[str, str]) -> dict[str, Any]:
    body = _validate(UnassignBody, form, ("reason",))
    return {"reason": body.reason, "expected_version": body.version}


def _repair_args(form: dict[str, str]) -> dict[str, Any]:
    if form.get("expected_cost"):
        form["expected_cost"] = decimal_point(form["expected_cost"])
    body = _validate(RepairBody, form, ("supplier", "expected_cost", "reason"))
    details = {"supplier": body.supplier, "expected_cost_cents": _cents(body.expected_cost)}
    return {"reason": body.reason, "details": details, "expected_version": body.version}


def _return_args(form: dict[str, str]) -> dict[str, Any]:
    if form.get("cost"):
        form["cost"] = decimal_point(form["cost"])
    body = _validate(ReturnBody, form, ("cost", "outcome", "notes"))
    details = {"cost_cents": _cents(body.cost), "outcome": body.outcome}
    return {"reason": body.notes, "details": details, "expected_version": body.version}


def _move_route(move: Move, read_form: Callable[[dict[str, str]], dict[str, Any]]) -> Any:
    """The page's form for one lifecycle move: read the form, move through the service, or re-render with errors."""

    @post(f"/devices/{{device_id:int}}/{move.value}", guards=CHANGE, include_in_schema=False, name=f"move-{move}")
    async def handler(
        request: Request[Any, Any, Any],
        state: State,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: URLEncodedBody[dict[str, str]],
    ) -> Any:
        form = cleaned(data)

        async def act() -> None:
            await service.move_device(session, actor, device_id, move, **read_form(form))

        async def show(refused: Refused) -> Template:
            return await render_device_page(request, state, session, device_id, refused=refused)

        # The page's alert says what the move's form needs; "_form" matches none of its fields.
        return await submit_form(
            session, act, form_id=move.value, form=form, show=show, done=f"/devices/{device_id}?done={move.value}",
            default_field="_form", whole_form="_form",
        )  # fmt: skip

    return handler


MOVE_HANDLERS = [
    _move_route(Move.assign, _assign_args),
    _move_route(Move.unassign, _unassign_args),
    _move_route(Move.repair, _repair_args),
    _move_route(Move.return_from_repair, _return_args),
    _move_route(Move.retire, _reason_args),
    _move_route(Move.report_lost, _reason_args),
]


@post("/devices/{device_id:int}/custom-fields", guards=CHANGE, include_in_schema=False)
async def save_custom_fields(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    device_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    """Every field the page showed: a blank one is cleared."""
    form = cleaned(data)
    device = await repository.device_view(session, device_id)
    given = {f.key: form.get(f"cf.{f.key}") or None
             for f in await custom_fields.field_rows(session) if f.category in (None, device.category)}  # fmt: skip

    async def save() -> None:
        # The version the page was drawn with: a change someone made meanwhile is a 409, not overwritten.
        version = int(form["version"]) if form.get("version", "").isdigit() else device.version
        body = DeviceUpdate(version=version, custom_fields=given)
        await service.update_device(session, actor, device_id, body, rules)

    async def show(refused: Refused) -> Template:
        return await render_device_page(request, state, session, device_id, refused=refused)

    return await submit_form(
        session, save, form_id="custom-fields", form=form, show=show,
        done=f"/devices/{device_id}?saved=custom-fields#custom-fields", default_field="_form", whole_form="_form",
    )  # fmt: skip


@post("/devices/{device_id:int}/cost-centre", guards=CHANGE, include_in_schema=False)
async def save_cost_centre(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    device_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    """The budget a device is booked on changes (a move to another department); blank clears it."""
    form = cleaned(data)

    async def save() -> None:
        body = DeviceUpdate.model_validate(
            {"version": form.get("version", ""), "cost_centre": form.get("cost_centre", "")}
        )
        await service.update_device(session, actor, device_id, body, rules)

    async def show(refused: Refused) -> Template:
        return await render_device_page(request, state, session, device_id, refused=refused)

    return await submit_form(
        session, save, form_id="cost-centre", form=form, show=show,
        done=f"/devices/{device_id}?saved=cost-centre", default_field="_form", whole_form="_form",
    )  # fmt: skip


DEVICE_VIEW_HANDLERS: list[Any] = [
    device_list,
    *REGISTER_VIEW_HANDLERS,
    device_page,
    save_custom_fields,
    save_cost_centre,
    *MOVE_HANDLERS,
]
