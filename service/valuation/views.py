"""Valuation pages: a device's estimates with their breakdown, and the actions finance takes on them."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Template
from pydantic import ValidationError

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.devices import repository as devices
from service.errors import InvalidInput
from service.i18n import gettext
from service.money import decimal_point, parse_amount
from service.pool import service as pool
from service.valuation import repository, service
from service.valuation.api import valuation_out
from service.valuation.policy import policy_from_json
from service.valuation.schemas import DisposeRequest, OverrideRequest
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, submit_form


async def _page(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    device_id: int,
    *,
    refused: Refused | None = None,
) -> Template:
    device = await devices.device_view(session, device_id)
    role = request.user.role
    reads_money = can(role, Permission.read_ledger)
    valuations = await service.list_valuations(session, device_id) if reads_money else []
    disposition = await repository.disposition_of(session, device_id) if reads_money else None
    return Template(
        "valuation/device.html",
        status_code=refused.status_code if refused else 200,
        context={
            "device": device,
            "valuations": [valuation_out(v, state.settings.currency) for v in reversed(valuations)],
            "balance": await pool.balance(session) if reads_money else None,
            "held_cents": await pool.device_net_cents(session, device_id) if reads_money else None,
            "disposition": disposition,
            "can_estimate": can(role, Permission.estimate_valuation),
            "can_decide": can(role, Permission.handle_money),
            # A refused form is drawn again beside its own form, with what the person chose and typed.
            "form": refused.form if refused else {},
            "errors": refused.errors if refused else {},
            "message": refused.message if refused else "",
            "error_for": refused.form_id if refused else "",
        },
        media_type=MediaType.HTML,
    )


@get("/devices/{device_id:int}/valuation", guards=[requires(Permission.estimate_valuation)], include_in_schema=False)
async def valuation_page(request: Request[Any, Any, Any], state: State, session: DbSession, device_id: int) -> Template:
    return await _page(request, state, session, device_id)


async def _act(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    device_id: int,
    data: dict[str, str],
    form_id: str,
    work: Callable[[], Awaitable[Any]],
) -> Any:
    """One of the page's forms, through submit_form; refused, the page again with that form as the person left it."""

    async def show(refused: Refused) -> Template:
        return await _page(request, state, session, device_id, refused=refused)

    form = {k: v for k, v in data.items() if k != "_csrf_token"}
    return await submit_form(
        session, work, form_id=form_id, form=form, show=show, done=f"/devices/{device_id}/valuation"
    )


@post("/devices/{device_id:int}/valuation", guards=[requires(Permission.estimate_valuation)], include_in_schema=False)
async def estimate_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    device_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    async def work() -> None:
        method = data.get("method") or None
        if method not in (None, "market", "straight_line", "declining_balance"):
            raise InvalidInput.field("method", gettext("unknown method"))
        await service.estimate_device(
            session,
            actor,
            device_id,
            datetime.now(state.settings.tz).date(),
            locked=data.get("locked") == "on",
            method=method,
        )

    return await _act(request, state, session, device_id, data, "estimate", work)


@post("/valuations/{valuation_id:int}/accept", guards=[requires(Permission.handle_money)], include_in_schema=False)
async def accept_from_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, valuation_id: int
) -> Any:
    valuation = await service.get_valuation(session, valuation_id)
    return await _act(
        request,
        state,
        session,
        valuation.device_id,
        {},
        f"accept-{valuation_id}",
        lambda: service.accept(session, actor, valuation_id),
    )


@post("/valuations/{valuation_id:int}/override", guards=[requires(Permission.handle_money)], include_in_schema=False)
async def override_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    valuation_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    valuation = await service.get_valuation(session, valuation_id)

    async def work() -> None:
        amount = decimal_point(data.get("amount", "").strip())
        body = OverrideRequest.model_validate({"amount": amount, "reason": data.get("reason", "")})
        await service.override(session, actor, valuation_id, parse_amount(body.amount), body.reason)

    return await _act(request, state, session, valuation.device_id, data, f"override-{valuation_id}", work)


@post("/devices/{device_id:int}/dispose", guards=[requires(Permission.handle_money)], include_in_schema=False)
async def dispose_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    device_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    async def work() -> None:
        fields = {k: v for k, v in data.items() if k in ("disposition", "counterparty", "reference") and v}
        if data.get("realised_amount"):
            fields["realised_amount"] = decimal_point(data["realised_amount"].strip())
        body = DisposeRequest.model_validate(fields)
        await service.dispose(
            session,
            actor,
            device_id,
            disposition=body.disposition,
            counterparty=body.counterparty,
            reference=body.reference,
            realised_cents=parse_amount(body.realised_amount) if body.realised_amount else None,
        )

    return await _act(request, state, session, device_id, data, "dispose", work)


@get("/admin/valuation-policy", guards=[requires(Permission.read_ledger)], include_in_schema=False)
async def policy_page(request: Request[Any, Any, Any], session: DbSession) -> Template:
    version, policy, saved = await service.current_policy(session)
    return Template(
        "valuation/policy.html",
        context={
            "version": version,
            "saved": saved,
            "text": json.dumps(policy.model_dump(mode="json"), indent=2),
            "note": "",
            "error": None,
            "can_edit": can(request.user.role, Permission.administer),
        },
        media_type=MediaType.HTML,
    )


@post("/admin/valuation-policy", guards=[requires(Permission.administer)], include_in_schema=False)
async def save_policy_page(session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]) -> Any:
    text, note = data.get("policy", ""), data.get("note", "").strip()
    version, _, saved = await service.current_policy(session)

    async def save() -> None:
        if len(note) < 3:
            raise InvalidInput.field("note", gettext("say in a few words why the policy changes"))
        try:
            policy = policy_from_json(json.loads(text))
        except json.JSONDecodeError as exc:
            raise InvalidInput.field(
                "policy", gettext("is not valid JSON: {msg} at line {lineno}").format(msg=exc.msg, lineno=exc.lineno)
            ) from None
        except ValidationError as exc:
            problems = "; ".join(f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors())
            raise InvalidInput.field("policy", problems) from None
        await service.save_policy(session, actor, policy, note)

    def show(refused: Refused) -> Template:
        return Template(
            "valuation/policy.html",
            status_code=refused.status_code,
            context={
                "version": version,
                "saved": saved,
                "text": text,
                "note": note,
                "error": refused.message,
                "can_edit": True,
            },
            media_type=MediaType.HTML,
        )

    return await submit_form(session, save, form_id="policy", form={}, show=show, done="/admin/valuation-policy")


VALUATION_VIEW_HANDLERS = [
    valuation_page,
    estimate_from_page,
    accept_from_page,
    override_from_page,
    dispose_from_page,
    policy_page,
    save_policy_page,
]
