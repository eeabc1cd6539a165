"""The few columns a label prints, for chosen devices."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.device_models.models import DeviceModel
from service.devices.models import Device


async def label_rows(session: AsyncSession, device_ids: Sequence[int]) -> list[sa.Row[Any]]:
    """Devices by id with their model's name, in id order; ids that name no device are simply absent."""
    if not device_ids:
        return []
    statement = (
        sa.select(
            Device.id, Device.asset_tag, Device.serial_number, Device.manufacturer, DeviceModel.name.label("model_name")
        )  # type: ignore[attr-defined]
        .join(DeviceModel, DeviceModel.id == Device.model_id)  # type: ignore[arg-type]
        .where(Device.id.in_(list(device_ids)))  # type: ignore[union-attr]
        .order_by(Device.id)
    )
    return list((await session.execute(statement)).all())
