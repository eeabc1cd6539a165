"""Label PDFs over the API: one device's label, or a batch by ids or by the device list's filter."""

from __future__ import annotations

from litestar import Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.labels import service
from service.labels.schemas import LabelRequest, SheetKey
from service.labels.sheets import DEFAULT_SHEET
from service.web.deps import DbSession

_GUARDS = [requires(Permission.change_registry)]
SHEET_DOC = "a4-3x8: A4 sheet of 24 labels, 70 x 37 mm; roll-62: 62 mm roll, one 62 x 29 mm label per page"


def pdf_response(pdf: bytes, filename: str) -> Response[bytes]:
    return Response(
        pdf, media_type="application/pdf", headers={"Content-Disposition": f'inline; filename="{filename}"'}
    )


@get("/api/v1/devices/{device_id:int}/label", guards=_GUARDS, tags=["labels"], media_type="application/pdf")
async def device_label(
    state: State,
    session: DbSession,
    device_id: int,
    sheet: SheetKey = Parameter(default=DEFAULT_SHEET, description=SHEET_DOC),
) -> Response[bytes]:
    pdf = await service.device_label(session, device_id, service.sheet_named(sheet), state.settings.base_url)
    return pdf_response(pdf, f"label-{device_id}.pdf")


@post("/api/v1/labels", guards=_GUARDS, tags=["labels"], status_code=200, media_type="application/pdf")
async def labels(state: State, session: DbSession, data: JSONBody[LabelRequest]) -> Response[bytes]:
    settings = state.settings
    cap = settings.label_max_per_request
    if data.device_ids is not None:
        rows = await service.rows_for_ids(session, data.device_ids, cap)
    else:
        assert data.filter is not None
        device_filter = service.DeviceFilter(q=data.filter.q, status=data.filter.status)
        rows = await service.rows_for_filter(session, device_filter, cap)
    return pdf_response(service.labels_pdf(rows, service.sheet_named(data.sheet), settings.base_url), "labels.pdf")


LABEL_API_HANDLERS = [device_label, labels]
