"""The wipe policy: which sanitization methods count as evidence for which kind of storage medium.

Pure code, versioned. NIST SP 800-88 (Rev. 1 appendix A, Rev. 2 keeps it) and IEEE 2883-2022 sort every
sanitization into Clear, Purge or Destroy. Devices that leave the company need more than a logical reset:
- magnetic disks (hdd): a verified overwrite (Clear) is accepted, and so are Purge and Destroy;
- flash (ssd, emmc, phone memory, sd cards): only Purge (block erase, crypto erase, sanitize) or Destroy,
  because an overwrite does not reach over-provisioned and remapped cells;
- a medium of unknown technology ("other"): as flash, since Clear is only known to work on magnetic media.

The database triggers of migration 0004 carry a frozen copy of version 1 (the wipe gate on ``devices``): a new
version here needs a migration that re-creates them. ``tests/integration/test_wipe_gate.py`` checks that the
triggers and this table agree for every media type and method.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from service.i18n import N_, gettext, lazy_gettext

# The largest medium anyone ships is a few hundred TB; a bigger number is a typo (or a corrupt report).
MAX_CAPACITY = 10**16

METHODS = ("clear", "purge", "destroy")
# Must equal service.device_models.models.MEDIA_TYPES (a unit test checks it).
MEDIA_TYPES = ("hdd", "ssd", "emmc", "phone_memory", "sd_card", "other")
MEDIA_LABELS = {
    "hdd": lazy_gettext("Hard disk (magnetic)"),
    "ssd": lazy_gettext("Solid-state drive"),
    "emmc": lazy_gettext("eMMC flash"),
    "phone_memory": lazy_gettext("Phone memory (flash)"),
    "sd_card": lazy_gettext("SD / memory card"),
    "other": lazy_gettext("Other or unknown"),
}
METHOD_LABELS = {
    "clear": lazy_gettext("Clear (overwrite)"),
    "purge": lazy_gettext("Purge (block erase, crypto erase, sanitize, degauss)"),
    "destroy": lazy_gettext("Destroy (shred, disintegrate, incinerate)"),
}
# NIST SP 800-88 Rev. 1 appendix G: where the medium goes after sanitization.
DESTINATIONS = ("internal_reuse", "external_reuse", "recycling_facility", "manufacturer", "other")
DESTINATION_LABELS = {
    "internal_reuse": lazy_gettext("Internal reuse"),
    "external_reuse": lazy_gettext("External reuse (donated or sold)"),
    "recycling_facility": lazy_gettext("Recycling facility"),
    "manufacturer": lazy_gettext("Back to the manufacturer"),
    "other": lazy_gettext("Other"),
}
# NIST SP 800-88 Rev. 1 appendix G: full, sampling (quick/representative), or other.
VERIFICATION_METHODS = ("full", "sampling", "other")
VERIFICATION_LABELS = {
    "full": lazy_gettext("Full"),
    "sampling": lazy_gettext("Sampling"),
    "other": lazy_gettext("Other"),
}

# States from which a device has left the company's hands for good: each needs the gate (DESIGN.md).
GATED_STATUSES = ("wiped", "valued", "disposed")


@dataclass(frozen=True)
class WipePolicy:
    version: int
    effective: str
    accepted: Mapping[str, frozenset[str]]
    why: Mapping[str, str]

    def accepts(self, media_type: str, method: str) -> bool:
        return method in self.accepted.get(media_type, frozenset())

    def accepted_methods(self, media_type: str) -> tuple[str, ...]:
        return tuple(m for m in METHODS if self.accepts(media_type, m))

    def refusal(self, media_type: str, method: str) -> str | None:
        """Why ``method`` is not enough for ``media_type``, or None when it is."""
        if self.accepts(media_type, method):
            return None
        allowed = gettext(" or ").join(self.accepted_methods(media_type)) or gettext("nothing")
        return (
            gettext("wipe policy v{version} accepts only {allowed} for {medium}, not {method}: {why}")
            .format(
                version=self.version,
                allowed=allowed,
                medium=MEDIA_LABELS.get(media_type, media_type),
                method=method,
                why=gettext(self.why[media_type]) if self.why.get(media_type) else "",
            )
            .rstrip(": ")
        )


_FLASH_WHY = N_("an overwrite does not reach over-provisioned or remapped flash cells")
POLICIES: dict[int, WipePolicy] = {
    1: WipePolicy(
        version=1,
        effective="2026-11-22",
        accepted={
            "hdd": frozenset({"clear", "purge", "destroy"}),
            "ssd": frozenset({"purge", "destroy"}),
            "emmc": frozenset({"purge", "destroy"}),
            "phone_memory": frozenset({"purge", "destroy"}),
            "sd_card": frozenset({"purge", "destroy"}),
            "other": frozenset({"purge", "destroy"}),
        },
        why={
            "ssd": _FLASH_WHY,
            "emmc": _FLASH_WHY,
            "phone_memory": _FLASH_WHY,
            "sd_card": _FLASH_WHY,
            "other": N_("only a Purge or Destroy is known to work when the medium's technology is unknown"),
        },
    )
}
CURRENT_POLICY = POLICIES[max(POLICIES)]


@dataclass(frozen=True)
class MediumEvidence:
    """One listed medium and the methods of its verified certificates."""

    medium_id: int
    media_type: str
    serial: str | None
    verified_methods: tuple[str, ...]


def gate_blockers(media: list[MediumEvidence], has_attestation: bool, policy: WipePolicy = CURRENT_POLICY) -> list[str]:
    """What keeps a device from leaving ``retired``; empty when every requirement is met."""
    if not media:
        if has_attestation:
            return []
        return ["no storage media are listed and nobody has attested that the device has none"]
    blockers = []
    for m in media:
        serial = gettext(", serial {serial}").format(serial=m.serial) if m.serial else ""
        label = gettext("medium #{id} ({type})").format(id=m.medium_id, type=m.media_type + serial)
        if any(policy.accepts(m.media_type, method) for method in m.verified_methods):
            continue
        if m.verified_methods:
            method = sorted(set(m.verified_methods))[0]
            blockers.append(
                gettext("{medium} has only a verified {method} certificate; {why}").format(
                    medium=label, method=method, why=policy.refusal(m.media_type, method)
                )
            )
        else:
            blockers.append(gettext("{medium} has no verified wipe certificate").format(medium=label))
    return blockers
