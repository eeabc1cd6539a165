"""The impact report over JSON, and its files (PDF, CSV, JSON) for scripts."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, put
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter, QueryParameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.db import utcnow
from service.errors import InvalidInput
from service.impact import render, service
from service.impact.factors import fingerprint
from service.impact.schemas import FactorsBody, FactorsOut, ImpactReportOut
from service.settings import Settings
from service.web.deps import CurrentActor, DbSession

CONTENT_TYPES = {"pdf": "application/pdf", "csv": "text/csv", "json": "application/json"}


async def report_for(session: Any, settings: Settings, query: dict[str, str | None]) -> dict[str, Any]:
    """The report for ?year=&quarter= or ?from=&to=, and ?group_by= (shared by the API, the page and the files)."""
    year, quarter = query.get("year"), query.get("quarter")
    period, group_by = service.period_of(
        year=_int("year", year), quarter=_int("quarter", quarter), from_=query.get("from") or None,
        to=query.get("to") or None, group_by=query.get("group_by") or None,
        today=utcnow().astimezone(settings.tz).date(),
    )  # fmt: skip
    company_id = _int("company_id", query.get("company_id"))
    cost_centre = (query.get("cost_centre") or "").strip() or None
    return await service.build_report(
        session, settings, period, group_by, company_id=company_id, cost_centre=cost_centre
    )


def _int(field: str, text: str | None) -> int | None:
    if text is None or text == "":
        return None
    if not text.isdigit():
        raise InvalidInput.field(field, f"{text!r} is not a whole number")
    return int(text)


def report_file(report: dict[str, Any], form: str) -> Response[bytes]:
    body = {"pdf": render.pdf_bytes, "csv": render.csv_bytes, "json": render.json_bytes}[form](report)
    name = f"kringloop-impact-{report['period']['label'].replace(' ', '_')}.{form}"
    return Response(
        body, media_type=CONTENT_TYPES[form], headers={"Content-Disposition": f'attachment; filename="{name}"'}
    )


class ImpactController(Controller):
    path = "/api/v1/impact"
    tags = ["impact"]
    guards = [requires(Permission.read_impact)]

    @get("/", summary="Impact figures for a period, each with its inputs, method, source and versions")
    async def report(
        self,
        state: State,
        session: DbSession,
        year: str | None = Parameter(default=None, description="a calendar year (default: this year)"),
        quarter: str | None = Parameter(default=None, description="1-4, with year"),
        from_: str | None = QueryParameter(name="from", default=None, description="custom period start, YYYY-MM-DD"),
        to: str | None = Parameter(default=None, description="custom period end (inclusive), YYYY-MM-DD"),
        group_by: str | None = Parameter(default=None, description="category (the default), company or cost_centre"),
        company_id: int | None = Parameter(default=None, description="one company's devices, pool and donations"),
        cost_centre: str | None = Parameter(default=None, description="one cost centre's devices (and their credits)"),
    ) -> ImpactReportOut:
        query = {"year": year, "quarter": quarter, "from": from_, "to": to, "group_by": group_by,
                 "company_id": None if company_id is None else str(company_id), "cost_centre": cost_centre}  # fmt: skip
        return ImpactReportOut.model_validate(await report_for(session, state.settings, query))

    @get(
        ["/report.pdf", "/report.csv", "/report.json"],
        summary="The impact report as PDF (charts, tables, methods), CSV (one line per figure) or canonical JSON",
    )
    async def report_download(
        self, request: Request[Any, Any, Any], state: State, session: DbSession
    ) -> Response[bytes]:
        report = await report_for(session, state.settings, dict(request.query_params))
        return report_file(report, request.url.path.rsplit(".", 1)[1])

    @get("/factors", summary="The impact factors in force, their version and fingerprint")
    async def factors(self, state: State, session: DbSession) -> FactorsOut:
        version, factors, saved = await service.current_factors(session, state.settings)
        return FactorsOut(version=version, saved=saved, fingerprint=fingerprint(factors), factors=factors)

    @put("/factors", guards=[requires(Permission.administer)], summary="Save changed impact factors as a new version")
    async def save_factors(
        self, state: State, session: DbSession, actor: CurrentActor, data: JSONBody[FactorsBody]
    ) -> FactorsOut:
        await service.save_factors(session, actor, state.settings, data.factors, data.note)
        version, factors, saved = await service.current_factors(session, state.settings)
        return FactorsOut(version=version, saved=saved, fingerprint=fingerprint(factors), factors=factors)
