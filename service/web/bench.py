"""Bench-only route (``KRINGLOOP_BENCH_ROUTES=true``): the device read of ``GET /api/v1/devices/{id}`` done
with the raw asyncpg driver, so ``bench/device_read.py`` can compare the real route against a baseline.

It sits behind the same authentication middleware and the same guard as the real route, reads the same
row with the same joins and columns, and answers with the same JSON shape; only the database access
differs (one prepared statement on a plain asyncpg pool, no ORM, no session, no transaction).
"""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
from litestar import Litestar, get
from litestar.datastructures import State
from sqlalchemy.engine import make_url

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.devices.schemas import DeviceOut
from service.errors import NotFound
from service.i18n import gettext
from service.money import format_cents
from service.settings import Settings

# The same columns, joins and filter as service.devices.repository.device_view.
DEVICE_SQL = """
SELECT devices.id, devices.asset_tag, devices.serial_number, devices.manufacturer, devices.model_id,
       devices.purchase_date, devices.purchase_price_cents, devices.supplier, devices.order_ref,
       devices.warranty_end, devices.holder_id, devices.location, devices.condition_grade, devices.notes,
       devices.replaces_id, devices.status, devices.status_changed_at, devices.version, devices.created_at,
       devices.updated_at, device_models.name AS model_name, device_models.category AS category,
       employees.name AS holder_name
FROM devices
JOIN device_models ON device_models.id = devices.model_id
LEFT OUTER JOIN employees ON employees.id = devices.holder_id
WHERE devices.id = $1
"""

# DeviceOut's fields, in its order, so the JSON is the same document key for key.
OUT_FIELDS = tuple(DeviceOut.model_fields)

_POOL_KEY = "bench_pg_pool"
_POOL_LOCK_KEY = "bench_pg_pool_lock"


def plain_dsn(database_url: str) -> str:
    """``postgresql+asyncpg://u:p@h/db`` -> ``postgresql://u:p@h/db``, the form asyncpg accepts."""
    url = make_url(database_url)
    if url.get_backend_name() != "postgresql":
        raise RuntimeError("The bench routes need PostgreSQL (KRINGLOOP_DATABASE_URL=postgresql+asyncpg://...).")
    return url.set(drivername="postgresql").render_as_string(hide_password=False)


async def _no_session_reset(_connection: asyncpg.Connection) -> None:
    """The bench route sets no session state (no SET, LISTEN, advisory lock or open transaction), so the
    default reset on release (``RESET ALL; UNLISTEN *; ...``), a second round trip per request that the
    SQLAlchemy pool does not make, would only slow the baseline down."""


async def _pool(state: State) -> asyncpg.Pool:
    pool = state.get(_POOL_KEY)
    if pool is not None:
        return pool
    lock = state.get(_POOL_LOCK_KEY)
    if lock is None:
        lock = state[_POOL_LOCK_KEY] = asyncio.Lock()
    async with lock:
        pool = state.get(_POOL_KEY)
        if pool is None:
            settings: Settings = state.settings
            # Same size as the SQLAlchemy engine's pool (10 + 10 overflow), so neither side gets more connections.
            pool = await asyncpg.create_pool(
                plain_dsn(settings.database_url), min_size=1, max_size=20, reset=_no_session_reset
            )
            state[_POOL_KEY] = pool
    return pool


async def close_bench_pool(app: Litestar) -> None:
    pool = app.state.get(_POOL_KEY)
    if pool is not None:
        app.state[_POOL_KEY] = None
        await pool.close()


class _get_closing_pool(get):
    """``@get`` that also registers :func:`close_bench_pool` as a shutdown hook of the app it joins."""

    def on_registration(self, app: Litestar) -> None:
        super().on_registration(app)
        if close_bench_pool not in app.on_shutdown:
            app.on_shutdown.append(close_bench_pool)


@_get_closing_pool(
    "/bench/devices/{device_id:int}/raw",
    guards=[requires(Permission.read_registry)],
    include_in_schema=False,
)
async def bench_device_raw(state: State, device_id: int) -> dict[str, Any]:
    pool = await _pool(state)
    row = await pool.fetchrow(DEVICE_SQL, device_id)
    if row is None:
        raise NotFound(gettext("No device has id {id}.").format(id=device_id))
    values = dict(row)
    values["purchase_price"] = format_cents(values.pop("purchase_price_cents"))
    values["currency"] = state.settings.currency
    return {name: values[name] for name in OUT_FIELDS}
