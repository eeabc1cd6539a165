"""The impact dashboard: server-drawn SVG charts, each beside its table, and the report files to download."""

from __future__ import annotations

from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, Response, get
from litestar.datastructures import State
from litestar.response import Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.companies import service as companies
from service.errors import DomainError
from service.i18n import gettext
from service.impact import charts, labels
from service.impact.api import report_file, report_for
from service.web.deps import DbSession
from service.web.forms import domain_errors

READ = [requires(Permission.read_impact)]
QUERY_KEYS = ("year", "quarter", "from", "to", "group_by", "company_id", "cost_centre")


def chart_svg(chart: dict[str, Any]) -> str:
    """The report's chart data drawn as SVG (the page and the PDF draw the same numbers)."""
    label = gettext("{title}, in {unit}; the table beside it lists the values.").format(
        title=chart["title"], unit=chart["unit"]
    )
    reference = chart.get("reference")
    return charts.bar_chart(
        label,
        chart["labels"],
        [(s["name"], [Decimal(v) for v in s["values"]]) for s in chart["series"]],
        unit=chart["unit"],
        reference=None if reference is None else (reference["label"], Decimal(reference["value"])),
    )


@get("/impact", guards=READ, include_in_schema=False)
async def impact_page(request: Request[Any, Any, Any], state: State, session: DbSession) -> Template:
    query = {k: request.query_params.get(k) or None for k in QUERY_KEYS}
    errors: dict[str, str] = {}
    try:
        report = await report_for(session, state.settings, query)
    except DomainError as exc:
        # A mistyped period says so beside its field and shows this year instead.
        errors = domain_errors(exc, "year")
        report = await report_for(session, state.settings, {})
    shown = {name: labels.shown_chart(chart) for name, chart in report["charts"].items()}
    svgs = {name: chart_svg(chart) for name, chart in shown.items()}
    chosen = {k: v for k, v in query.items() if v and not errors}
    return Template(
        "impact/index.html",
        media_type=MediaType.HTML,
        status_code=422 if errors else 200,
        context={
            "report": report,
            "charts": shown,
            "svgs": svgs,
            "labels": labels,
            "form": {k: v or "" for k, v in query.items()},
            "errors": errors,
            "download_query": urlencode(chosen),
            "companies": await companies.all_companies(session),
        },
    )


@get(["/impact/report.pdf", "/impact/report.csv", "/impact/report.json"], guards=READ, include_in_schema=False)
async def impact_download(request: Request[Any, Any, Any], state: State, session: DbSession) -> Response[bytes]:
    report = await report_for(session, state.settings, dict(request.query_params))
    return report_file(report, request.url.path.rsplit(".", 1)[1])


IMPACT_VIEW_HANDLERS = [impact_page, impact_download]
