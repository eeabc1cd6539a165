"""Label PDFs from the pages: the device page's "Print label" and the device list's "Labels for these devices"."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import State

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import InvalidInput
from service.i18n import gettext as _
from service.labels import service
from service.labels.api import pdf_response
from service.web.deps import DbSession

_GUARDS = [requires(Permission.change_registry)]


@get("/devices/{device_id:int}/label", guards=_GUARDS, include_in_schema=False)
async def device_label_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, device_id: int
) -> Response[bytes]:
    sheet = service.sheet_named(request.query_params.get("sheet") or None)
    pdf = await service.device_label(session, device_id, sheet, state.settings.base_url)
    return pdf_response(pdf, f"label-{device_id}.pdf")


def _ids(values: list[str]) -> list[int]:
    try:
        return [int(v) for v in values if v.strip()]
    except ValueError:
        raise InvalidInput.field("device_id", _("device ids are whole numbers")) from None


@post("/labels", guards=_GUARDS, include_in_schema=False, status_code=200)
async def labels_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Response[bytes]:
    """A plain form post (a PDF download needs no htmx): chosen ``device_id``s, else the list's ``q``,
    ``status``, company and cost centre."""
    form = await request.form()
    settings = state.settings
    sheet = service.sheet_named(form.get("sheet") or None)
    cap = settings.label_max_per_request
    ids = _ids(form.getall("device_id") if "device_id" in form else [])
    if ids:
        rows = await service.rows_for_ids(session, ids, cap)
    else:
        status = (form.get("status") or "").strip()
        company = (form.get("company_id") or "").strip()
        device_filter = service.DeviceFilter(
            q=(form.get("q") or "").strip() or None,
            status=[status] if status else None,
            company_id=int(company) if company.isdigit() else None,
            cost_centre=(form.get("cost_centre") or "").strip() or None,
        )
        rows = await service.rows_for_filter(session, device_filter, cap)
    return pdf_response(service.labels_pdf(rows, sheet, settings.base_url), "labels.pdf")


LABEL_VIEW_HANDLERS = [device_label_page, labels_page]
