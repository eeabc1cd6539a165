from __future__ import annotations

from datetime import date, datetime
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.devices.service import get_device
from service.faults import lifetime, repairs, repository, service
from service.faults.models import Repair
from service.faults.schemas import (
    CloseBody,
    DecisionBody,
    DiagnosisBody,
    DiagnosisOut,
    FaultCreate,
    FaultOut,
    FaultPage,
    LifetimeCategory,
    LifetimeOut,
    OverruleOut,
    PolicyDecisionOut,
    RepairHistory,
    RepairOut,
    RetiredDeviceOut,
)
from service.money import format_cents
from service.pagination import DEFAULT_LIMIT
from service.settings import Settings
from service.web.deps import CurrentActor, DbSession, PageLimit, Rules, created


def _money(cents: int | None) -> str | None:
    return None if cents is None else format_cents(cents)


def fault_out(f: Any, currency: str) -> FaultOut:
    """A fault (table row or joined row) as the API shows it."""
    diagnosis = policy = overrule = None
    if f.diagnosed_at is not None:
        diagnosis = DiagnosisOut(
            repairable=f.repairable,
            repair_cost=_money(f.repair_cost_cents),
            notes=f.diagnosis_notes,
            diagnosed_by=f.diagnosed_by,
            diagnosed_at=f.diagnosed_at,
        )
    if f.policy_decision is not None:
        policy = PolicyDecisionOut(
            decision=f.policy_decision,
            reasons=list(f.policy_reasons),
            policy_version=f.policy_version,
            working_value=format_cents(f.working_value_cents or 0),
            valuation_policy_version=(f.policy_params or {}).get("valuation_policy_version"),
            repair_limit=format_cents(f.repair_limit_cents or 0),
        )
    if f.overruled_at is not None:
        overrule = OverruleOut(
            decision=f.decision, reason=f.overrule_reason, overruled_by=f.overruled_by, overruled_at=f.overruled_at
        )
    return FaultOut(
        id=f.id,
        device_id=f.device_id,
        category=f.category,
        severity=f.severity,
        description=f.description,
        status=f.status,
        reported_by=f.reported_by,
        reported_at=f.reported_at,
        diagnosis=diagnosis,
        policy=policy,
        decision=f.decision,
        overrule=overrule,
        resolution=f.resolution,
        close_note=f.close_note,
        closed_by=f.closed_by,
        closed_at=f.closed_at,
        repair_id=f.repair_id,
        currency=currency,
        version=f.version,
    )


def repair_out(r: Repair) -> RepairOut:
    assert r.id is not None
    return RepairOut(
        id=r.id,
        device_id=r.device_id,
        supplier=r.supplier,
        expected_cost=_money(r.expected_cost_cents),
        fault_ids=list(r.fault_ids),
        reason=r.reason,
        sent_by=r.sent_by,
        sent_at=r.sent_at,
        returned_by=r.returned_by,
        returned_at=r.returned_at,
        cost=_money(r.cost_cents),
        outcome=r.outcome,
        notes=r.notes,
    )


async def repair_history(session: Any, device_id: int, currency: str) -> RepairHistory:
    await get_device(session, device_id)
    items = await repairs.repair_history(session, device_id)
    total = sum(r.cost_cents or 0 for r in items)
    return RepairHistory(
        device_id=device_id,
        items=[repair_out(r) for r in items],
        repairs=len(items),
        total_cost=format_cents(total),
        currency=currency,
    )


class DeviceFaultController(Controller):
    path = "/api/v1/devices/{device_id:int}"
    tags = ["faults"]
    guards = [requires(Permission.read_registry)]

    @get("/faults", summary="The device's fault reports, oldest first")
    async def list_faults(
        self,
        state: State,
        session: DbSession,
        device_id: int,
        status: str | None = Parameter(default=None, description="open or closed"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> FaultPage:
        page = await repository.list_device_faults(session, device_id, status=status, cursor=cursor, limit=limit)
        currency = state.settings.currency
        return FaultPage(items=[fault_out(f, currency) for f in page.items], next_cursor=page.next_cursor)

    @post("/faults", guards=[requires(Permission.change_registry)], summary="Report a fault")
    async def report(
        self,
        request: Request[Any, Any, Any],
        state: State,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: JSONBody[FaultCreate],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            fault = await service.report_fault(session, actor, device_id, data)
            return 201, fault_out(fault, state.settings.currency).model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/repairs", summary="The device's repairs and their total cost")
    async def repairs(self, state: State, session: DbSession, device_id: int) -> RepairHistory:
        return await repair_history(session, device_id, state.settings.currency)


class FaultController(Controller):
    path = "/api/v1/faults"
    tags = ["faults"]
    guards = [requires(Permission.read_registry)]

    @get("/", summary="Faults across the fleet")
    async def list_all(
        self,
        state: State,
        session: DbSession,
        status: str | None = Parameter(default=None, description="open or closed"),
        decision: str | None = Parameter(default=None, description="repair, replace or undiagnosed"),
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> FaultPage:
        page = await repository.list_faults(session, status=status, decision=decision, cursor=cursor, limit=limit)
        currency = state.settings.currency
        return FaultPage(items=[fault_out(f, currency) for f in page.items], next_cursor=page.next_cursor)

    @get("/{fault_id:int}")
    async def get_fault(self, state: State, session: DbSession, fault_id: int) -> FaultOut:
        return fault_out(await service.get_fault(session, fault_id), state.settings.currency)

    @post(
        "/{fault_id:int}/diagnosis",
        guards=[requires(Permission.change_registry)],
        status_code=200,
        summary="Enter the diagnosis; the replacement policy decides repair or replace, with its reasons",
    )
    async def diagnose(
        self,
        state: State,
        session: DbSession,
        actor: CurrentActor,
        rules: Rules,
        fault_id: int,
        data: JSONBody[DiagnosisBody],
    ) -> FaultOut:
        settings: Settings = state.settings
        fault = await service.diagnose(
            session,
            actor,
            fault_id,
            data,
            policy=service.replacement_policy(settings),
            today=rules.today,
            currency=settings.currency,
            max_cost_cents=rules.max_purchase_price_cents,
        )
        return fault_out(fault, settings.currency)

    @post(
        "/{fault_id:int}/decision",
        guards=[requires(Permission.change_registry)],
        status_code=200,
        summary="Overrule the policy's decision, with a written reason",
    )
    async def decide(
        self, state: State, session: DbSession, actor: CurrentActor, fault_id: int, data: JSONBody[DecisionBody]
    ) -> FaultOut:
        fault = await service.overrule(session, actor, fault_id, data.decision, data.reason, data.version)
        return fault_out(fault, state.settings.currency)

    @post("/{fault_id:int}/close", guards=[requires(Permission.change_registry)], status_code=200)
    async def close(
        self,
        state: State,
        session: DbSession,
        actor: CurrentActor,
        fault_id: int,
        data: JSONBody[CloseBody | None] = None,
    ) -> FaultOut:
        body = data or CloseBody()
        fault = await service.close_fault(session, actor, fault_id, body.resolution, body.note, body.version)
        return fault_out(fault, state.settings.currency)


async def lifetime_view(state: State, session: Any, cursor: str | None, limit: int) -> LifetimeOut:
    settings: Settings = state.settings
    baseline = settings.replacement_baseline_months
    figures = lifetime.by_category(await repository.all_retirements(session, settings.tz), baseline)
    page = await repository.retired_devices(session, cursor=cursor, limit=limit)
    items = [
        RetiredDeviceOut(
            device_id=r.id,
            asset_tag=r.asset_tag,
            category=r.category,
            model_name=r.model_name,
            purchase_date=r.purchase_date,
            retired_at=r.retired_at,
            age_months=lifetime.age_months(r.purchase_date, _local_date(r.retired_at, settings)),
            reason=r.reason,
            successor_id=r.successor_id,
            repair_cost=format_cents(int(r.repair_cost_cents)),
        )
        for r in page.items
    ]
    return LifetimeOut(
        baseline_months=baseline,
        by_category=[
            LifetimeCategory(
                category=c.category,
                retired=c.retired,
                replaced=c.replaced,
                average_age_months=None if c.average_age_months is None else str(c.average_age_months),
                baseline_months=c.baseline_months,
                months_beyond_baseline=None if c.months_beyond_baseline is None else str(c.months_beyond_baseline),
            )
            for c in figures
        ],
        items=items,
        next_cursor=page.next_cursor,
        currency=settings.currency,
    )


def _local_date(at: datetime, settings: Settings) -> date:
    return at.astimezone(settings.tz).date()


@get(
    "/api/v1/fleet-lifetime",
    guards=[requires(Permission.read_registry)],
    tags=["faults"],
    summary="Age at retirement per device; average age at replacement per category against the fixed cycle",
)
async def fleet_lifetime(
    state: State,
    session: DbSession,
    cursor: str | None = None,
    limit: PageLimit = DEFAULT_LIMIT,
) -> LifetimeOut:
    return await lifetime_view(state, session, cursor, limit)


FAULT_API_HANDLERS = [DeviceFaultController, FaultController, fleet_lifetime]
