from __future__ import annotations

from typing import Any

from litestar import Controller, get, post
from litestar.datastructures import State

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.errors import NotFound
from service.i18n import _
from service.jobs import service
from service.jobs.registry import Job
from service.jobs.schemas import JobList, JobOut, JobRunOut
from service.web.deps import DbSession


def describe_trigger(job: Job) -> str:
    kind, args = job.trigger
    return f"{kind} " + " ".join(f"{k}={v}" for k, v in args.items())


async def job_list(state: State, session: Any) -> JobList:
    jobs: dict[str, Job] = state.jobs
    runs = await service.last_runs(session, list(jobs))
    return JobList(
        items=[
            JobOut(
                name=job.name,
                description=job.description,
                trigger=describe_trigger(job),
                scheduled=state.settings.scheduler_enabled,
                recent_runs=[JobRunOut.model_validate(r, from_attributes=True) for r in runs[job.name]],
            )
            for job in jobs.values()
        ]
    )


class JobController(Controller):
    path = "/api/v1/jobs"
    tags = ["jobs"]

    @get("/", guards=[requires(Permission.read_audit)], summary="Scheduled jobs and their recent runs")
    async def list_jobs(self, state: State, session: DbSession) -> JobList:
        return await job_list(state, session)

    @post("/{name:str}/run", guards=[requires(Permission.administer)], status_code=200, summary="Run a job now")
    async def run_now(self, state: State, name: str) -> JobRunOut:
        job = state.jobs.get(name)
        if job is None:
            raise NotFound(
                _("No job is named {name}; known jobs: {known}.").format(
                    name=repr(name), known=", ".join(state.jobs) or _("none")
                )
            )
        # The job commits its own work in its own transaction, like a scheduled run.
        run = await service.run_manually(
            state.sessionmaker, job, triggered_by="api", ports=state.ports, settings=state.settings
        )
        return JobRunOut.model_validate(run, from_attributes=True)
