"""What a statement line cites as evidence from the wipes feature: the verified wipe certificates of each device,
or the attestation that it holds no storage media."""

from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa
from sqlmodel.ext.asyncio.session import AsyncSession

from service.wipes.models import NoMediaAttestation, WipeCertificate

_CHUNK = 5000  # stays below SQLite's limit on bound parameters


async def wipe_certificates(session: AsyncSession, device_ids: Iterable[int]) -> dict[int, list[dict[str, str]]]:
    """``{device_id: [{"id": "WC-12", "method": "purge / crypto erase", "reportRef": ...}, ...]}``."""
    out: dict[int, list[dict[str, str]]] = {}
    ids = sorted(set(device_ids))
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        certificates = (
            sa.select(
                WipeCertificate.device_id,
                WipeCertificate.id,
                WipeCertificate.report_ref,
                WipeCertificate.method,
                WipeCertificate.technique,
            )
            .where(WipeCertificate.device_id.in_(chunk), WipeCertificate.status == "verified")  # type: ignore[attr-defined]
            .order_by(WipeCertificate.id)  # type: ignore[arg-type]
        )
        for device_id, cert_id, report_ref, method, technique in (await session.execute(certificates)).all():
            entry = {"id": f"WC-{cert_id}", "method": " / ".join(v for v in (method, technique) if v)}
            if report_ref:
                entry["reportRef"] = report_ref
            out.setdefault(device_id, []).append(entry)
        attestations = sa.select(NoMediaAttestation.device_id, NoMediaAttestation.id).where(
            NoMediaAttestation.device_id.in_(chunk)  # type: ignore[attr-defined]
        )
        for device_id, attestation_id in (await session.execute(attestations)).all():
            out.setdefault(device_id, []).append(
                {"id": f"NMA-{attestation_id}", "method": "no storage media (attested)"}
            )
    return out
