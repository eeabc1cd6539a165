"""Fault pages: the faults section of the device page, the fleet's fault queue, and lifetime figures.

The section (``FAULTS_SECTION``: faults/_device_section.html, context from ``device_section_context``, registered
with the device page by create_app) sits on the device page
between its actions and its history; the device page's own forms send devices to repair, back and into
retirement, and the moves close the faults they concern (service/faults/service.follow_device_move).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.compensation import repository as compensation_repo
from service.device_models.service import models_for_choice
from service.devices import repository as device_repository
from service.devices.lifecycle import DeviceStatus, is_in_service
from service.devices.schemas import DeviceCreate
from service.devices.sections import DeviceSection
from service.devices.service import last_active_holder, register_device, successor_of
from service.devices.views import render_device_page
from service.employees.service import get_employee
from service.errors import InvalidInput
from service.faults import lifetime, repairs, repository, service
from service.faults.api import lifetime_view
from service.faults.models import FAULT_CATEGORIES, Fault
from service.faults.schemas import CloseBody, DecisionBody, DiagnosisBody, FaultCreate
from service.i18n import _, lazy_gettext
from service.money import decimal_point
from service.web.deps import CurrentActor, DbSession, Rules
from service.web.forms import Refused, submit_form

Form = dict[str, str]
SEVERITY_LABELS = {
    "low": lazy_gettext("Low: works, with a nuisance"),
    "medium": lazy_gettext("Medium: partly usable"),
    "high": lazy_gettext("High: unusable"),
}
SUCCESSOR_FIELDS = ("asset_tag", "serial_number", "model_id", "purchase_date", "purchase_price", "supplier")


async def device_section_context(
    request: Request[Any, Any, Any], state: State, session: Any, device: Any, refused: Refused | None
) -> dict[str, Any]:
    """Everything faults/_device_section.html shows for one device (``device`` is a devices.repository view), with
    this section's refused form, if any, drawn again."""
    settings = state.settings
    today = datetime.now(settings.tz).date()
    faults = await repository.faults_of_device(session, device.id)
    history = await repairs.repair_history(session, device.id)
    in_service = is_in_service(DeviceStatus(device.status))
    retirement = await repository.retirement_of(session, device.id)
    can_change = can(request.user.role, Permission.change_registry)
    successor_id = await successor_of(session, device.id)
    heir, models = None, []
    if not in_service and successor_id is None and can_change:
        heir_id = await last_active_holder(session, device.id)
        heir = await get_employee(session, heir_id) if heir_id else None
        models = await models_for_choice(session)
    open_faults = [f for f in faults if f.status == "open"]
    # Only a device in service has a working value worth weighing a repair against (the page shows no other).
    value = (
        await service.device_working_value(session, device, device.category, today, settings.currency)
        if in_service
        else None
    )
    retired_on = retirement.retired_at.astimezone(settings.tz).date() if retirement else None
    section = {
        "device": device,
        "in_service": in_service,
        "open_faults": open_faults,
        "closed_faults": [f for f in faults if f.status != "open"],
        "replace_faults": [f for f in open_faults if f.decision == "replace"],
        "repairs": history,
        "repair_total_cents": sum(r.cost_cents or 0 for r in history),
        "working_value": value,
        "age_months": lifetime.age_months(device.purchase_date, retired_on or today),
        "retirement": retirement,
        "successor_id": successor_id,
        "heir": heir,
        "models": models,
        "obligation": await compensation_repo.obligation_of_device(session, device.id),
        "can_change": can_change,
        "categories": FAULT_CATEGORIES,
        "severities": SEVERITY_LABELS,
        "today": today,
        "form_id": "",
        "form": {},
        "errors": {},
        "unshown_errors": {},
    }
    if refused is not None:
        section.update(form_id=refused.form_id, form=refused.form, errors=refused.errors)
        if refused.form_id not in _forms_drawn(section):
            # Its form is gone from the page (someone else closed the fault first): say why at the section's top.
            section["unshown_errors"] = refused.errors
    return section


FAULTS_SECTION = DeviceSection("faults", "faults/_device_section.html", device_section_context)


def _forms_drawn(section: dict[str, Any]) -> set[str]:
    """The ids of the forms faults/_device_section.html draws for this section."""
    drawn = {"report", "successor"}
    for fault in section["open_faults"]:
        drawn |= {f"diagnose-{fault.id}", f"overrule-{fault.id}", f"close-{fault.id}"}
    return drawn


async def _act(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    device_id: int,
    form_id: str,
    data: Form,
    work: Callable[[], Awaitable[Any]],
    *,
    default_field: str = "form",
    redirect: Callable[[Any], str] | None = None,
) -> Any:
    """A form of this section, through submit_form; refused, the device page again with it in this section."""
    form = {k: v for k, v in data.items() if k != "_csrf_token"}

    async def show(refused: Refused) -> Template:
        return await render_device_page(request, state, session, device_id, section="faults", refused=refused)

    return await submit_form(
        session, work, form_id=form_id, form=form, show=show, done=redirect or f"/devices/{device_id}#{form_id}",
        default_field=default_field,
    )  # fmt: skip


def _optional(data: Form, *names: str) -> dict[str, str]:
    return {n: data[n].strip() for n in names if data.get(n, "").strip()}


READ = [requires(Permission.read_registry)]
CHANGE = [requires(Permission.change_registry)]


@get("/devices/{device_id:int}/faults", guards=READ, include_in_schema=False)
async def device_faults_page(device_id: int) -> Redirect:
    """Faults live on the device page."""
    return Redirect(f"/devices/{device_id}#faults", status_code=303)


@post("/devices/{device_id:int}/faults", guards=CHANGE, include_in_schema=False)
async def report_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    device_id: int,
    data: URLEncodedBody[Form],
) -> Any:
    async def work() -> Fault:
        body = FaultCreate.model_validate(_optional(data, "category", "description", "severity"))
        return await service.report_fault(session, actor, device_id, body)

    return await _act(
        request,
        state,
        session,
        device_id,
        "report",
        data,
        work,
        redirect=lambda f: f"/devices/{device_id}#fault-{f.id}",
    )


async def _fault_device(session: Any, fault_id: int) -> int:
    return (await service.get_fault(session, fault_id)).device_id


@post("/faults/{fault_id:int}/diagnosis", guards=CHANGE, include_in_schema=False)
async def diagnose_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    fault_id: int,
    data: URLEncodedBody[Form],
) -> Any:
    device_id = await _fault_device(session, fault_id)

    async def work() -> Fault:
        fields: dict[str, Any] = _optional(data, "repair_cost", "notes", "version")
        if "repair_cost" in fields:
            fields["repair_cost"] = decimal_point(fields["repair_cost"])
        if data.get("repairable") not in ("yes", "no"):
            raise InvalidInput.field("repairable", _("say whether it can be repaired"))
        fields["repairable"] = data["repairable"] == "yes"
        body = DiagnosisBody.model_validate(fields)
        return await service.diagnose(
            session,
            actor,
            fault_id,
            body,
            policy=service.replacement_policy(state.settings),
            today=rules.today,
            currency=state.settings.currency,
            max_cost_cents=rules.max_purchase_price_cents,
        )

    return await _act(
        request,
        state,
        session,
        device_id,
        f"diagnose-{fault_id}",
        data,
        work,
        redirect=lambda f: f"/devices/{device_id}#fault-{fault_id}",
    )


@post("/faults/{fault_id:int}/decision", guards=CHANGE, include_in_schema=False)
async def overrule_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    fault_id: int,
    data: URLEncodedBody[Form],
) -> Any:
    device_id = await _fault_device(session, fault_id)

    async def work() -> Fault:
        body = DecisionBody.model_validate(_optional(data, "decision", "reason", "version"))
        return await service.overrule(session, actor, fault_id, body.decision, body.reason, body.version)

    return await _act(
        request,
        state,
        session,
        device_id,
        f"overrule-{fault_id}",
        data,
        work,
        redirect=lambda f: f"/devices/{device_id}#fault-{fault_id}",
    )


@post("/faults/{fault_id:int}/close", guards=CHANGE, include_in_schema=False)
async def close_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    fault_id: int,
    data: URLEncodedBody[Form],
) -> Any:
    device_id = await _fault_device(session, fault_id)

    async def work() -> Fault:
        body = CloseBody.model_validate(_optional(data, "resolution", "note", "version"))
        return await service.close_fault(session, actor, fault_id, body.resolution, body.note, body.version)

    return await _act(
        request,
        state,
        session,
        device_id,
        f"close-{fault_id}",
        data,
        work,
        redirect=lambda f: f"/devices/{device_id}#fault-{fault_id}",
    )


@post("/devices/{device_id:int}/faults/successor", guards=CHANGE, include_in_schema=False)
async def register_successor_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    device_id: int,
    data: URLEncodedBody[Form],
) -> Any:
    """One step: the new device links to the one it replaces and goes to the same holder."""

    async def work() -> Any:
        fields: dict[str, Any] = _optional(data, *SUCCESSOR_FIELDS)
        if "purchase_price" in fields:
            fields["purchase_price"] = decimal_point(fields["purchase_price"])
        body = DeviceCreate.model_validate({**fields, "replaces_id": device_id})
        return await register_device(session, actor, body, rules)

    return await _act(
        request,
        state,
        session,
        device_id,
        "successor",
        data,
        work,
        default_field="asset_tag",
        redirect=lambda d: f"/devices/{d.id}",
    )


@get("/faults", guards=READ, include_in_schema=False)
async def fault_queue(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    query = dict(request.query_params)
    status = query.get("status", "open")
    decision = query.get("decision") or None
    page = await repository.list_faults(
        session,
        status=status if status in ("open", "closed") else None,
        decision=decision if decision in ("repair", "replace", "undiagnosed") else None,
        cursor=query.get("cursor") or None,
        limit=50,
    )
    return Template(
        "faults/queue.html",
        context={
            "page": page,
            "status": status,
            "decision": decision or "",
            "lookup": query.get("q", ""),
            "lookup_error": query.get("missing")
            and _("No device has asset tag or serial {q}.").format(q=repr(query.get("q"))),
        },
        media_type=MediaType.HTML,
    )


@get("/faults/find", guards=READ, include_in_schema=False)
async def find_device(session: DbSession, q: str = "") -> Redirect:
    """Scan or type an asset tag or serial number: straight to the device's faults."""
    term = q.strip()
    device_id = await device_repository.find_device_id(session, term) if term else None
    if device_id is None:
        return Redirect(f"/faults?{urlencode({'missing': 1, 'q': term})}", status_code=303)
    return Redirect(f"/devices/{device_id}", status_code=303)


@get("/fleet/lifetime", guards=READ, include_in_schema=False)
async def lifetime_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    view = await lifetime_view(state, session, request.query_params.get("cursor") or None, 50)
    return Template("faults/lifetime.html", context={"view": view}, media_type=MediaType.HTML)


FAULT_VIEW_HANDLERS = [
    device_faults_page,
    report_from_page,
    diagnose_from_page,
    overrule_from_page,
    close_from_page,
    register_successor_from_page,
    fault_queue,
    find_device,
    lifetime_page,
]
