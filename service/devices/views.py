"""Device pages: the searchable list, a device with its history and lifecycle actions, and registration.

The pages call the same services as ``devices/api.py``; a refused action re-renders its page with the reason
beside the form, and leaves nothing changed.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from pydantic import BaseModel, ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.device_models import service as device_models
from service.devices import repository, service
from service.devices.lifecycle import DeviceStatus, Move
from service.devices.models import GRADES, DeviceEvent
from service.devices.schemas import (
    AssignBody,
    DeviceCreate,
    ReasonBody,
    RepairBody,
    ReturnBody,
    UnassignBody,
)
from service.employees import service as employees
from service.employees.models import Employee
from service.errors import DomainError, InvalidInput
from service.i18n import format_money, gettext, lazy_gettext
from service.money import decimal_point, parse_amount
from service.web.deps import CurrentActor, DbSession, Rules
from service.web.forms import field_errors

PAGE_SIZE = 50
# The lists behind the model and employee selects are read in pages of the largest size the services allow.
_SELECT_PAGE = 1000
_SELECT_MAX_PAGES = 20

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
REGISTER_FIELDS = (
    "asset_tag",
    "serial_number",
    "model_id",
    "purchase_date",
    "purchase_price",
    "supplier",
    "order_ref",
    "warranty_end",
    "location",
    "condition_grade",
    "notes",
    "holder_id",
    "replaces_id",
)


def _is_fragment(request: Request[Any, Any, Any]) -> bool:
    """An htmx request for the results only; a history restore (back button, cache miss) wants the whole page."""
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def _clean(data: dict[str, str]) -> dict[str, str]:
    return {k: (v or "").strip() for k, v in data.items() if k != "_csrf_token"}


def _filled(form: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    # An empty field is an absent one: the schema's default applies, or it reports the field as missing.
    return {f: form[f] for f in fields if form.get(f)}


def _domain_errors(exc: DomainError, known: tuple[str, ...]) -> tuple[dict[str, str], str | None]:
    """Splits a domain error into messages per form field and one message for the form as a whole."""
    fields = {e["field"]: e["message"] for e in exc.errors if e.get("field") in known}
    general = None if fields and len(fields) == len(exc.errors) else exc.detail
    return fields, general


async def _active_employees(session: AsyncSession) -> list[Employee]:
    people: list[Employee] = []
    cursor = None
    for _ in range(_SELECT_MAX_PAGES):
        page = await employees.list_employees(session, active=True, cursor=cursor, limit=_SELECT_PAGE)
        people.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return sorted(people, key=lambda e: (e.name.lower(), e.id or 0))


async def _all_events(session: AsyncSession, device_id: int) -> list[DeviceEvent]:
    events: list[DeviceEvent] = []
    cursor = None
    while True:
        page = await repository.list_events(session, device_id, cursor=cursor, limit=_SELECT_PAGE)
        events.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            return events


async def _names(session: AsyncSession, ids: set[int]) -> dict[int, str]:
    if not ids:
        return {}
    rows = await session.execute(sa.select(Employee.id, Employee.name).where(Employee.id.in_(ids)))  # type: ignore[union-attr]
    return {i: name for i, name in rows.all()}


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
        raise InvalidInput.field("status", f"unknown status {status!r}")
    page = await repository.list_device_views(
        session, status=[status] if status else None, q=q or None, cursor=cursor, limit=PAGE_SIZE
    )
    filters = {k: v for k, v in (("q", q), ("status", status)) if v}
    next_url = f"/devices?{urlencode({**filters, 'cursor': page.next_cursor})}" if page.next_cursor else None
    first_url = f"/devices?{urlencode(filters)}" if filters else "/devices"
    context = {
        "devices": page.items,
        "q": q,
        "status": status,
        "statuses": list(DeviceStatus),
        "status_of": STATUSES,
        "next_url": next_url,
        "first_url": first_url if cursor else None,
        "can_change": can(request.user.role, Permission.change_registry),
    }
    name = "devices/_results.html" if _is_fragment(request) else "devices/list.html"
    return Template(name, context=context, headers={"Vary": "HX-Request"}, media_type=MediaType.HTML)


# ---------------------------------------------------------------------------------------------------- one device


async def _device_page(
    request: Request[Any, Any, Any],
    state: State,
    session: AsyncSession,
    device_id: int,
    *,
    form: dict[str, str] | None = None,
    error_for: str = "",
    error: str | None = None,
    field_errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    device = await repository.device_view(session, device_id)
    currency = state.settings.currency
    events = await _all_events(session, device_id)
    names = await _names(session, {e.holder_id for e in events if e.holder_id is not None})
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
    done = request.query_params.get("done") if not error_for else None
    # The faults section (service/faults): imported here, the faults feature builds on this module.
    from service.faults.views import device_section_context

    faults_section = await device_section_context(request, state, session, device)
    # The wipes section (service/wipes): storage media, certificates and the wipe gate.
    from service.wipes.views import device_section_context as wipes_section_context

    wipes_section = await wipes_section_context(request, state, session, device)
    return Template(
        "devices/detail.html",
        status_code=status_code,
        # Explicit: a handler annotated ``Any`` would otherwise send the page as JSON.
        media_type=MediaType.HTML,
        context={
            "device": device,
            "status": STATUSES[device.status],
            "history": history,
            "allowed": allowed,
            "employees": await _active_employees(session) if "assign" in allowed else [],
            "outcomes": OUTCOMES,
            "predecessor": predecessor,
            "successor": successor,
            "can_change": can_change,
            "can_value": can(role, Permission.estimate_valuation),
            "can_replace": can_change and device.status in {"retired", "wiped", "valued", "disposed", "lost"},
            "today": datetime.now(state.settings.tz).date(),
            "done": MOVE_LABELS.get(done or "") if done in PAGE_MOVES else None,
            "form": form or {},
            "error_for": error_for,
            "error": error,
            "field_errors": field_errors or {},
            "faults_section": faults_section,
            "wipes_section": wipes_section,
        },
    )


@get("/devices/{device_id:int}", guards=[requires(Permission.read_registry)], include_in_schema=False)
async def device_page(request: Request[Any, Any, Any], state: State, session: DbSession, device_id: int) -> Template:
    return await _device_page(request, state, session, device_id)


async def _move(
    request: Request[Any, Any, Any],
    state: State,
    session: AsyncSession,
    device_id: int,
    move: str,
    data: dict[str, str],
    act: Callable[[dict[str, str]], Awaitable[Any]],
) -> Any:
    form = _clean(data)
    try:
        await act(form)
    except ValidationError as exc:
        await session.rollback()
        errors = field_errors(exc, "_form")
        message = "; ".join(errors.values())
        return await _device_page(
            request,
            state,
            session,
            device_id,
            form=form,
            error_for=move,
            error=message,
            field_errors=errors,
            status_code=422,
        )
    except DomainError as exc:
        # A normal return commits: undo whatever the refused move had flushed before rendering.
        await session.rollback()
        fields = {e["field"]: e["message"] for e in exc.errors if e.get("field")}
        return await _device_page(
            request,
            state,
            session,
            device_id,
            form=form,
            error_for=move,
            error=exc.detail,
            field_errors=fields,
            status_code=exc.status,
        )
    return Redirect(f"/devices/{device_id}?done={move}", status_code=303)


def _validate(schema: type[BaseModel], form: dict[str, str], fields: tuple[str, ...]) -> Any:
    return schema.model_validate(_filled(form, (*fields, "version")))


def _cents(text: str | None) -> int | None:
    return None if text is None else parse_amount(text)


_CHANGE = [requires(Permission.change_registry)]


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

    @post(f"/devices/{{device_id:int}}/{move.value}", guards=_CHANGE, include_in_schema=False, name=f"move-{move}")
    async def handler(
        request: Request[Any, Any, Any],
        state: State,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: URLEncodedBody[dict[str, str]],
    ) -> Any:
        async def act(form: dict[str, str]) -> None:
            await service.move_device(session, actor, device_id, move, **read_form(form))

        return await _move(request, state, session, device_id, move.value, data, act)

    return handler


MOVE_HANDLERS = [
    _move_route(Move.assign, _assign_args),
    _move_route(Move.unassign, _unassign_args),
    _move_route(Move.repair, _repair_args),
    _move_route(Move.return_from_repair, _return_args),
    _move_route(Move.retire, _reason_args),
    _move_route(Move.report_lost, _reason_args),
]


# ---------------------------------------------------------------------------------------------------- register


async def _register_page(
    session: AsyncSession,
    rules: Any,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status_code: int = 200,
) -> Template:
    return Template(
        "devices/new.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "form": form,
            "errors": errors or {},
            "general": general,
            "models": await device_models.models_for_choice(session),
            "employees": await _active_employees(session),
            "grades": GRADES,
            "today": rules.today.isoformat(),
        },
    )


@get("/devices/new", guards=_CHANGE, include_in_schema=False)
async def new_device_page(request: Request[Any, Any, Any], session: DbSession, rules: Rules) -> Template:
    form = {"purchase_date": rules.today.isoformat(), "condition_grade": "A"}
    replaces = request.query_params.get("replaces_id") or ""
    if replaces.isdigit():
        form["replaces_id"] = replaces
    return await _register_page(session, rules, form=form)


@post("/devices/new", guards=_CHANGE, include_in_schema=False)
async def register_from_page(
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    form = _clean(data)
    body = _filled(form, REGISTER_FIELDS)
    if "purchase_price" in body:
        body["purchase_price"] = decimal_point(body["purchase_price"])
    try:
        device = await service.register_device(session, actor, DeviceCreate.model_validate(body), rules)
    except ValidationError as exc:
        errors = field_errors(exc, "_form")
        if not body.get("asset_tag") and not body.get("serial_number"):
            # The service checks this too, but only once the shape is right: say it now, with the rest.
            errors.setdefault("asset_tag", gettext("Give an asset tag or a serial number (or both)."))
        general = None
        if any(f not in REGISTER_FIELDS for f in errors):
            general = "; ".join(m for f, m in errors.items() if f not in REGISTER_FIELDS)
        return await _register_page(session, rules, form=form, errors=errors, general=general, status_code=422)
    except DomainError as exc:
        await session.rollback()
        errors, general = _domain_errors(exc, REGISTER_FIELDS)
        return await _register_page(session, rules, form=form, errors=errors, general=general, status_code=exc.status)
    return Redirect(f"/devices/{device.id}", status_code=303)


DEVICE_VIEW_HANDLERS: list[Any] = [
    device_list,
    new_device_page,
    register_from_page,
    device_page,
    *MOVE_HANDLERS,
]
