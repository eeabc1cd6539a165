"""The demo organisation: a mid-sized Dutch company with a realistic, ageing fleet (demo mode only)."""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta

from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.models import User
from service.accounts.permissions import Role
from service.accounts.schemas import UserCreate
from service.accounts.service import create_user
from service.audit import service as audit
from service.charities.models import Charity
from service.companies import service as companies
from service.companies.models import DEFAULT_COMPANY_ID
from service.companies.schemas import CompanyCreate, CompanyUpdate
from service.compensation.service import compensation_rules
from service.context import Actor
from service.db import make_engine, make_sessionmaker, session_scope
from service.device_models.schemas import DeviceModelCreate
from service.device_models.service import create_model
from service.devices.lifecycle import Move
from service.devices.schemas import DeviceCreate
from service.devices.service import RegistryRules, move_device, register_device
from service.employees.schemas import EmployeeCreate
from service.employees.service import create_employee
from service.i18n import gettext
from service.settings import Settings

DEMO_PASSWORD = "demo"
DEMO_LOGINS = [
    ("admin", Role.admin),
    ("helpdesk", Role.helpdesk),
    ("helpdesk2", Role.helpdesk),
    ("finance", Role.finance),
    ("finance2", Role.finance),
    ("finance3", Role.finance),
    ("auditor", Role.auditor),
    ("charity", Role.charity),
    ("charity2", Role.charity),
    ("helpdesk-zorg", Role.helpdesk),
]
# The organisation is two legal entities: the default company (named after the demo donor, so its statements give
# under the organisation's name) and a care company with a legal name, KvK number and RSIN of its own.
DEFAULT_COMPANY_NAME = "Voorbeeld Zakelijke Diensten"
ZORG = CompanyCreate(
    name="Kringloop Zorg",
    legal_name="Kringloop Zorg B.V.",
    address="Zorgpad 8, 3521 AZ Utrecht",
    kvk_number="71234568",
    rsin="856712346",
)
# Users who work for one company only: they see its devices, employees and pool, nothing of the other's.
SCOPED_LOGINS = {"helpdesk-zorg": ZORG.name}
ZORG_SHARE = 0.25  # of the devices (and every fourth employee)
# Finance's budgets inside each company ("": a device booked on none).
DEFAULT_COST_CENTRES = ["ICT", "Finance", "Sales", ""]
ZORG_COST_CENTRES = ["Zorg-Noord", "Zorg-Zuid", ""]
ZORG_DEPARTMENTS = ["Wijkteam Noord", "Wijkteam Zuid", "Planning", "Zorgadministratie"]
CHARITIES = ["Stichting Digitale Brug", "Laptops voor Iedereen"]
# (manufacturer, name, category, grams, media count, media type, list price in euros)
MODELS = [
    ("Dell", "Latitude 5440", "laptop", 1590, 1, "ssd", 1249),
    ("Dell", "Latitude 7420", "laptop", 1350, 1, "ssd", 1599),
    ("Lenovo", "ThinkPad T14 Gen 4", "laptop", 1370, 1, "ssd", 1399),
    ("Lenovo", "ThinkPad X1 Carbon Gen 9", "laptop", 1130, 1, "ssd", 1899),
    ("HP", "EliteBook 840 G10", "laptop", 1360, 1, "ssd", 1349),
    ("Apple", "MacBook Air M2", "laptop", 1240, 1, "ssd", 1299),
    ("Apple", "iPhone 13", "phone", 174, 1, "phone_memory", 799),
    ("Apple", "iPhone 15", "phone", 171, 1, "phone_memory", 969),
    ("Samsung", "Galaxy S23", "phone", 168, 1, "phone_memory", 899),
    ("Fairphone", "Fairphone 5", "phone", 212, 1, "phone_memory", 699),
    ("Apple", "iPad (10th generation)", "tablet", 477, 1, "emmc", 579),
    ("Samsung", "Galaxy Tab S9", "tablet", 498, 1, "emmc", 899),
    ("Dell", "OptiPlex 7010 Micro", "desktop", 1200, 1, "ssd", 899),
    ("HP", "ProDesk 400 G7", "desktop", 4300, 1, "hdd", 749),
    ("Dell", "P2422H", "monitor", 5700, 0, None, 229),
]
FIRST = [
    "Sanne",
    "Daan",
    "Emma",
    "Lucas",
    "Julia",
    "Sem",
    "Tess",
    "Finn",
    "Lotte",
    "Milan",
    "Anouk",
    "Thijs",
    "Fleur",
    "Ruben",
    "Noor",
    "Jesse",
    "Eva",
    "Bram",
    "Sophie",
    "Lars",
    "Iris",
    "Stijn",
    "Maud",
    "Joris",
    "Fatima",
    "Mohamed",
    "Yara",
    "Ahmet",
    "Priya",
    "Wei",
]
LAST = [
    "de Jong",
    "Jansen",
    "de Vries",
    "van den Berg",
    "Bakker",
    "Visser",
    "Smit",
    "Meijer",
    "de Boer",
    "Mulder",
    "de Groot",
    "Bos",
    "Vos",
    "Peters",
    "Hendriks",
    "van Leeuwen",
    "Dekker",
    "Brouwer",
    "de Wit",
    "Dijkstra",
    "Yilmaz",
    "El Amrani",
    "Kaya",
    "Chen",
]
DEPARTMENTS = ["Finance", "Sales", "Engineering", "Customer Service", "HR", "Operations", "Marketing", "IT"]
SUPPLIERS = ["Centralpoint", "Bechtle", "Dustin", "Coolblue Zakelijk"]
DEVICE_COUNT = 300
EMPLOYEE_COUNT = 120


class DemoRefused(RuntimeError):
    pass


async def ensure_demo(settings: Settings) -> bool:
    """Loads the demo organisation when the database has no users yet; True if it did."""
    engine = make_engine(settings)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            if (await session.exec(select(User.id).limit(1))).first() is not None:
                return False
            await _load(session, settings)
            return True
    finally:
        await engine.dispose()


async def load_demo(settings: Settings) -> str:
    engine = make_engine(settings)
    try:
        async with session_scope(make_sessionmaker(engine)) as session:
            if (await session.exec(select(User.id).limit(1))).first() is not None:
                raise DemoRefused(
                    gettext("The database already has users; the demo loads only into an empty database.")
                )
            return await _load(session, settings)
    finally:
        await engine.dispose()


async def _load(session: AsyncSession, settings: Settings) -> str:
    rng = random.Random(2026)
    actor = Actor.system("demo")
    today = datetime.now(settings.tz).date()
    rules = RegistryRules(
        max_purchase_price_cents=settings.max_purchase_price_cents,
        today=today,
        compensation=compensation_rules(settings),
    )

    default = await companies.get_company(session, DEFAULT_COMPANY_ID)
    await companies.update_company(
        session, actor, DEFAULT_COMPANY_ID, CompanyUpdate(version=default.version, name=DEFAULT_COMPANY_NAME)
    )
    zorg = await companies.create_company(session, actor, ZORG)
    assert zorg.id is not None
    company_ids = {ZORG.name: zorg.id}
    # The split between the companies draws from a generator of its own, not from the fleet's.
    split = random.Random(14)

    charities = []
    for name in CHARITIES:
        charity = Charity(name=name)
        session.add(charity)
        await session.flush()
        await audit.record(session, actor, "charity.create", "charity", charity.id, after=audit.snapshot(charity))
        charities.append(charity)
    for username, role in DEMO_LOGINS:
        charity_id = None
        if role is Role.charity:
            charity_id = charities[0 if username == "charity" else 1].id
        full_name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        await create_user(
            session,
            actor,
            UserCreate(
                username=username,
                password=DEMO_PASSWORD,
                role=role,
                charity_id=charity_id,
                full_name=full_name,
                company_ids=[company_ids[SCOPED_LOGINS[username]]] if username in SCOPED_LOGINS else [],
            ),
            allow_weak_password=True,
        )

    models = []
    for manufacturer, name, category, grams, count, media, price in MODELS:
        model = await create_model(
            session,
            actor,
            DeviceModelCreate(
                manufacturer=manufacturer,
                name=name,
                category=category,
                weight_grams=grams,
                storage_media_count=count,
                storage_media_type=media,
            ),
        )
        models.append((model, price))

    employees = []
    used_emails: set[str] = set()
    for i in range(EMPLOYEE_COUNT):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        email = f"{first}.{last}".lower().replace(" ", "") + "@example.nl"
        if email in used_emails:
            email = email.replace("@", f"{i}@")
        used_emails.add(email)
        department = rng.choice(DEPARTMENTS)
        in_zorg = i % 4 == 3  # every fourth: the first employees (the API's first page) work at the default company
        employee = await create_employee(
            session,
            actor,
            EmployeeCreate(
                name=f"{first} {last}",
                email=email,
                department=split.choice(ZORG_DEPARTMENTS) if in_zorg else department,
                active=i < EMPLOYEE_COUNT - 4,
                company_id=zorg.id if in_zorg else DEFAULT_COMPANY_ID,
            ),
        )
        employees.append(employee)
    # A device is given to someone of its own company (the service refuses anyone else).
    active = {
        company_id: [e for e in employees if e.active and e.company_id == company_id]
        for company_id in (DEFAULT_COMPANY_ID, zorg.id)
    }

    counts: dict[str, int] = {}
    for n in range(1, DEVICE_COUNT + 1):
        model, list_price = rng.choices(models, weights=[8, 5, 8, 4, 6, 5, 6, 5, 4, 3, 4, 2, 3, 2, 4])[0]
        age_days = rng.randint(20, 7 * 365)
        purchased = today - timedelta(days=age_days)
        price_cents = int(list_price * 100 * rng.uniform(0.85, 1.0))
        company_id = zorg.id if split.random() < ZORG_SHARE else DEFAULT_COMPANY_ID
        cost_centre = split.choice(ZORG_COST_CENTRES if company_id == zorg.id else DEFAULT_COST_CENTRES)
        device = await register_device(
            session,
            actor,
            DeviceCreate(
                asset_tag=f"KL-{n:05d}",
                serial_number=f"{model.manufacturer[:2].upper()}{rng.randrange(10**9):09d}",
                model_id=model.id,
                purchase_date=purchased,
                purchase_price=f"{price_cents // 100}.{price_cents % 100:02d}",
                supplier=rng.choice(SUPPLIERS),
                order_ref=f"PO-{purchased.year}-{rng.randint(100, 999)}",
                warranty_end=_add_years(purchased, 3),
                location=rng.choice(["Utrecht HQ", "Amsterdam", "Eindhoven", "Remote"]),
                condition_grade=rng.choices("ABCD", weights=[5, 4, 2, 1])[0],
                company_id=company_id,
                cost_centre=cost_centre,
            ),
            rules,
        )
        assert device.id is not None
        fate = _fate(rng, age_days)
        if fate != "in_stock":
            await move_device(session, actor, device.id, Move.assign, holder_id=rng.choice(active[company_id]).id)
        if fate == "in_repair":
            await move_device(
                session,
                actor,
                device.id,
                Move.repair,
                reason="Battery swells; keyboard lifts",
                details={"supplier": "Repair Café Zakelijk", "expected_cost_cents": 14900},
            )
        elif fate == "retired":
            await move_device(
                session,
                actor,
                device.id,
                Move.retire,
                reason=rng.choice(["Mainboard failure", "Liquid damage", "Screen and hinge broken"]),
            )
        elif fate == "lost":
            await move_device(
                session, actor, device.id, Move.report_lost, reason="Stolen from a car; police report filed"
            )
        counts[fate] = counts.get(fate, 0) + 1
    summary = ", ".join(f"{n} {state}" for state, n in sorted(counts.items()))
    from service.compensation.demo import seed_compensation
    from service.faults.demo import seed_faults

    summary += f"; {await seed_faults(session, settings, rules, rng)}; {await seed_compensation(session, settings)}"
    from service.donations.demo import seed_donations

    summary += f"; {await seed_donations(session, settings, today)}"
    # After the donations took the devices they value: the wipes demo works on the retired devices left over.
    from service.wipes.demo import seed_wipes

    summary += f"; {await seed_wipes(session, settings)}"
    from service.impact.demo import seed_history

    return f"{summary}; {await seed_history(session, settings, today)}"


def _fate(rng: random.Random, age_days: int) -> str:
    roll = rng.random()
    if age_days > 4 * 365 and roll < 0.25:
        return "retired"
    if roll < 0.03:
        return "lost"
    if roll < 0.07:
        return "in_repair"
    if roll < 0.17:
        return "in_stock"
    return "in_use"


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)
