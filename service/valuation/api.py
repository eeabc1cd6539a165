from __future__ import annotations

from datetime import datetime

from litestar import Controller, get, post, put
from litestar.datastructures import State
from litestar.params import JSONBody
from pydantic import ValidationError

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import InvalidInput
from service.i18n import _
from service.money import format_cents, parse_amount
from service.valuation import service
from service.valuation.models import Disposition, Valuation
from service.valuation.policy import policy_from_json
from service.valuation.schemas import (
    DisposeRequest,
    DispositionOut,
    EstimateRequest,
    LineOut,
    OverrideRequest,
    PolicyOut,
    PolicyUpdate,
    ValuationOut,
)
from service.web.deps import CurrentActor, DbSession


def valuation_out(v: Valuation, currency: str) -> ValuationOut:
    assert v.id is not None
    return ValuationOut(
        id=v.id,
        device_id=v.device_id,
        method=v.method,
        policy_version=v.policy_version,
        status=v.status,
        estimated_amount=format_cents(v.estimated_cents),
        override_amount=None if v.override_cents is None else format_cents(v.override_cents),
        override_reason=v.override_reason,
        override_by=v.override_by,
        amount=format_cents(v.amount_cents),
        currency=currency,
        breakdown=[LineOut(**line) for line in v.lines],
        inputs=v.inputs,
        requested_by=v.requested_by,
        created_at=v.created_at,
        accepted_by=v.accepted_by,
        accepted_at=v.accepted_at,
    )


def disposition_out(d: Disposition) -> DispositionOut:
    return DispositionOut(
        device_id=d.device_id,
        disposition=d.disposition,
        counterparty=d.counterparty,
        reference=d.reference,
        realised_amount=None if d.realised_cents is None else format_cents(d.realised_cents),
        recorded_by=d.recorded_by,
        recorded_at=d.recorded_at,
    )


class DeviceValuationController(Controller):
    path = "/api/v1/devices/{device_id:int}"
    tags = ["valuation"]

    @post(
        "/valuation",
        guards=[requires(Permission.estimate_valuation)],
        status_code=201,
        summary="Estimate the device's value now, with the breakdown",
    )
    async def estimate(
        self,
        state: State,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: JSONBody[EstimateRequest | None] = None,
    ) -> ValuationOut:
        body = data or EstimateRequest()
        today = datetime.now(state.settings.tz).date()
        valuation = await service.estimate_device(
            session, actor, device_id, today, locked=body.locked, method=body.method
        )
        return valuation_out(valuation, state.settings.currency)

    @get("/valuations", guards=[requires(Permission.read_ledger)])
    async def list_valuations(self, state: State, session: DbSession, device_id: int) -> list[ValuationOut]:
        return [valuation_out(v, state.settings.currency) for v in await service.list_valuations(session, device_id)]

    @post(
        "/dispose",
        guards=[requires(Permission.handle_money)],
        status_code=200,
        summary="Record how a valued device left the company",
    )
    async def dispose(
        self, session: DbSession, actor: CurrentActor, device_id: int, data: JSONBody[DisposeRequest]
    ) -> DispositionOut:
        realised = None if data.realised_amount is None else parse_amount(data.realised_amount)
        record = await service.dispose(
            session,
            actor,
            device_id,
            disposition=data.disposition,
            counterparty=data.counterparty,
            reference=data.reference,
            realised_cents=realised,
        )
        return disposition_out(record)


class ValuationController(Controller):
    path = "/api/v1/valuations"
    tags = ["valuation"]

    @get("/{valuation_id:int}", guards=[requires(Permission.read_ledger)])
    async def get_valuation(self, state: State, session: DbSession, valuation_id: int) -> ValuationOut:
        return valuation_out(await service.get_valuation(session, valuation_id), state.settings.currency)

    @post(
        "/{valuation_id:int}/accept",
        guards=[requires(Permission.handle_money)],
        status_code=200,
        summary="Accept the estimate: the device becomes valued and its value is credited to the pool",
    )
    async def accept(self, state: State, session: DbSession, actor: CurrentActor, valuation_id: int) -> ValuationOut:
        return valuation_out(await service.accept(session, actor, valuation_id), state.settings.currency)

    @post("/{valuation_id:int}/override", guards=[requires(Permission.handle_money)], status_code=200)
    async def override(
        self, state: State, session: DbSession, actor: CurrentActor, valuation_id: int, data: JSONBody[OverrideRequest]
    ) -> ValuationOut:
        valuation = await service.override(session, actor, valuation_id, parse_amount(data.amount), data.reason)
        return valuation_out(valuation, state.settings.currency)


class ValuationPolicyController(Controller):
    path = "/api/v1/valuation-policy"
    tags = ["valuation"]

    @get("/", guards=[requires(Permission.read_ledger)])
    async def current(self, session: DbSession) -> PolicyOut:
        version, policy, saved = await service.current_policy(session)
        return PolicyOut(version=version, saved=saved, policy=policy.model_dump(mode="json"))

    @put("/", guards=[requires(Permission.administer)], summary="Save a new version of the valuation policy")
    async def update(self, session: DbSession, actor: CurrentActor, data: JSONBody[PolicyUpdate]) -> PolicyOut:
        try:
            policy = policy_from_json(data.policy)
        except ValidationError as exc:
            errors = [
                {"field": "policy." + ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
            ]
            raise InvalidInput(
                _("The policy is not valid: ") + "; ".join(e["message"] for e in errors), errors=errors
            ) from None
        version = await service.save_policy(session, actor, policy, data.note)
        return PolicyOut(version=version, saved=True, policy=policy.model_dump(mode="json"))
