"""Device models: the catalogue devices are registered against."""

from __future__ import annotations

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.audit import service as audit
from service.compensation.rules import CompensationRules
from service.compensation.service import settle_obligations
from service.context import Actor
from service.device_models.models import DeviceModel
from service.device_models.schemas import DeviceModelCreate, DeviceModelUpdate, score_tenths
from service.devices.models import Device
from service.editing import apply_changes, expect_version, patch_changes
from service.errors import Conflict, InvalidInput, NotFound
from service.i18n import _
from service.pagination import Page, keyset, page_of


async def _ensure_unique(session: AsyncSession, manufacturer: str, name: str, except_id: int | None = None) -> None:
    stmt = select(DeviceModel.id).where(
        sa.func.lower(DeviceModel.manufacturer) == manufacturer.lower(),
        sa.func.lower(DeviceModel.name) == name.lower(),
    )
    if except_id is not None:
        stmt = stmt.where(DeviceModel.id != except_id)
    if (await session.exec(stmt)).first() is not None:
        raise Conflict(
            _("The model {manufacturer} {name} already exists.").format(manufacturer=manufacturer, name=name),
            errors=[{"field": "name", "message": _("this manufacturer already has a model of that name")}],
        )


async def create_model(session: AsyncSession, actor: Actor, data: DeviceModelCreate) -> DeviceModel:
    await _ensure_unique(session, data.manufacturer, data.name)
    if data.storage_media_count > 0 and data.storage_media_type is None:
        raise InvalidInput.field("storage_media_type", _("is required when the model carries storage media"))
    model = DeviceModel(
        **data.model_dump(mode="json", exclude={"repairability_score"}),
        repairability_tenths=score_tenths(data.repairability_score),
    )
    session.add(model)
    await session.flush()
    await audit.record(session, actor, "device_model.create", "device_model", model.id, after=audit.snapshot(model))
    return model


async def update_model(
    session: AsyncSession, actor: Actor, model_id: int, data: DeviceModelUpdate, compensation: CompensationRules
) -> DeviceModel:
    model = await get_model(session, model_id)
    expect_version(model, data.version, "device model")
    changes = patch_changes(data, DeviceModel)
    if "repairability_score" in changes:
        changes["repairability_tenths"] = score_tenths(changes.pop("repairability_score"))
    if changes.get("certifications") is not None:
        changes["certifications"] = [c.model_dump(mode="json") for c in data.certifications or []]
    if "manufacturer" in changes and changes["manufacturer"] != model.manufacturer:
        in_use = (await session.exec(select(sa.func.count()).where(Device.model_id == model_id))).one()
        if in_use:
            # Devices copy the manufacturer to keep serials unique per maker; a rename would split them.
            raise Conflict(
                _("{in_use} devices are registered against this model; its manufacturer cannot change.").format(
                    in_use=in_use
                )
            )
    await _ensure_unique(
        session, changes.get("manufacturer", model.manufacturer), changes.get("name", model.name), except_id=model_id
    )
    before, after = apply_changes(model, changes)
    await session.flush()
    settled = {}
    if "category" in after or "weight_grams" in after:
        # Its devices' pending obligations carry the category and weight; settled before any audit record (see
        # settle_obligations).
        device_ids = (await session.exec(select(Device.id).where(Device.model_id == model_id))).all()
        settled = await settle_obligations(session, compensation, list(device_ids))  # type: ignore[arg-type]
    if after:
        await audit.record(session, actor, "device_model.update", "device_model", model.id, before=before, after=after)
    if settled:
        await audit.record(
            session, actor, "compensation_obligation.settle", "device_model", model.id, after=settled
        )
    return model


async def get_model(session: AsyncSession, model_id: int) -> DeviceModel:
    model = await session.get(DeviceModel, model_id)
    if model is None:
        raise NotFound(_("No device model has id {model_id}.").format(model_id=model_id))
    return model


async def list_models(
    session: AsyncSession, *, category: str | None = None, q: str | None = None, cursor: str | None, limit: int
) -> Page[DeviceModel]:
    stmt = select(DeviceModel)
    if category:
        stmt = stmt.where(DeviceModel.category == category)
    if q:
        like = f"%{q.strip().lower()}%"
        stmt = stmt.where(
            sa.or_(sa.func.lower(DeviceModel.manufacturer).like(like), sa.func.lower(DeviceModel.name).like(like))
        )
    rows = (await session.exec(keyset(stmt, DeviceModel.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def models_for_choice(session: AsyncSession, most: int = 20_000) -> list[DeviceModel]:
    """Every model a form offers in its model chooser, by category, maker and name."""
    models: list[DeviceModel] = []
    cursor = None
    while len(models) < most:
        page = await list_models(session, cursor=cursor, limit=1000)
        models.extend(page.items)
        cursor = page.next_cursor
        if cursor is None:
            break
    return sorted(models, key=lambda m: (m.category, m.manufacturer.lower(), m.name.lower()))
