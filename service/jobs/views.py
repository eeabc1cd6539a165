from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.response import Redirect, Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.errors import DomainError, NotFound
from service.i18n import gettext
from service.jobs import service
from service.jobs.api import job_list
from service.web.deps import DbSession


async def _page(
    request: Request[Any, Any, Any], state: State, session: Any, *, error: str = "", error_for: str = "",
    status_code: int = 200,
) -> Template:
    return Template(
        "jobs/list.html",
        status_code=status_code,
        context={
            "jobs": (await job_list(state, session)).items,
            "can_run": can(request.user.role, Permission.administer),
            "ran": request.query_params.get("ran", ""),
            "error": error,
            "error_for": error_for,
        },
        media_type=MediaType.HTML,
    )


@get("/admin/jobs", guards=[requires(Permission.read_audit)], include_in_schema=False)
async def jobs_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    return await _page(request, state, session)


@post("/admin/jobs/{name:str}/run", guards=[requires(Permission.administer)], include_in_schema=False)
async def run_from_page(request: Request[Any, Any, Any], state: State, name: str) -> Any:
    # No request session: on SQLite an open request transaction would hold the write lock the job needs.
    job = state.jobs.get(name)
    if job is None:
        raise NotFound(gettext("No job is named {name}.").format(name=repr(name)))
    try:
        await service.run_manually(
            state.sessionmaker, job, triggered_by=f"page:{request.user.username}", ports=state.ports,
            settings=state.settings,
        )
    except DomainError as exc:
        async with state.sessionmaker() as session:
            return await _page(request, state, session, error=exc.detail, error_for=name, status_code=exc.status)
    return Redirect(f"/admin/jobs?ran={name}#job-{name}", status_code=303)


JOB_VIEW_HANDLERS = [jobs_page, run_from_page]
