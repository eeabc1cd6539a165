"""What the wipes JSON API answers, shared by its controllers (api.py) and its multipart uploads (uploads.py)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from service.errors import InvalidInput
from service.wipes import repository
from service.wipes.policy import CURRENT_POLICY
from service.wipes.schemas import CertificateOut, DocumentOut


def certificate_out(row: Any) -> CertificateOut:
    values = {k: getattr(row, k) for k in CertificateOut.model_fields if k not in ("document", "policy_accepts")}
    document = None
    if row.document_id is not None:
        document = DocumentOut(
            id=row.document_id,
            filename=row.document_filename,
            content_type=row.document_content_type,
            size_bytes=row.document_size_bytes,
            sha256=row.document_sha256,
            url=f"/api/v1/wipe-certificates/{row.id}/document",
        )
    return CertificateOut(
        **values, document=document, policy_accepts=CURRENT_POLICY.accepts(row.media_type, row.method)
    )


async def certificate_json(session: Any, certificate_id: int) -> dict[str, Any]:
    return certificate_out(await repository.certificate_view(session, certificate_id)).model_dump(mode="json")


def validation_problem(exc: ValidationError, prefix: str = "") -> InvalidInput:
    errors = [
        {
            "field": prefix + ".".join(str(p) for p in e["loc"]) or "body",
            "message": e["msg"].removeprefix("Value error, "),
        }
        for e in exc.errors()
    ]
    return InvalidInput("; ".join(f"{e['field']}: {e['message']}" for e in errors), errors=errors)
