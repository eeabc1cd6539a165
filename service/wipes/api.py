"""JSON API of storage media, wipe certificates, attestations and report imports (API.md)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from litestar import Controller, Request, Response, Router, delete, get, patch, post
from litestar.datastructures import State
from litestar.params import JSONBody, Parameter

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.pagination import DEFAULT_LIMIT
from service.settings import Settings
from service.web.deps import CurrentActor, DbSession, PageLimit, created
from service.wipes import certificates, gate, repository, service
from service.wipes.downloads import document_response, register_csv_response
from service.wipes.models import StorageMedium, WipeCertificate
from service.wipes.policy import CURRENT_POLICY
from service.wipes.responses import certificate_out
from service.wipes.schemas import (
    AttestationBody,
    AttestationOut,
    CertificateOut,
    CertificatePage,
    CertificateSummary,
    GateOut,
    MediumCreate,
    MediumOut,
    MediumPage,
    MediumUpdate,
    RejectBody,
    ReviewBody,
    ReviewOut,
)

_CHANGE = [requires(Permission.change_registry)]
_VERIFY = [requires(Permission.verify_wipes)]


# ------------------------------------------------------------------------------------------------------- shaping


def medium_out(medium: StorageMedium, certs: list[WipeCertificate]) -> MediumOut:
    assert medium.id is not None
    return MediumOut(
        **medium.model_dump(),
        wipe_status=repository.wipe_status(medium.media_type, certs),
        accepted_methods=list(CURRENT_POLICY.accepted_methods(medium.media_type)),  # type: ignore[arg-type]
        certificates=[
            CertificateSummary(
                id=c.id,  # type: ignore[arg-type]
                status=c.status,
                method=c.method,
                accepted=CURRENT_POLICY.accepts(medium.media_type, c.method),
            )
            for c in certs
        ],
    )


# -------------------------------------------------------------------------------------------- media, attestation


class DeviceWipeController(Controller):
    path = "/api/v1/devices/{device_id:int}"
    tags = ["wipes"]
    guards = [requires(Permission.read_registry)]

    @get("/media", summary="The device's storage media, each with its certificates and wipe status")
    async def list_media(
        self,
        session: DbSession,
        device_id: int,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> MediumPage:
        await repository.ensure_device(session, device_id)
        page = await repository.media_of(session, device_id, cursor=cursor, limit=limit)
        certs = await repository.certificates_by_medium(session, [m.id for m in page.items if m.id is not None])
        return MediumPage(items=[medium_out(m, certs.get(m.id, [])) for m in page.items], next_cursor=page.next_cursor)  # type: ignore[arg-type]

    @post("/media", guards=_CHANGE, summary="List a storage medium the device carries")
    async def add_medium(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: JSONBody[MediumCreate],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            medium = await service.add_medium(session, actor, device_id, data)
            return 201, medium_out(medium, []).model_dump(mode="json")

        return await created(request, session, data, create)

    @patch("/media/{medium_id:int}", guards=_CHANGE, summary="Correct a medium (type, serial, capacity)")
    async def update_medium(
        self, session: DbSession, actor: CurrentActor, device_id: int, medium_id: int, data: JSONBody[MediumUpdate]
    ) -> MediumOut:
        medium = await service.update_medium(session, actor, device_id, medium_id, data)
        certs = await repository.certificates_by_medium(session, [medium_id])
        return medium_out(medium, certs.get(medium_id, []))

    @delete(
        "/media/{medium_id:int}",
        guards=_CHANGE,
        status_code=204,
        summary="Remove a medium listed by mistake (audited; refused once a certificate refers to it)",
    )
    async def remove_medium(
        self,
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        medium_id: int,
        version: int = Parameter(ge=1, description="the medium's version"),
        reason: str = Parameter(min_length=3, max_length=2000, description="why it is not in the device"),
    ) -> None:
        await service.remove_medium(session, actor, device_id, medium_id, version=version, reason=reason)

    @post(
        "/no-media-attestation",
        guards=_CHANGE,
        summary="Attest that a retired device holds no storage media; it becomes wiped",
    )
    async def attest(
        self,
        request: Request[Any, Any, Any],
        session: DbSession,
        actor: CurrentActor,
        device_id: int,
        data: JSONBody[AttestationBody],
    ) -> Response[Any]:
        async def create() -> tuple[int, Any]:
            attestation, device = await service.attest_no_media(session, actor, device_id, data.statement, data.version)
            out = AttestationOut(**attestation.model_dump(), device_status=device.status)
            return 201, out.model_dump(mode="json")

        return await created(request, session, data, create)

    @get("/wipe-gate", summary="Whether the device may leave retired, and what still keeps it")
    async def wipe_gate(self, session: DbSession, device_id: int) -> GateOut:
        device = await repository.ensure_device(session, device_id)
        found = await gate.blockers(session, device_id)
        return GateOut(
            device_id=device_id,
            device_status=device.status,
            passed=not found,
            blockers=found,
            policy_version=CURRENT_POLICY.version,
        )


# -------------------------------------------------------------------------------------------------- certificates


class WipeCertificateController(Controller):
    path = "/api/v1/wipe-certificates"
    tags = ["wipes"]
    guards = [requires(Permission.read_registry)]

    @get("/", summary="The certificate register (JSON pages, or the whole register as CSV with ?format=csv)")
    async def register(
        self,
        state: State,
        session: DbSession,
        format: str = Parameter(default="json", pattern="^(json|csv)$"),
        status: str | None = None,
        device_id: int | None = None,
        performed_since: datetime | None = None,
        performed_before: datetime | None = None,
        cursor: str | None = None,
        limit: PageLimit = DEFAULT_LIMIT,
    ) -> Any:
        if format == "csv":
            return register_csv_response(state, status, performed_since, performed_before, device_id)
        page = await repository.list_certificates(
            session,
            device_id=device_id,
            status=status,
            since=performed_since,
            until=performed_before,
            cursor=cursor,
            limit=limit,
        )
        return CertificatePage(items=[certificate_out(r) for r in page.items], next_cursor=page.next_cursor)

    @get("/{certificate_id:int}", summary="One wipe certificate")
    async def one(self, session: DbSession, certificate_id: int) -> CertificateOut:
        return certificate_out(await repository.certificate_view(session, certificate_id))

    @get("/{certificate_id:int}/document", summary="The tool's original report file, byte for byte")
    async def document(self, session: DbSession, certificate_id: int) -> Response[bytes]:
        return document_response(await repository.document(session, certificate_id))

    @post(
        "/{certificate_id:int}/verify",
        guards=_VERIFY,
        status_code=200,
        summary="Verify a certificate (never one you recorded); the last one the gate needs wipes the device",
    )
    async def verify(
        self, session: DbSession, actor: CurrentActor, certificate_id: int, data: JSONBody[ReviewBody | None] = None
    ) -> ReviewOut:
        body = data or ReviewBody()
        _, device, moved = await certificates.verify_certificate(session, actor, certificate_id, body.version)
        out = certificate_out(await repository.certificate_view(session, certificate_id))
        return ReviewOut(certificate=out, device_status=device.status, device_wiped=moved)

    @post(
        "/{certificate_id:int}/reject", guards=_VERIFY, status_code=200, summary="Reject a certificate, with a reason"
    )
    async def reject(
        self, session: DbSession, actor: CurrentActor, certificate_id: int, data: JSONBody[RejectBody]
    ) -> CertificateOut:
        await certificates.reject_certificate(session, actor, certificate_id, data.reason, data.version)
        return certificate_out(await repository.certificate_view(session, certificate_id))


def wipe_routes(settings: Settings, upload_views: list[Any]) -> list[Any]:
    """The wipes feature's routes; uploads get their own body limit (KRINGLOOP_WIPE_UPLOAD_MAX_BYTES)."""
    from service.wipes.uploads import UPLOAD_API_HANDLERS

    uploads = Router(
        path="/",
        route_handlers=[*UPLOAD_API_HANDLERS, *upload_views],
        request_max_body_size=settings.wipe_upload_max_bytes,
    )
    return [DeviceWipeController, WipeCertificateController, uploads]
