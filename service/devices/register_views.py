"""The device registration page: the form, and registering from it through the same service as the API.

Also the form helpers the device pages share (devices/views.py imports them from here).
"""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.companies import service as companies
from service.custom_fields import repository as custom_fields
from service.device_models import service as device_models
from service.devices import service
from service.devices.models import GRADES
from service.devices.schemas import DeviceCreate
from service.employees import repository as employee_repository
from service.errors import DomainError
from service.i18n import gettext
from service.money import decimal_point
from service.web.deps import CurrentActor, DbSession, Rules
from service.web.forms import Refused, cleaned, submit_form

CHANGE = [requires(Permission.change_registry)]
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
    "company_id",
    "cost_centre",
)



def filled(form: dict[str, str], fields: tuple[str, ...]) -> dict[str, str]:
    # An empty field is an absent one: the schema's default applies, or it reports the field as missing.
    return {f: form[f] for f in fields if form.get(f)}


async def _register_page(
    session: AsyncSession,
    rules: Any,
    *,
    form: dict[str, str],
    errors: dict[str, str] | None = None,
    general: str | None = None,
    status_code: int = 200,
) -> Template:
    choices = await companies.active_companies(session)
    if "company_id" not in form and (preselected := companies.preselected_company(choices)) is not None:
        form = {**form, "company_id": str(preselected)}
    return Template(
        "devices/new.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "form": form,
            "errors": errors or {},
            "general": general,
            "models": await device_models.models_for_choice(session),
            "employees": await employee_repository.active_for_select(session),
            "custom_fields": await custom_fields.field_rows(session),
            # A choice only when there is one to make; else the service puts it in the user's only company.
            "companies": choices if len(choices) > 1 else [],
            "grades": GRADES,
            "today": rules.today.isoformat(),
        },
    )


@get("/devices/new", guards=CHANGE, include_in_schema=False)
async def new_device_page(request: Request[Any, Any, Any], session: DbSession, rules: Rules) -> Template:
    form = {"purchase_date": rules.today.isoformat(), "condition_grade": "A"}
    replaces = request.query_params.get("replaces_id") or ""
    if replaces.isdigit():
        form["replaces_id"] = replaces
    return await _register_page(session, rules, form=form)


@post("/devices/new", guards=CHANGE, include_in_schema=False)
async def register_from_page(
    session: DbSession,
    actor: CurrentActor,
    rules: Rules,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    form = cleaned(data)
    body: dict[str, Any] = filled(form, REGISTER_FIELDS)
    body["custom_fields"] = {k[3:]: v for k, v in form.items() if k.startswith("cf.") and v}
    if "purchase_price" in body:
        body["purchase_price"] = decimal_point(body["purchase_price"])

    async def register() -> Any:
        return await service.register_device(session, actor, DeviceCreate.model_validate(body), rules)

    async def show(refused: Refused) -> Template:
        errors = dict(refused.errors)
        if isinstance(refused.cause, DomainError):
            errors = {f: m for f, m in errors.items() if f in REGISTER_FIELDS or f.startswith("custom_fields.")}
            # All of it beside fields, or the whole message above the form.
            general = None if errors and len(errors) == len(refused.cause.errors) else refused.message
        else:
            if not body.get("asset_tag") and not body.get("serial_number"):
                # The service checks this too, but only once the shape is right: say it now, with the rest.
                errors.setdefault("asset_tag", gettext("Give an asset tag or a serial number (or both)."))
            general = "; ".join(m for f, m in errors.items() if f not in REGISTER_FIELDS) or None
        return await _register_page(
            session, rules, form=form, errors=errors, general=general, status_code=refused.status_code
        )

    return await submit_form(
        session, register, form_id="register", form=form, show=show, done=lambda device: f"/devices/{device.id}",
        default_field="_form", whole_form="_form",
    )  # fmt: skip


REGISTER_VIEW_HANDLERS: list[Any] = [new_device_page, register_from_page]
