"""Wires the partner ports: real httpx clients from settings, or the built-in fakes (demo, tests).

Services and jobs receive a ``Ports`` value; nothing reaches for a partner client on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from integrations.charity.fake import InProcessCharity
from integrations.compensation.fake import FakeCompensationPartner
from integrations.ports import CharityGateway, CompensationPartner

if TYPE_CHECKING:
    from service.settings import Settings


@dataclass
class Ports:
    """The partners a job or service may talk to. Features add their port here as they arrive."""

    # Charity webhooks for donation statements; the in-process fake unless build_ports wires the real client.
    charity: CharityGateway = field(default_factory=InProcessCharity)
    # The e-waste compensation partner (one for one); the built-in fake unless a partner URL is configured.
    compensation: CompensationPartner = field(default_factory=FakeCompensationPartner)


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
