"""Companies, manufacturers, device models and employees a file names: found in the database or created (models
and employees; never companies), cached per import.

A model or employee the file needs but the database lacks is planned first (``NewModel``, ``NewEmployee``) and
inserted only when a row that uses it is written, so a refused row creates nothing and a dry run writes nothing.
On PostgreSQL its id is taken as soon as the chunk that first uses it is planned (``reserve_new``, prepare.py), and
later chunks take it as known. So one exception remains: a row refused at the last moment because someone changed its
device during the import (plan.py, ``lock_changes``) still brings the new employee or model it named, since rows
planned after it may already use them.
Lookups go one query per chunk for whatever the cache has not seen yet; companies are few, and read once.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel.ext.asyncio.session import AsyncSession

from service.companies.models import Company
from service.db import is_postgres, utcnow
from service.device_models.models import DeviceModel
from service.employees.models import Employee
from service.i18n import gettext
from service.imports import bulk
from service.imports.reader import RowError
from service.imports.rows import HolderRef

_models: sa.Table = DeviceModel.__table__  # type: ignore[attr-defined]
_employees: sa.Table = Employee.__table__  # type: ignore[attr-defined]
_companies: sa.Table = Company.__table__  # type: ignore[attr-defined]

# What a unit of a new model usually carries, so its wipe obligations start out listed (service/wipes): the media
# of the demo catalogue's models per category. A monitor carries none; for "other" one medium of unknown type is
# listed, since helpdesk can remove it or attest "no storage media", while a missed disk would leak data.
DEFAULT_MEDIA: dict[str, tuple[int, str | None]] = {
    "laptop": (1, "ssd"),
    "phone": (1, "phone_memory"),
    "tablet": (1, "emmc"),
    "desktop": (1, "ssd"),
    "monitor": (0, None),
    "other": (1, "other"),
}


@dataclass(frozen=True, slots=True)
class KnownModel:
    id: int
    manufacturer: str
    category: str
    # (storage_media_count, storage_media_type) as the catalogue says: what each new unit's media rows are.
    media: tuple[int, str | None] = (0, None)
    weight_grams: int | None = None  # for a new unit's one-for-one obligation


@dataclass(eq=False, slots=True)
class NewModel:
    manufacturer: str
    name: str
    category: str
    id: int | None = None

    @property
    def media(self) -> tuple[int, str | None]:
        """What the import writes into the catalogue for it (and so what each of its units carries)."""
        return DEFAULT_MEDIA[self.category]

    @property
    def weight_grams(self) -> None:
        return None  # a new model has no weight of its own: the category's default applies


@dataclass(frozen=True, slots=True)
class KnownEmployee:
    id: int
    name: str
    active: bool
    company_id: int


@dataclass(eq=False, slots=True)
class NewEmployee:
    name: str
    email: str
    company_id: int  # the company of the device of the row that first named them
    id: int | None = None


@dataclass(frozen=True, slots=True)
class KnownCompany:
    id: int
    name: str
    active: bool


# A file of a million rows may name a quarter of a million people: past this many entries a cache starts over
# (between chunks) instead of growing with the file. What it forgets is one query away; a model or employee it
# planned but did not write yet is planned again when a later row needs it.
MAX_CACHED = 50_000

_MODEL_COLUMNS = [_models.c[c] for c in ("id", "manufacturer", "name", "category", "storage_media_count",
                                         "storage_media_type", "weight_grams")]  # fmt: skip

ModelRef = KnownModel | NewModel
EmployeeRef = KnownEmployee | NewEmployee
_AMBIGUOUS = object()


@functools.lru_cache(maxsize=4096)
def _key(text: str) -> str:
    return " ".join(text.lower().split())


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class References:
    def __init__(self) -> None:
        self._manufacturers: dict[str, str | None] = {}
        self._spellings: dict[str, set[str]] = {}
        self._models: dict[tuple[str, str], ModelRef | None] = {}
        self._by_email: dict[str, EmployeeRef | None] = {}
        self._by_name: dict[str, Any] = {}
        self._by_username: dict[str, Any] = {}
        # Usernames of the employees this import creates, for rows naming them by username before the database
        # can show them (their chunk may still be writing): load_employees adds them to what it finds.
        self._new_usernames: dict[str, Any] = {}  # a NewEmployee, or _AMBIGUOUS when two share a username
        self._emails_lower: bool | None = None  # whether every stored email is in lower case (_email_match)
        self._companies: dict[str, KnownCompany] | None = None  # by _key(name), once load_companies ran

    async def load_companies(self, session: AsyncSession) -> None:
        """Every company, once per import: a handful of rows, so each row's Company cell is a dict lookup."""
        if self._companies is not None:
            return
        rows = await session.execute(sa.select(_companies.c.id, _companies.c.name, _companies.c.active))
        self._companies = {_key(r.name): KnownCompany(r.id, r.name, r.active) for r in rows}

    def company(self, name: str) -> KnownCompany | None:
        """The company of this name (any case and spacing), or None; ``load_companies`` went first."""
        assert self._companies is not None
        return self._companies.get(_key(name))

    def company_name(self, company_id: int) -> str:
        """For a refusal's message only (a few companies, so a scan rather than a second index to keep)."""
        found = (c.name for c in (self._companies or {}).values() if c.id == company_id)
        return next(found, f"#{company_id}")

    # Manufacturers: "DELL" in a file is the "Dell" the catalogue already has.
    async def load_manufacturers(self, session: AsyncSession, names: Iterable[str]) -> None:
        missing = {_key(n) for n in names} - self._manufacturers.keys()
        if not missing:
            return
        rows = await session.execute(
            sa.select(_models.c.manufacturer)
            .distinct()
            .where(sa.func.lower(_models.c.manufacturer).in_(sorted(missing)))
        )
        for (spelled,) in rows:
            self._spellings.setdefault(_key(spelled), set()).add(spelled)
        for key in missing:
            spellings = self._spellings.get(key)
            self._manufacturers[key] = min(spellings) if spellings else None

    def manufacturer(self, name: str) -> str:
        return self._manufacturers.get(_key(name)) or " ".join(name.split())

    def spellings(self, name: str) -> set[str]:
        """Every spelling of this manufacturer devices may carry (models "Dell" and "DELL" can both exist)."""
        known = self._spellings.get(_key(name))
        return known if known is not None and name in known else (known or set()) | {name}

    async def load_models(self, session: AsyncSession, pairs: Iterable[tuple[str, str]]) -> None:
        missing = {(_key(m), _key(n)) for m, n in pairs} - self._models.keys()
        if not missing:
            return
        rows = await session.execute(
            sa.select(*_MODEL_COLUMNS).where(
                sa.func.lower(_models.c.manufacturer).in_(sorted({m for m, _ in missing})),
                sa.func.lower(_models.c.name).in_(sorted({n for _, n in missing})),
            )
        )
        for row in rows:
            key = (_key(row.manufacturer), _key(row.name))
            if key in missing:
                media = (row.storage_media_count or 0, row.storage_media_type)
                self._models[key] = KnownModel(row.id, row.manufacturer, row.category, media, row.weight_grams)
        for key in missing:
            self._models.setdefault(key, None)

    def model(self, manufacturer: str, name: str, category: str) -> ModelRef:
        """The catalogue's model, or the one this import will add (``load_models`` went first)."""
        key = (_key(manufacturer), _key(name))
        found = self._models.get(key)
        if found is None:
            found = self._models[key] = NewModel(manufacturer, " ".join(name.split()), category)
        return found

    def _caches(self) -> tuple[dict[Any, Any], ...]:
        return self._models, self._by_email, self._by_name, self._by_username, self._new_usernames

    def wants_restart(self) -> bool:
        """Whether ``start_chunk`` will forget entries. The caller first lets every planned chunk commit: a model or
        employee an earlier chunk is still writing is known only here, and looked up again it would not be found
        (its insert is not committed yet) and be planned, and inserted, a second time."""
        return any(len(cache) > MAX_CACHED for cache in self._caches())

    def start_chunk(self) -> None:
        """Called before a chunk is planned, never during one: the chunk's plans point into these caches."""
        for cache in self._caches():
            if len(cache) > MAX_CACHED:
                cache.clear()

    async def load_employees(self, session: AsyncSession, holders: Iterable[HolderRef]) -> None:
        holders = list(holders)
        emails = {h.email for h in holders if h.email} - self._by_email.keys()
        names = {_key(h.name) for h in holders if h.name and not h.email} - self._by_name.keys()
        usernames = {h.username.lower() for h in holders if h.username and not h.email and not h.name}
        usernames -= self._by_username.keys()
        columns = (_employees.c.id, _employees.c.name, _employees.c.email, _employees.c.active, _employees.c.company_id)
        if emails:
            for row in await session.execute(sa.select(*columns).where(await self._email_match(session, emails))):
                self._by_email[row.email.lower()] = KnownEmployee(row.id, row.name, row.active, row.company_id)
            for email in emails:
                self._by_email.setdefault(email, None)
        if names:
            for row in await session.execute(sa.select(*columns).where(sa.func.lower(_employees.c.name).in_(names))):
                key = _key(row.name)
                known = KnownEmployee(row.id, row.name, row.active, row.company_id)
                self._by_name[key] = _AMBIGUOUS if key in self._by_name else known
            for name in names:
                self._by_name.setdefault(name, None)
        if usernames:
            # Snipe-IT usernames are usually the part of the work email before the "@".
            local = sa.func.lower(_employees.c.email)
            condition = sa.or_(*[local.like(f"{_like_escape(u)}@%", escape="\\") for u in sorted(usernames)])
            for row in await session.execute(sa.select(*columns).where(condition)):
                key = row.email.lower().split("@")[0]
                known = KnownEmployee(row.id, row.name, row.active, row.company_id)
                self._by_username[key] = _AMBIGUOUS if key in self._by_username else known
            for username in usernames:
                self._by_username.setdefault(username, None)
                if username in self._new_usernames:
                    self._add_username(username, self._new_usernames[username])

    async def _email_match(self, session: AsyncSession, emails: set[str]) -> sa.ColumnElement[bool]:
        """Employees whose email, lower-cased, is one of ``emails``. The employees service and the import store
        emails lower-cased, and where every stored one is, the unique index on the column answers; ``lower(email)``
        would read every employee for every chunk (a quarter of a million in a file of a million rows). Checked
        once per import: a single scan, and only a database someone wrote to by hand takes the slow way."""
        if self._emails_lower is None:
            mixed = await session.execute(
                sa.select(_employees.c.id).where(_employees.c.email != sa.func.lower(_employees.c.email)).limit(1)
            )
            self._emails_lower = mixed.first() is None
        column = _employees.c.email if self._emails_lower else sa.func.lower(_employees.c.email)
        if is_postgres(session):  # one array parameter, not one per email to send and plan
            return column == sa.any_(sa.literal(sorted(emails), ARRAY(sa.String)))
        return column.in_(sorted(emails))

    def _add_username(self, username: str, new: Any) -> None:
        """A username now also names ``new`` (an employee this import creates): theirs alone, or ambiguous if it
        already named someone else."""
        current = self._by_username[username]
        if new is _AMBIGUOUS or current is _AMBIGUOUS:
            self._by_username[username] = _AMBIGUOUS
        elif current is None or current is new:
            self._by_username[username] = new
        elif not (isinstance(current, KnownEmployee) and current.id == new.id):  # theirs, read back once written
            self._by_username[username] = _AMBIGUOUS

    def employee(self, holder: HolderRef, company_id: int) -> EmployeeRef | RowError:
        """The employee the row names (``load_employees`` went first), or why none can be used. Someone the import
        has to create works for ``company_id``, the company of the row's device."""
        found: Any
        if holder.email:
            found = self._by_email.get(holder.email)
            if found is None:
                name = holder.name or holder.username or holder.email.split("@")[0]
                found = self._by_email[holder.email] = NewEmployee(name=name, email=holder.email, company_id=company_id)
                if self._by_name.get(_key(name)) is None:  # later rows may name them without the email
                    self._by_name[_key(name)] = found
                username = holder.email.split("@")[0]
                earlier = self._new_usernames.setdefault(username, found)
                if earlier is not found:
                    self._new_usernames[username] = _AMBIGUOUS
                if username in self._by_username:
                    self._add_username(username, found)
        elif holder.name:
            found = self._by_name.get(_key(holder.name))
            if found is None:
                return RowError(
                    "holder",
                    gettext('no employee is named "{name}"; add their email to create them').format(name=holder.name),
                )
        else:
            assert holder.username is not None
            found = self._by_username.get(holder.username.lower())
            if found is None:
                return RowError(
                    "holder",
                    gettext('no employee has username "{username}"; add their email').format(username=holder.username),
                )
        if found is _AMBIGUOUS:
            return RowError(
                "holder",
                gettext('several employees are called "{name}"; give the email instead').format(
                    name=holder.describe()
                ),
            )
        return found  # possibly inactive: only a device moving to them is refused (plan.py)

    async def insert_new(
        self, session: AsyncSession, models: list[NewModel], employees: list[NewEmployee]
    ) -> dict[str, list[dict[str, Any]]]:
        """SQLite: inserts the planned models and employees a chunk's written rows use; returns them for the
        audit."""
        now = utcnow()
        model_values, employee_values = _model_values(models, now), _employee_values(employees, now)
        model_ids = await _insert_returning_ids(session, _models, model_values)
        employee_ids = await _insert_returning_ids(session, _employees, employee_values)
        return self._adopt(models, model_ids, model_values, employees, employee_ids)

    async def reserve_new(
        self, session: AsyncSession, models: list[NewModel], employees: list[NewEmployee], now: datetime
    ) -> tuple[dict[str, list[dict[str, Any]]], list[bulk.Copy]]:
        """PostgreSQL: ids for the planned models and employees a chunk's rows use, taken before the chunk is
        written, and the rows to COPY when it is (bulk.Prepared); returns them for the audit as well. From here on
        later chunks take them as known: they are written after this chunk, in file order."""
        model_values, employee_values = _model_values(models, now), _employee_values(employees, now)
        model_ids = await bulk.reserve_ids(session, _models, len(models))
        employee_ids = await bulk.reserve_ids(session, _employees, len(employees))
        copies = [
            bulk.Copy.of(table, ids, values)
            for table, ids, values in ((_models, model_ids, model_values), (_employees, employee_ids, employee_values))
            if values
        ]
        return self._adopt(models, model_ids, model_values, employees, employee_ids), copies

    def _adopt(
        self,
        models: list[NewModel],
        model_ids: list[int],
        model_values: list[dict[str, Any]],
        employees: list[NewEmployee],
        employee_ids: list[int],
    ) -> dict[str, list[dict[str, Any]]]:
        """The new models and employees now have ids: the cache knows them as it would have read them."""
        created: dict[str, list[dict[str, Any]]] = {}
        for model, new_id, value in zip(models, model_ids, model_values, strict=True):
            model.id = new_id
            media = (value["storage_media_count"], value["storage_media_type"])
            self._models[(_key(model.manufacturer), _key(model.name))] = KnownModel(
                new_id, model.manufacturer, model.category, media
            )
            self._spellings.setdefault(_key(model.manufacturer), set()).add(model.manufacturer)
            self._manufacturers.setdefault(_key(model.manufacturer), model.manufacturer)
        if models:
            created["device_models_created"] = [
                {"id": new_id, **{k: v for k, v in value.items() if k not in ("version", "created_at", "updated_at")}}
                for new_id, value in zip(model_ids, model_values, strict=True)
            ]
        for employee, new_id in zip(employees, employee_ids, strict=True):
            employee.id = new_id
            known = KnownEmployee(new_id, employee.name, True, employee.company_id)
            self._by_email[employee.email] = known
            if self._by_name.get(_key(employee.name)) is employee:
                self._by_name[_key(employee.name)] = known
            if self._by_username.get(username := employee.email.split("@")[0]) is employee:
                self._by_username[username] = known
        if employees:
            created["employees_created"] = [
                {"id": e.id, "name": e.name, "email": e.email, "company_id": e.company_id} for e in employees
            ]
        return created


def _model_values(models: list[NewModel], now: datetime) -> list[dict[str, Any]]:
    values = []
    for m in models:
        count, media_type = m.media
        values.append(
            {"manufacturer": m.manufacturer, "name": m.name, "category": m.category, "weight_grams": None,
             "storage_media_count": count, "storage_media_type": media_type, "version": 1,
             "created_at": now, "updated_at": now}
        )  # fmt: skip
    return values


def _employee_values(employees: list[NewEmployee], now: datetime) -> list[dict[str, Any]]:
    return [
        {"name": e.name, "email": e.email, "department": "", "active": True, "version": 1,
         "created_at": now, "updated_at": now, "company_id": e.company_id}
        for e in employees
    ]  # fmt: skip


async def _insert_returning_ids(session: AsyncSession, table: sa.Table, values: list[dict[str, Any]]) -> list[int]:
    if not values:
        return []
    statement = sa.insert(table).returning(table.c.id, sort_by_parameter_order=True)
    return list((await session.execute(statement, values)).scalars().all())
