"""Read queries for one-for-one compensation: the summary, the obligations and the batches."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.compensation.models import (
    BATCH_STATUSES,
    OBLIGATION_STATUSES,
    CompensationBatch,
    CompensationObligation,
)
from service.compensation.rules import CompensationRules, coverage_percent, kilograms
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.errors import InvalidInput, NotFound
from service.i18n import gettext
from service.pagination import Page, keyset, page_of

_ob: sa.Table = CompensationObligation.__table__  # type: ignore[attr-defined]
_batch: sa.Table = CompensationBatch.__table__  # type: ignore[attr-defined]
_dev: sa.Table = Device.__table__  # type: ignore[attr-defined]
_mod: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]


async def summary(session: AsyncSession, rules: CompensationRules) -> dict[str, Any]:
    """Obligations by status, coverage (compensated / bought since the start date) and kg compensated."""
    by_status = {s: {"count": 0, "weight_grams": 0} for s in OBLIGATION_STATUSES}
    by_category: dict[str, dict[str, int]] = {}
    rows = (
        await session.execute(
            sa.select(
                _ob.c.category, _ob.c.status, sa.func.count(), sa.func.coalesce(sa.func.sum(_ob.c.weight_grams), 0)
            ).group_by(_ob.c.category, _ob.c.status)
        )
    ).all()
    for category, status, n, grams in rows:
        by_status[status]["count"] += n
        by_status[status]["weight_grams"] += int(grams)
        cat = by_category.setdefault(category, {"purchased": 0, "obligations": 0, "compensated": 0, "grams": 0})
        cat["obligations"] += n
        if status == "compensated":
            cat["compensated"] += n
            cat["grams"] += int(grams)
    purchased_rows = (
        await session.execute(
            sa.select(_mod.c.category, sa.func.count())
            .select_from(_dev.join(_mod, _mod.c.id == _dev.c.model_id))
            .where(_mod.c.category.in_(sorted(rules.categories)), _dev.c.purchase_date >= rules.start_date)
            .group_by(_mod.c.category)
        )
    ).all()
    for category, n in purchased_rows:
        by_category.setdefault(category, {"purchased": 0, "obligations": 0, "compensated": 0, "grams": 0})
        by_category[category]["purchased"] = n
    purchased = sum(n for _, n in purchased_rows)
    compensated = by_status["compensated"]["count"]
    grams = by_status["compensated"]["weight_grams"]
    return {
        "categories": sorted(rules.categories),
        "start_date": rules.start_date,
        "purchased_since_start": purchased,
        "obligations": sum(v["count"] for v in by_status.values()),
        "by_status": [
            {"status": s, "count": v["count"], "kg": kilograms(v["weight_grams"])} for s, v in by_status.items()
        ],
        "compensated": compensated,
        "coverage_percent": coverage_percent(compensated, purchased),
        "kg_compensated": kilograms(grams),
        "by_category": [
            {
                "category": c,
                "purchased": v["purchased"],
                "obligations": v["obligations"],
                "compensated": v["compensated"],
                "coverage_percent": coverage_percent(v["compensated"], v["purchased"]),
                "kg_compensated": kilograms(v["grams"]),
            }
            for c, v in sorted(by_category.items())
        ],
    }


def _obligation_view() -> sa.Select[Any]:
    return sa.select(
        *_ob.columns,
        _dev.c.asset_tag,
        _dev.c.serial_number,
        _mod.c.name.label("model_name"),
        _batch.c.key.label("batch_key"),
        _batch.c.status.label("batch_status"),
    ).select_from(
        _ob.join(_dev, _dev.c.id == _ob.c.device_id)
        .join(_mod, _mod.c.id == _dev.c.model_id)
        .outerjoin(_batch, _batch.c.id == _ob.c.batch_id)
    )


def _known(status: str, statuses: tuple[str, ...]) -> str:
    """A misspelt filter is an error, not an empty page."""
    if status not in statuses:
        raise InvalidInput.field(
            "status",
            gettext("unknown status {status}; use one of {choices}").format(
                status=repr(status), choices=", ".join(statuses)
            ),
        )
    return status


async def list_obligations(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[sa.Row[Any]]:
    statement = _obligation_view()
    if status:
        statement = statement.where(_ob.c.status == _known(status, OBLIGATION_STATUSES))
    rows = (await session.execute(keyset(statement, _ob.c.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def obligation_of_device(session: AsyncSession, device_id: int) -> sa.Row[Any] | None:
    return (await session.execute(_obligation_view().where(_ob.c.device_id == device_id))).first()


async def recent_batches(session: AsyncSession, limit: int = 20) -> list[CompensationBatch]:
    statement = sa.select(CompensationBatch).order_by(CompensationBatch.id.desc()).limit(limit)  # type: ignore[union-attr]
    return list((await session.execute(statement)).scalars().all())


async def list_batches(
    session: AsyncSession, *, status: str | None, cursor: str | None, limit: int
) -> Page[CompensationBatch]:
    statement = sa.select(CompensationBatch)
    if status:
        statement = statement.where(CompensationBatch.status == _known(status, BATCH_STATUSES))
    rows = (await session.execute(keyset(statement, CompensationBatch.id, cursor, limit))).scalars().all()
    return page_of(list(rows), limit)


async def get_batch(session: AsyncSession, batch_id: int, *, lock: bool = False) -> CompensationBatch:
    statement = sa.select(CompensationBatch).where(CompensationBatch.id == batch_id)  # type: ignore[arg-type]
    batch = (await session.execute(statement.with_for_update() if lock else statement)).scalar_one_or_none()
    if batch is None:
        raise NotFound(gettext("No compensation batch has id {id}.").format(id=batch_id))
    return batch
