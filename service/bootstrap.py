"""Wires the installation together: the partner ports (real httpx clients or the built-in fakes), the scheduled
jobs of every feature, and the features' subscriptions to device registrations and moves.

This module stands above the features it wires; the features themselves import only the lower ``service.ports``
and ``service.jobs.registry``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from integrations.charity.fake import InProcessCharity
from integrations.compensation.fake import FakeCompensationPartner
from integrations.ports import CharityGateway, CompensationPartner
from service.ports import Ports

if TYPE_CHECKING:
    from service.jobs.registry import Job
    from service.settings import Settings


def build_ports(settings: Settings) -> Ports:
    from integrations.charity.client import CharityWebhookClient

    # The demo never sends a statement anywhere; a charity without a webhook URL gets none (it uses the portal).
    charity: CharityGateway = (
        InProcessCharity() if settings.demo_mode else CharityWebhookClient(settings.charity_webhook_timeout_seconds)
    )
    compensation: CompensationPartner = FakeCompensationPartner()
    if settings.compensation_partner_url and not settings.demo_mode:
        from integrations.compensation.client import HttpCompensationPartner

        compensation = HttpCompensationPartner(
            settings.compensation_partner_url,
            settings.compensation_partner_token,
            settings.compensation_partner_timeout_seconds,
        )
    return Ports(charity=charity, compensation=compensation)


def declared_jobs(settings: Settings) -> dict[str, Job]:
    """Every job of the installation, by name (API.md: compensation, overdue-wipes, revalue, donations,
    statement-delivery; import-files), so the whole schedule can be read in one place."""
    from service.compensation.jobs import compensation_job
    from service.donations.jobs import donation_jobs
    from service.imports.jobs import IMPORT_FILES
    from service.valuation.jobs import REVALUE
    from service.wipes.jobs import OVERDUE_WIPES

    jobs: list[Job] = [REVALUE, *donation_jobs(settings), compensation_job(settings), OVERDUE_WIPES, IMPORT_FILES]
    return {job.name: job for job in jobs}


def wire_features() -> None:
    """Subscribes the features built on devices to its registrations and moves (service/devices/hooks.py).

    Every entry point runs this before a device can change: create_app, the kringloop command, the tests'
    conftest and the benchmarks that register devices. Running it again changes nothing.
    """
    from service.devices import hooks
    from service.faults.service import follow_device_move
    from service.wipes.gate import gate_move
    from service.wipes.service import seed_media_from_model

    hooks.install(
        hooks.DeviceHooks(before_move=(gate_move,), registered=(seed_media_from_model,), moved=(follow_device_move,))
    )
