"""The one-for-one page: coverage, obligations by status, batches, and the admin's actions on them."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template

from integrations.compensation.fake import FAKE_LABEL
from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.compensation import service
from service.compensation.api import compensation_view
from service.compensation.models import OBLIGATION_STATUSES, BatchStatus, ObligationStatus
from service.compensation.schemas import RequeueBody
from service.errors import DomainError
from service.jobs.models import JobRun
from service.jobs.service import manual_slot, run_job, run_of
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, submit_form


async def _render(
    request: Request[Any, Any, Any],
    state: State,
    session: Any,
    *,
    errors: dict[str, str] | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    query = dict(request.query_params)
    status = query.get("status") or None
    view = await compensation_view(
        state, session, status if status in OBLIGATION_STATUSES else None, query.get("cursor") or None, 50
    )
    return Template(
        "compensation/index.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "view": view,
            "status": status or "",
            "statuses": ObligationStatus,
            "batch_statuses": BatchStatus,
            "is_fake": view.partner == FAKE_LABEL,
            "schedule": state.jobs["compensation"].trigger if "compensation" in state.jobs else None,
            "can_admin": can(request.user.role, Permission.administer),
            "run": await _run(session, query.get("run")),
            "busy": query.get("busy") == "1",
            "errors": errors or {},
            "form": form or {},
        },
    )


async def _run(session: Any, run_id: str | None) -> JobRun | None:
    """The run the admin just started from this page, to show what it did."""
    if not run_id or not run_id.isdigit():
        return None
    return await run_of(session, "compensation", int(run_id))


@get("/compensation", guards=[requires(Permission.read_registry)], include_in_schema=False)
async def compensation_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    return await _render(request, state, session)


@post("/compensation/run", guards=[requires(Permission.administer)], include_in_schema=False)
async def run_from_page(state: State) -> Redirect:
    """Runs the job now, exactly as the schedule would (recorded on the jobs page)."""
    run = await run_job(
        state.sessionmaker,
        state.jobs["compensation"],
        slot=manual_slot(),
        triggered_by="page",
        ports=state.ports,
        settings=state.settings,
    )
    if run is None:
        return Redirect("/compensation?busy=1", status_code=303)
    return Redirect(f"/compensation?run={run.id}", status_code=303)


@post("/compensation/batches/{batch_id:int}/requeue", guards=[requires(Permission.administer)], include_in_schema=False)
async def requeue_from_page(
    request: Request[Any, Any, Any],
    state: State,
    session: DbSession,
    actor: CurrentActor,
    batch_id: int,
    data: URLEncodedBody[dict[str, str]],
) -> Any:
    form = {"batch_id": str(batch_id), "reason": data.get("reason", "")}

    async def requeue() -> None:
        body = RequeueBody.model_validate({"reason": data.get("reason", "")})
        await service.requeue_rejected(session, actor, batch_id, body.reason)

    async def show(refused: Refused) -> Template:
        # A domain error is not about the reason typed: the batch is gone or no longer rejected (another admin
        # requeued it), so its form may not be drawn at all; the page says it at the top.
        errors = {"form": refused.message} if isinstance(refused.cause, DomainError) else refused.errors
        return await _render(request, state, session, errors=errors, form=refused.form, status_code=refused.status_code)

    return await submit_form(session, requeue, form_id=f"batch-{batch_id}", form=form, show=show,
                             done=f"/compensation#batch-{batch_id}", whole_form="reason")  # fmt: skip


COMPENSATION_VIEW_HANDLERS = [compensation_page, run_from_page, requeue_from_page]
