"""What a statement says, gathered from the donation, its credits and their evidence (reference/statements.md).

The document is a schema.org DonateAction-like JSON object (agent, recipient, object, price, priceCurrency,
startTime) with the fields Dutch, German and US practice ask for: donor and recipient identities, the charity's
ANBI status and when it was checked, one line per device (asset tag, model, serial, age, grade, faults, wipe
certificates, valuation method and policy version, value), the "no counter-performance" line, the approvers,
and the people-reached estimate.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.charities.models import Charity
from service.charities.rules import kvk_problem, people_reached, rsin_problem
from service.companies.models import Company
from service.device_models.models import DeviceModel
from service.devices.models import Device
from service.donations.models import Donation, DonationAllocation
from service.money import format_cents
from service.pool.models import PoolEntry
from service.settings import Settings
from service.statements.evidence import wipe_certificates
from service.statements.render import NO_COUNTER_PERFORMANCE
from service.valuation.estimator import months_between
from service.valuation.models import Valuation

DEMO_DONOR = {
    "name": "Voorbeeld Zakelijke Diensten B.V. (demo)",
    "address": "Stationsplein 1, 3511 ED Utrecht",
    "kvkNumber": "12345678",
    "rsin": "123456782",
}


@dataclass(frozen=True)
class Meta:
    number: str
    version: int
    kind: str
    issued_at: datetime
    issued_on: date
    supersedes: str | None
    reason: str


@dataclass(frozen=True)
class Approval:
    step: str
    by: str
    at: datetime


def donor(settings: Settings, company: Company | None = None) -> dict[str, str]:
    """Who gives: the donating company, when it has a legal name of its own; else the organisation (settings)."""
    if company is not None and company.legal_name.strip():
        return {
            "name": company.legal_name,
            "address": company.address,
            "kvkNumber": company.kvk_number,
            "rsin": company.rsin,
        }
    if settings.demo_mode and not settings.donor_name:
        return dict(DEMO_DONOR)
    return {
        "name": settings.donor_name,
        "address": settings.donor_address,
        "kvkNumber": settings.donor_kvk_number,
        "rsin": settings.donor_rsin,
    }


# What a donor's details must hold before a statement is issued outside demo mode, and the setting for each.
DONOR_FIELDS = (
    ("name", "legal name", "KRINGLOOP_DONOR_NAME"),
    ("address", "address", "KRINGLOOP_DONOR_ADDRESS"),
    ("kvkNumber", "chamber of commerce (KvK) number", "KRINGLOOP_DONOR_KVK_NUMBER"),
    ("rsin", "RSIN", "KRINGLOOP_DONOR_RSIN"),
)
# The same, when the donating company gives under its own legal name: the company's fields hold them.
COMPANY_DONOR_FIELDS = (
    ("name", "legal name", "legal_name"),
    ("address", "address", "address"),
    ("kvkNumber", "chamber of commerce (KvK) number", "kvk_number"),
    ("rsin", "RSIN", "rsin"),
)


def donor_fields(company: Company | None) -> tuple[tuple[str, str, str], ...]:
    return COMPANY_DONOR_FIELDS if company is not None and company.legal_name.strip() else DONOR_FIELDS


def donor_problems(
    details: dict[str, str], fields: tuple[tuple[str, str, str], ...] = DONOR_FIELDS
) -> list[dict[str, str]]:
    """Per missing or malformed donor field, the setting (or company field) that holds it and what is wrong;
    empty when complete."""
    checks = {"kvkNumber": kvk_problem, "rsin": rsin_problem}
    problems: list[dict[str, str]] = []
    for key, label, variable in fields:
        value = details.get(key, "").strip()
        wrong = f"the donor's {label} is not set" if not value else (checks[key](value) if key in checks else None)
        if wrong:
            problems.append({"field": variable, "message": wrong})
    return problems


async def _lines(session: AsyncSession, donation_id: int, on: date) -> list[dict[str, Any]]:
    stmt = (
        sa.select(
            DonationAllocation.amount_cents,
            DonationAllocation.pool_entry_id,
            PoolEntry.kind,
            PoolEntry.reason,
            Device.id,
            Device.asset_tag,
            Device.serial_number,
            Device.purchase_date,
            Device.condition_grade,
            DeviceModel.manufacturer,
            DeviceModel.name,
            DeviceModel.category,
            Valuation.id,
            Valuation.method,
            Valuation.policy_version,
            Valuation.inputs,
            Valuation.estimated_cents,
            Valuation.override_cents,
        )
        .join(PoolEntry, PoolEntry.id == DonationAllocation.pool_entry_id)
        .outerjoin(Device, Device.id == PoolEntry.credit_device_id)
        .outerjoin(DeviceModel, DeviceModel.id == Device.model_id)
        .outerjoin(Valuation, Valuation.id == PoolEntry.valuation_id)
        .where(DonationAllocation.donation_id == donation_id)
        .order_by(DonationAllocation.pool_entry_id)
    )
    rows = (await session.execute(stmt)).all()
    device_values = await _device_values(session, donation_id)
    certificates = await wipe_certificates(session, [r[4] for r in rows if r[4] is not None])
    lines = []
    for n, r in enumerate(rows, start=1):
        (amount, entry_id, kind, reason, device_id, tag, serial, bought, grade, maker, model, category) = r[:12]
        valuation_id, method, version, inputs, estimated, overridden = r[12:]
        line: dict[str, Any] = {"@type": "Product", "line": n, "poolEntryId": entry_id, "price": format_cents(amount)}
        if device_id is None:
            line["description"] = f"Pool adjustment: {reason}" if kind == "adjustment" else reason
        else:
            value = device_values.get(device_id, amount)
            line.update(
                deviceId=device_id,
                assetTag=tag,
                serialNumber=serial,
                manufacturer=maker,
                model=model,
                category=category,
                purchaseDate=bought.isoformat(),
                ageMonths=months_between(bought, on),
                grade=(inputs or {}).get("condition_grade", grade),
                faults=[str(f.get("category", "")) for f in (inputs or {}).get("faults", [])],
                wipeCertificates=certificates.get(device_id, []),
                deviceValue=format_cents(value),
                split=amount != value,
            )
        if valuation_id is not None:
            line["valuation"] = {
                "id": valuation_id,
                "method": method,
                "policyVersion": version,
                "valuedOn": (inputs or {}).get("valued_on"),
                "estimate": format_cents(estimated),
                "value": format_cents(overridden if overridden is not None else estimated),
                "overridden": overridden is not None,
            }
        lines.append(line)
    return lines


async def _device_values(session: AsyncSession, donation_id: int) -> dict[int, int]:
    """What the pool held for each device of the donation (credit and corrections), to mark split credits."""
    devices = (
        sa.select(PoolEntry.credit_device_id)
        .join(DonationAllocation, DonationAllocation.pool_entry_id == PoolEntry.id)
        .where(DonationAllocation.donation_id == donation_id)
    )
    stmt = (
        sa.select(PoolEntry.device_id, sa.func.sum(PoolEntry.amount_cents))
        .where(PoolEntry.device_id.in_(devices))  # type: ignore[union-attr]
        .group_by(PoolEntry.device_id)
    )
    return {d: int(v) for d, v in (await session.execute(stmt)).all()}


def _iso(value: datetime | date | None) -> str | None:
    return None if value is None else value.isoformat()


async def build_document(
    session: AsyncSession,
    settings: Settings,
    donation: Donation,
    charity: Charity,
    approvals: list[Approval],
    meta: Meta,
    status: str,
) -> dict[str, Any]:
    tz = settings.tz
    company = await session.get(Company, donation.company_id)
    lines = await _lines(session, donation.id, meta.issued_on)  # type: ignore[arg-type]
    estimate = people_reached(donation.amount_cents, charity.cost_per_device_cents)
    approved_at = donation.approved_at or meta.issued_at
    return {
        "@context": "https://schema.org",
        "@type": "DonateAction",
        "identifier": meta.number,
        "statement": {
            "number": meta.number,
            "version": meta.version,
            "kind": meta.kind,
            "issuedAt": _iso(meta.issued_at),
            "issuedOn": meta.issued_on.isoformat(),
            "supersedes": meta.supersedes,
            "reason": meta.reason,
        },
        "agent": {"@type": "Organization", **donor(settings, company)},
        # The company whose pool gave, named even when it gives under the organisation's legal identity.
        "donorCompany": None if company is None else {"id": company.id, "name": company.name},
        "recipient": {
            "@type": "Organization",
            "name": charity.name,
            "address": charity.address,
            "kvkNumber": charity.kvk_number,
            "rsin": charity.rsin,
            "anbiStatus": charity.anbi_status,
            "anbiCheckedOn": _iso(charity.anbi_checked_on),
        },
        "donation": {
            "id": donation.id,
            "status": status,
            "period": {
                "from": donation.period_from.astimezone(tz).date().isoformat(),
                "to": donation.period_to.astimezone(tz).date().isoformat(),
            },
        },
        "object": lines,
        "price": format_cents(donation.amount_cents),
        "priceCurrency": settings.currency,
        "startTime": _iso(approved_at),
        # The dates a reader (and the tax year) goes by are local: startTime 2026-12-31T23:30Z is 1 January here.
        "approvedOn": _iso(approved_at.astimezone(tz).date()) if approved_at else None,
        "noCounterPerformance": NO_COUNTER_PERFORMANCE,
        "approvals": [
            {"step": a.step, "by": a.by, "at": _iso(a.at), "on": a.at.astimezone(tz).date().isoformat()}
            for a in approvals
        ],
        "peopleReached": {
            "estimate": estimate,
            "costPerRefurbishedDevice": format_cents(charity.cost_per_device_cents) if estimate is not None else None,
            "basis": "the amount donated divided by the charity's own cost per refurbished device",
        },
    }
