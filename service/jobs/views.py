from __future__ import annotations

from litestar import MediaType, get
from litestar.datastructures import State
from litestar.response import Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.jobs.api import job_list
from service.web.deps import DbSession


@get("/admin/jobs", guards=[requires(Permission.read_audit)], include_in_schema=False)
async def jobs_page(state: State, session: DbSession) -> Template:
    return Template(
        "jobs/list.html", context={"jobs": (await job_list(state, session)).items}, media_type=MediaType.HTML
    )


JOB_VIEW_HANDLERS = [jobs_page]
