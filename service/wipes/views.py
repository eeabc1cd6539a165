"""The device page's "Storage media and wipe certificates" section and its forms (the other wipe pages are in
certificate_views.py).

The section (``WIPES_SECTION``: wipes/_device_section.html, context from ``device_section_context``, registered with
the device page by create_app) sits on the device page; its
forms post here, and a refused form shows the device page again with the person's values and the reason.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from litestar import Request, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.devices.sections import DeviceSection
from service.devices.views import render_device_page
from service.errors import InvalidInput
from service.i18n import _
from service.web.deps import AppSettings, CurrentActor, DbSession
from service.web.forms import Refused, cleaned, submit_form
from service.wipes import certificates, gate, repository, service
from service.wipes.certificate_views import IMPORT_PAGE_HANDLERS, PAGE_HANDLERS
from service.wipes.parsers import parse_capacity
from service.wipes.policy import (
    CURRENT_POLICY,
    DESTINATION_LABELS,
    GATED_STATUSES,
    MEDIA_LABELS,
    METHOD_LABELS,
    VERIFICATION_LABELS,
)
from service.wipes.schemas import CertificateCreate, MediumCreate, MediumUpdate
from service.wipes.uploads import import_uploaded_reports, read_form

Form = dict[str, str]
CHANGE = [requires(Permission.change_registry)]
CERTIFICATE_FIELDS = tuple(CertificateCreate.model_fields)


async def device_section_context(
    request: Request[Any, Any, Any], state: State, session: Any, device: Any, refused: Refused | None
) -> dict[str, Any]:
    """Everything wipes/_device_section.html shows for one device (``device`` is a devices.repository view), with
    this section's refused form, if any, drawn again."""
    role = request.user.role
    media = await repository.all_media(session, device.id)
    page = await repository.list_certificates(session, device_id=device.id, cursor=None, limit=1000)
    by_medium: dict[int, list[Any]] = {}
    for row in page.items:
        by_medium.setdefault(row.medium_id, []).append(row)
    attestation = await repository.attestation_of(session, device.id)
    return {
        "device": device,
        "media": [
            {
                "medium": m,
                "status": repository.wipe_status(m.media_type, by_medium.get(m.id, [])),
                "accepted": CURRENT_POLICY.accepted_methods(m.media_type),
                "certificates": by_medium.get(m.id, []),
                "capacity_text": human_bytes(m.capacity_bytes),
            }
            for m in media
        ],
        "certificates": page.items,
        "attestation": attestation,
        "blockers": await gate.blockers(session, device.id) if device.status == "retired" else [],
        "retired": device.status == "retired",
        "frozen": device.status in GATED_STATUSES,
        "can_change": can(role, Permission.change_registry),
        "can_verify": can(role, Permission.verify_wipes),
        "me": request.user.username,
        "media_types": MEDIA_LABELS,
        "methods": METHOD_LABELS,
        "destinations": DESTINATION_LABELS,
        "verifications": VERIFICATION_LABELS,
        "policy": CURRENT_POLICY,
        "max_mb": round(state.settings.wipe_report_max_bytes / 2**20, 1),
        "done": request.query_params.get("wipes"),
        "form_id": refused.form_id if refused else "",
        "form": refused.form if refused else {},
        "errors": refused.errors if refused else {},
    }


WIPES_SECTION = DeviceSection("wipes", "wipes/_device_section.html", device_section_context)


async def _act(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    device_id: int,
    form_id: str,
    form: Form,
    work: Callable[[], Awaitable[Any]],
    *,
    default_field: str = "form",
    done: str = "",
) -> Any:
    """A form of this section, through submit_form; refused, the device page again with it in this section."""

    async def show(refused: Refused) -> Template:
        return await render_device_page(request, state, session, device_id, section="wipes", refused=refused)

    query = f"?{urlencode({'wipes': done})}" if done else ""
    return await submit_form(
        session, work, form_id=form_id, form=form, show=show, done=f"/devices/{device_id}{query}#wipes",
        default_field=default_field,
    )  # fmt: skip


def human_bytes(n: int | None) -> str:
    """Decimal units, as disks are sold: 512110190592 -> "512.1 GB"."""
    if not n:
        return ""
    for unit, size in (("TB", 10**12), ("GB", 10**9), ("MB", 10**6)):
        if n >= size:
            return f"{n / size:.1f}".rstrip("0").rstrip(".") + f" {unit}"
    return f"{n} B"



def _medium_fields(form: Form) -> dict[str, Any]:
    fields: dict[str, Any] = {k: form[k] for k in ("media_type", "serial", "description") if form.get(k)}
    if form.get("capacity"):
        capacity = parse_capacity(form["capacity"])
        if capacity is None:
            raise InvalidInput.field("capacity", _("Enter a size such as 512 GB, 1 TB or a number of bytes."))
        fields["capacity_bytes"] = capacity
    return fields


def _local_datetime(text: str, state: State) -> str:
    """A datetime-local value (no zone) is the installation's local time."""
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        return text  # the schema reports it
    return (value if value.tzinfo else value.replace(tzinfo=state.settings.tz)).isoformat()


@post("/devices/{device_id:int}/wipes/media", guards=CHANGE, include_in_schema=False)
async def add_medium_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, device_id: int,
    data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    form = cleaned(data)

    async def work() -> None:
        await service.add_medium(session, actor, device_id, MediumCreate.model_validate(_medium_fields(form)))

    return await _act(request, state, session, device_id, "add-medium", form, work, default_field="media_type",
                      done=_("Medium added"))  # fmt: skip


@post("/devices/{device_id:int}/wipes/media/{medium_id:int}", guards=CHANGE, include_in_schema=False)
async def update_medium_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, device_id: int,
    medium_id: int, data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    form = cleaned(data)

    async def work() -> None:
        current = await service.get_medium(session, device_id, medium_id)
        if form.get("capacity") == human_bytes(current.capacity_bytes):
            form.pop("capacity")  # shown rounded: unchanged unless the person typed a new size
        fields = _medium_fields(form)
        fields.setdefault("description", "")
        # A field the person emptied is cleared (left out, it would stay as it was while the page said "corrected").
        for name, column in (("serial", "serial"), ("capacity", "capacity_bytes")):
            if name in form and not form[name]:
                fields[column] = None
        body = MediumUpdate.model_validate({**fields, "version": form.get("version") or 0})
        await service.update_medium(session, actor, device_id, medium_id, body)

    return await _act(request, state, session, device_id, f"medium-{medium_id}", form, work, done=_("Medium corrected"))


@post("/devices/{device_id:int}/wipes/media/{medium_id:int}/remove", guards=CHANGE, include_in_schema=False)
async def remove_medium_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, device_id: int,
    medium_id: int, data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    form = cleaned(data)

    async def work() -> None:
        if not form.get("version", "").isdigit():
            raise InvalidInput.field("reason", _("Reload the page and try again."))
        await service.remove_medium(
            session, actor, device_id, medium_id, version=int(form["version"]), reason=form.get("reason", "")
        )

    return await _act(request, state, session, device_id, f"remove-{medium_id}", form, work, default_field="reason",
                      done=_("Medium removed"))  # fmt: skip


@post("/devices/{device_id:int}/wipes/attest", guards=CHANGE, include_in_schema=False)
async def attest_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, device_id: int,
    data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    form = cleaned(data)

    async def work() -> None:
        statement = form.get("statement", "")
        if len(statement) < 3:
            raise InvalidInput.field("statement", _("Say in a few words why the device holds no storage media."))
        await service.attest_no_media(session, actor, device_id, statement)

    return await _act(request, state, session, device_id, "attest", form, work, default_field="statement",
                      done=_("No storage media attested; the device is wiped"))  # fmt: skip


@post("/devices/{device_id:int}/wipes/report", guards=CHANGE, include_in_schema=False)
async def upload_report_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, settings: AppSettings,
    device_id: int,
) -> Any:  # fmt: skip
    form: Form = {}

    async def work() -> None:
        fields, uploads = await read_form(request, "report", settings)
        form.update(fields)
        await import_uploaded_reports(session, actor, settings, fields, uploads, "report", device_id=device_id)

    return await _act(request, state, session, device_id, "upload", form, work, default_field="report",
                      done=_("Report recorded; it now waits for another user to verify it"))  # fmt: skip


@post("/devices/{device_id:int}/wipes/certificates", guards=CHANGE, include_in_schema=False)
async def record_certificate_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, settings: AppSettings,
    device_id: int,
) -> Any:  # fmt: skip
    form: Form = {}

    async def work() -> None:
        fields, uploads = await read_form(request, "report", settings)
        form.update(fields)
        values = {k: v for k, v in fields.items() if k in CERTIFICATE_FIELDS and v}
        if values.get("performed_at"):
            values["performed_at"] = _local_datetime(values["performed_at"], state)
        body = CertificateCreate.model_validate(values)
        await certificates.record_certificate(
            session, actor, device_id, body, uploads[0] if uploads else None, max_bytes=settings.wipe_report_max_bytes
        )

    return await _act(request, state, session, device_id, "record", form, work, default_field="medium_id",
                      done=_("Certificate recorded; it now waits for another user to verify it"))  # fmt: skip


WIPE_VIEW_HANDLERS: list[Any] = [add_medium_page, update_medium_page, remove_medium_page, attest_page, *PAGE_HANDLERS]
# Multipart forms, registered under the upload body limit (service/wipes/api.py wipe_routes), with the page that
# shares a path with one of them (one path's handlers are registered together).
WIPE_UPLOAD_VIEW_HANDLERS: list[Any] = [upload_report_page, record_certificate_page, *IMPORT_PAGE_HANDLERS]
