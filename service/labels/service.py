"""Which devices get a label, and the PDF for them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel.ext.asyncio.session import AsyncSession

from service.devices import repository as devices
from service.errors import InvalidInput, NotFound
from service.i18n import gettext as _
from service.labels import repository
from service.labels.render import LabelContent, render_labels
from service.labels.sheets import DEFAULT_SHEET, SHEETS, Sheet


@dataclass(frozen=True)
class DeviceFilter:
    """The device list's filters (devices/repository.py), so "labels for these devices" prints what the list shows."""

    q: str | None = None
    status: list[str] | None = None
    company_id: int | None = None
    cost_centre: str | None = None


def device_url(base_url: str, device_id: int) -> str:
    return f"{base_url.rstrip('/')}/devices/{device_id}"


def sheet_named(key: str | None) -> Sheet:
    sheet = SHEETS.get(key or DEFAULT_SHEET)
    if sheet is None:
        choices = ", ".join(SHEETS)
        raise InvalidInput.field(
            "sheet", _("unknown label sheet {key!r}; use one of {choices}").format(key=key, choices=choices)
        )
    return sheet


def _content(row: Any, base_url: str) -> LabelContent:
    serial = row.serial_number or ""
    return LabelContent(
        url=device_url(base_url, row.id),
        title=row.asset_tag or serial or f"#{row.id}",
        model=f"{row.manufacturer} {row.model_name}".strip(),
        serial=f"S/N {serial}" if serial else "",
    )


def _too_many(cap: int) -> InvalidInput:
    message = _("at most {cap} labels fit in one request; choose fewer devices or narrow the filter").format(cap=cap)
    return InvalidInput.field("device_ids", message)


async def rows_for_ids(session: AsyncSession, device_ids: Sequence[int], cap: int) -> list[Any]:
    ids = list(dict.fromkeys(device_ids))  # the order given, each device once
    if not ids:
        raise InvalidInput.field("device_ids", _("choose at least one device"))
    if len(ids) > cap:
        raise _too_many(cap)
    rows = {row.id: row for row in await repository.label_rows(session, ids)}
    unknown = [i for i in ids if i not in rows]
    if unknown:
        listed = ", ".join(str(i) for i in unknown)
        raise InvalidInput.field("device_ids", _("no device has id {ids}").format(ids=listed))
    return [rows[i] for i in ids]


async def rows_for_filter(session: AsyncSession, device_filter: DeviceFilter, cap: int) -> list[Any]:
    page = await devices.list_device_views(
        session, status=device_filter.status or None, q=device_filter.q or None, cursor=None, limit=cap,
        company_id=device_filter.company_id, cost_centre=device_filter.cost_centre or None,
    )  # fmt: skip
    if page.next_cursor is not None:
        raise _too_many(cap)
    if not page.items:
        raise InvalidInput.field("device_ids", _("no devices match these filters"))
    return list(page.items)


async def device_label(session: AsyncSession, device_id: int, sheet: Sheet, base_url: str) -> bytes:
    rows = await repository.label_rows(session, [device_id])
    if not rows:
        raise NotFound(_("No device has id {id}.").format(id=device_id))
    return labels_pdf(rows, sheet, base_url)


def labels_pdf(rows: Sequence[Any], sheet: Sheet, base_url: str) -> bytes:
    return render_labels([_content(row, base_url) for row in rows], sheet, title=_("Asset labels"))
