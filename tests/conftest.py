"""Test databases: every database test runs on SQLite, and on PostgreSQL when
KRINGLOOP_TEST_POSTGRES_URL is set (required under CI=true)."""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from service.bootstrap import wire_features
from service.i18n import LOCALE_DIR, set_default_locale
from service.migrate import upgrade
from service.settings import Settings

# The suite was written against English texts: the organisation default in tests is English (a Dutch test says so),
# also for what reads KRINGLOOP_LANG itself (the CLI, Settings() without arguments).
set_default_locale("en")
os.environ.setdefault("KRINGLOOP_LANG", "en")

POSTGRES_URL = os.environ.get("KRINGLOOP_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() == "true"
TEST_SECRET = "test-secret-key-0123456789abcdef"
# Tables that keep their rows between tests (the chain head is reset instead). pool_lock's one row is put there
# by its migration and never changes; without it every pool writer's row lock would lock nothing.
_KEEP = {"alembic_version", "pool_lock"}


def _parse_each_signature_once() -> None:
    """Litestar parses every handler's signature again for every app, about a third of create_app's 0.45 s (CPU);
    the suite builds an app for nearly every test. A handler parses the same every time, so it is parsed once per
    run here. Only what cannot differ between two apps is shared: a controller method (by class and function) and
    a default-less function (by code and annotations), in the same signature namespace (by identity)."""
    import types
    from collections.abc import Hashable
    from typing import Any

    from litestar.utils.signature import ParsedSignature

    parse = ParsedSignature.from_fn.__func__  # type: ignore[attr-defined]
    parsed: dict[Hashable, tuple[ParsedSignature, list[Any]]] = {}

    def fn_key(fn: Any) -> Hashable | None:
        if isinstance(fn, types.MethodType):  # a controller's handler, bound to that app's controller instance
            return ("method", type(fn.__self__), fn.__func__)
        if isinstance(fn, types.FunctionType) and not fn.__defaults__ and not fn.__kwdefaults__:
            # Closures a factory makes again for every app (the OPTIONS handler of each path): the same code with the
            # same annotations parses the same. Defaults could differ between two of them, so those are not kept.
            annotations = tuple(fn.__annotations__.items())
            try:
                hash(annotations)
            except TypeError:
                return None
            return ("function", fn.__code__, id(fn.__globals__), annotations)
        return None

    def from_fn(cls: type[ParsedSignature], fn: Any, signature_namespace: dict[str, Any]) -> ParsedSignature:
        key = fn_key(fn)
        if key is None:
            return parse(cls, fn, signature_namespace)
        names = sorted(signature_namespace)
        key = (cls, key, tuple(names), tuple(id(signature_namespace[n]) for n in names))
        if key not in parsed:
            # The namespace's values are kept with the result, so the ids in the key stay theirs.
            parsed[key] = (parse(cls, fn, signature_namespace), [signature_namespace[n] for n in names])
        return parsed[key][0]

    ParsedSignature.from_fn = classmethod(from_fn)  # type: ignore[method-assign,assignment]


_parse_each_signature_once()

# As every entry point does: tests that call the device services directly get the features' hooks too.
wire_features()


def postgres_required_or_skip() -> None:
    if POSTGRES_URL:
        return
    message = "PostgreSQL tests need KRINGLOOP_TEST_POSTGRES_URL (e.g. postgresql+asyncpg://postgres@127.0.0.1/test)"
    if IN_CI:
        pytest.fail(f"CI=true but {message}", pytrace=False)
    pytest.skip(message)


def _admin_dsn(url: str) -> str:
    u = make_url(url).set(drivername="postgresql")
    return u.render_as_string(hide_password=False)


async def _pg_exec(url: str, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


def create_pg_database(name: str) -> str:
    """Creates a scratch database beside the configured one and returns its async URL."""
    asyncio.run(_pg_exec(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'))
    return make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)


def drop_pg_database(name: str) -> None:
    asyncio.run(_pg_exec(POSTGRES_URL, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@dataclass(frozen=True)
class Database:
    kind: str
    url: str


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("sqlite-template") / "template.db"
    upgrade(f"sqlite+aiosqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_database() -> Iterator[str]:
    postgres_required_or_skip()
    name = f"kringloop_t_{os.getpid()}_{uuid.uuid4().hex[:6]}"
    url = create_pg_database(name)
    upgrade(url)
    yield url
    drop_pg_database(name)


async def _reset_postgres(url: str) -> None:
    """Empties what the previous test wrote. Only the tables holding rows are emptied and only the sequences that
    handed out a value are restarted: a TRUNCATE of all 40-odd tables took 0.43 s a test (new files for every table
    and index), a DELETE of the few rows a test leaves about 0.02 s. DELETE rather than TRUNCATE: a TRUNCATE of the
    companies table cascades to every table that refers to it, empty or not. The replica role keeps the triggers
    (the immutable tables' refusals, the foreign keys' checks) out of it, as TRUNCATE did. A sequence is checked on
    its own, as a rolled-back insert moves it and leaves no row."""
    import asyncpg
    from sqlmodel import SQLModel

    import service.models  # noqa: F401

    tables = [t for t in SQLModel.metadata.tables if t not in _KEEP]
    conn = await asyncpg.connect(_admin_dsn(url))
    try:
        filled = [
            r[0]
            for r in await conn.fetch(
                " UNION ALL ".join(f"SELECT '{t}' WHERE EXISTS (SELECT 1 FROM \"{t}\")" for t in tables)
            )
        ]
        # The sequences the tables own (serial and identity columns) that handed out a value since their restart.
        used = [
            r[0]
            for r in await conn.fetch(
                "SELECT s.oid::regclass::text FROM pg_class s JOIN pg_depend d ON d.classid = 'pg_class'::regclass "
                "AND d.objid = s.oid AND d.deptype IN ('a', 'i') JOIN pg_class t ON t.oid = d.refobjid "
                "JOIN pg_sequences q ON q.schemaname = 'public' AND q.sequencename = s.relname "
                "WHERE s.relkind = 'S' AND t.relname = ANY($1::text[]) AND q.last_value IS NOT NULL",
                tables,
            )
        ]
        async with conn.transaction():
            if await conn.fetchval("SELECT current_setting('is_superuser')") == "on":
                await conn.execute("SET LOCAL session_replication_role = replica")
                for table in filled:
                    await conn.execute(f'DELETE FROM "{table}"')
                for sequence in used:
                    await conn.execute(f"ALTER SEQUENCE {sequence} RESTART")
                await conn.execute("SET LOCAL session_replication_role = origin")
            else:  # only a superuser may set the replica role: all of it, the slow way
                await conn.execute(
                    "TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " RESTART IDENTITY CASCADE"
                )
            await conn.execute("INSERT INTO audit_chain_head (id, seq, hash) VALUES (1, 0, '" + "0" * 64 + "')")
            # What migration 0015 leaves: the default company, and its sequence past it.
            await conn.execute(
                "INSERT INTO companies (id, name, legal_name, address, kvk_number, rsin, active, version, created_at, "
                "updated_at) VALUES (1, 'Default company', '', '', '', '', true, 1, now(), now())"
            )
            await conn.execute("SELECT setval(pg_get_serial_sequence('companies', 'id'), 1)")
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A migrated, empty database of each kind. Synchronous: alembic runs its own event loop."""
    if request.param == "sqlite":
        template: Path = request.getfixturevalue("sqlite_template")
        path = tmp_path / "test.db"
        shutil.copy(template, path)
        yield Database("sqlite", f"sqlite+aiosqlite:///{path}")
    else:
        url: str = request.getfixturevalue("postgres_database")
        asyncio.run(_reset_postgres(url))
        yield Database("postgres", url)


def make_settings(url: str, **overrides: object) -> Settings:
    values: dict[str, object] = dict(
        database_url=url,
        secret_key=TEST_SECRET,
        demo_mode=False,
        scheduler_enabled=False,
        auth_cache_seconds=0,
        login_max_failures=5,
        log_level="WARNING",
        lang="en",
        # Outside demo mode no donation is approved without the donor's details (statements must be complete).
        donor_name="Testbedrijf B.V.",
        donor_address="Teststraat 1, 3511 AA Utrecht",
        donor_kvk_number="87654321",
        donor_rsin="123456782",
    )
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


@pytest.fixture
def settings(database: Database) -> Settings:
    return make_settings(database.url)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API keeps an event loop running in the main thread for the rest
    of the session, and the database fixtures (alembic, the PostgreSQL reset) start loops of their own there.
    pytest-xdist (make test) hands each worker its tests in this order, so they run last in every worker too."""
    items.sort(key=lambda item: item.get_closest_marker("browser") is not None)


@pytest.fixture(scope="session", autouse=True)
def compiled_catalogues() -> None:
    """The .mo files `make i18n-compile` builds, so a plain `pytest` reads the same translations as `make test`."""
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    for po in LOCALE_DIR.glob("*/LC_MESSAGES/messages.po"):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            with po.open("rb") as source:
                catalog = read_po(source)
            # Written beside and renamed: pytest-xdist's workers all run this, and one may read while another writes.
            partial = mo.with_suffix(f".mo.{os.getpid()}")
            with partial.open("wb") as target:
                write_mo(target, catalog)
            partial.replace(mo)
