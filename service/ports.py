"""The partners a service or job may talk to, as one value (service/bootstrap.py builds it from settings).

Services and jobs receive a ``Ports`` value; nothing reaches for a partner client on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from integrations.charity.fake import InProcessCharity
from integrations.compensation.fake import FakeCompensationPartner
from integrations.ports import CharityGateway, CompensationPartner


@dataclass
class Ports:
    """The partners a job or service may talk to. Features add their port here as they arrive."""

    # Charity webhooks for donation statements; the in-process fake unless build_ports wires the real client.
    charity: CharityGateway = field(default_factory=InProcessCharity)
    # The e-waste compensation partner (one for one); the built-in fake unless a partner URL is configured.
    compensation: CompensationPartner = field(default_factory=FakeCompensationPartner)
