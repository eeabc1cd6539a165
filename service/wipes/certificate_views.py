"""Wipe pages beside the device page: a certificate's page with its verify and reject forms, the certificate
register (and its CSV), the report file, and the bulk report import."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlencode

from litestar import MediaType, Request, get, post
from litestar.datastructures import State
from litestar.params import URLEncodedBody
from litestar.response import Template

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.i18n import _
from service.web.deps import AppSettings, CurrentActor, DbSession
from service.web.forms import Refused, cleaned, submit_form
from service.wipes import certificates, repository
from service.wipes.downloads import document_response, register_csv_response
from service.wipes.policy import CURRENT_POLICY, DESTINATION_LABELS, MEDIA_LABELS, METHOD_LABELS, VERIFICATION_LABELS
from service.wipes.uploads import import_results, import_uploaded_reports, read_form

Form = dict[str, str]
READ = [requires(Permission.read_registry)]
CHANGE = [requires(Permission.change_registry)]
VERIFY = [requires(Permission.verify_wipes)]



def _next(form: Form, fallback: str) -> str:
    target = form.get("next", "")
    ok = target.startswith(("/devices/", "/wipe-certificates")) and "//" not in target and "\\" not in target
    return target if ok else fallback


@post("/wipe-certificates/{certificate_id:int}/verify", guards=VERIFY, include_in_schema=False)
async def verify_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, certificate_id: int,
    data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    return await _review(request, state, session, certificate_id, cleaned(data), "verify",
                         lambda: certificates.verify_certificate(session, actor, certificate_id))  # fmt: skip


@post("/wipe-certificates/{certificate_id:int}/reject", guards=VERIFY, include_in_schema=False)
async def reject_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, certificate_id: int,
    data: URLEncodedBody[Form],
) -> Any:  # fmt: skip
    form = cleaned(data)
    return await _review(request, state, session, certificate_id, form, "reject",
                         lambda: certificates.reject_certificate(session, actor, certificate_id,
                                                                 form.get("reason", "")))  # fmt: skip


async def _review(
    request: Request[Any, Any, Any], state: State, session: Any, certificate_id: int, form: Form, action: str,
    work: Callable[[], Awaitable[Any]],
) -> Any:  # fmt: skip
    await repository.certificate_view(session, certificate_id)  # 404 before anything else

    async def show(refused: Refused) -> Template:
        return await _certificate_page(request, session, certificate_id, form=refused.form, error=refused.message,
                                       error_for=action, status_code=refused.status_code)  # fmt: skip

    def done(result: Any) -> str:
        if action == "verify":
            said = (
                _("Certificate verified: the device passed the wipe gate and is now wiped")
                if result[2]
                else _("Certificate verified")
            )
        else:
            said = _("Certificate rejected")
        target = _next(form, f"/wipe-certificates/{certificate_id}").split("#")[0].split("?")[0]
        anchor = "#wipes" if target.startswith("/devices/") else ""
        return f"{target}?{urlencode({'wipes': said})}{anchor}"

    return await submit_form(session, work, form_id=action, form=form, show=show, done=done)


async def _certificate_page(
    request: Request[Any, Any, Any], session: Any, certificate_id: int, *, form: Form | None = None,
    error: str | None = None, error_for: str = "", status_code: int = 200,
) -> Template:  # fmt: skip
    row = await repository.certificate_view(session, certificate_id)
    role = request.user.role
    return Template(
        "wipes/certificate.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "c": row,
            "accepted": CURRENT_POLICY.accepts(row.media_type, row.method),
            "policy": CURRENT_POLICY,
            "can_verify": can(role, Permission.verify_wipes),
            "me": request.user.username,
            "methods": METHOD_LABELS,
            "media_types": MEDIA_LABELS,
            "destinations": DESTINATION_LABELS,
            "verifications": VERIFICATION_LABELS,
            "done": request.query_params.get("wipes") if not error else None,
            "form": form or {},
            "error": error,
            "error_for": error_for,
        },
    )


@get("/wipe-certificates/{certificate_id:int}", guards=READ, include_in_schema=False)
async def certificate_page(request: Request[Any, Any, Any], session: DbSession, certificate_id: int) -> Template:
    return await _certificate_page(request, session, certificate_id)


@get("/wipe-certificates/{certificate_id:int}/document", guards=READ, include_in_schema=False)
async def document_download(session: DbSession, certificate_id: int) -> Any:
    """The report file for signed-in people (the API's twin takes a bearer token)."""
    return document_response(await repository.document(session, certificate_id))


@get("/wipe-certificates/register.csv", guards=READ, include_in_schema=False)
async def register_csv(state: State, status: str | None = None) -> Any:
    """The register for auditors signed in to the pages (the API's ?format=csv takes a bearer token)."""
    return register_csv_response(state, status or None)


@get("/wipe-certificates", guards=READ, include_in_schema=False)
async def register_page(
    request: Request[Any, Any, Any], session: DbSession, status: str | None = None, cursor: str | None = None
) -> Template:
    status = status or None
    page = await repository.list_certificates(session, status=status, cursor=cursor, limit=50)
    query = urlencode({"status": status} if status else {})
    next_query = urlencode({k: v for k, v in {"status": status, "cursor": page.next_cursor}.items() if v})
    return Template(
        "wipes/register.html",
        media_type=MediaType.HTML,
        context={
            "rows": page.items,
            "status": status or "",
            "csv_url": f"/wipe-certificates/register.csv{'?' + query if query else ''}",
            "next_url": f"/wipe-certificates?{next_query}" if page.next_cursor else None,
            "first_page": cursor is None,
            "overdue": await repository.overdue_devices(session),
            "waiting": await repository.waiting_devices(session),
            "can_change": can(request.user.role, Permission.change_registry),
            "methods": METHOD_LABELS,
            "policy": CURRENT_POLICY,
        },
    )


@get("/wipe-certificates/import", guards=CHANGE, include_in_schema=False)
async def import_page(request: Request[Any, Any, Any], state: State) -> Template:
    return _import_template(state, None, None, {}, 200)


def _import_template(state: State, result: Any, error: str | None, form: Form, status_code: int) -> Template:
    return Template(
        "wipes/import.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "result": result,
            "error": error,
            "form": form,
            "destinations": DESTINATION_LABELS,
            "max_mb": round(state.settings.wipe_report_max_bytes / 2**20, 1),
            "max_files": state.settings.wipe_upload_max_files,
        },
    )


@post("/wipe-certificates/import", guards=CHANGE, include_in_schema=False)
async def import_from_page(
    request: Request[Any, Any, Any], state: State, session: DbSession, actor: CurrentActor, settings: AppSettings
) -> Template:
    form: Form = {}

    async def work() -> Any:
        fields, uploads = await read_form(request, "files", settings)
        form.update(fields)
        return import_results(await import_uploaded_reports(session, actor, settings, fields, uploads, "files"))

    def show(refused: Refused) -> Template:
        return _import_template(state, None, refused.message, refused.form, refused.status_code)

    def done(result: Any) -> Template:
        return _import_template(state, result, None, form, 200 if result.recorded else 422)

    return await submit_form(session, work, form_id="import", form=form, show=show, done=done)


PAGE_HANDLERS: list[Any] = [verify_page, reject_page, certificate_page, document_download, register_csv, register_page]
# The import page shares its path with the multipart POST, so both go into the upload router.
IMPORT_PAGE_HANDLERS: list[Any] = [import_page, import_from_page]
