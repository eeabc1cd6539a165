"""What the services need from partners. Services take these; tests and the demo pass fakes.

The clients (httpx) and their fakes arrive with the features that use them: the e-waste
compensation partner with one-for-one compensation, the charity webhook with donation statements.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol


class PartnerError(Exception):
    """Base for partner failures; the message is the partner's own where it gave one."""

    def __init__(self, message: str = "", *, status_code: int | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code


class Retryable(PartnerError):
    """A timeout, a connection failure or a 5xx: the same request may succeed later."""


class Rejected(PartnerError):
    """A 4xx: the partner refused this request; sending it again unchanged will not help."""


@dataclass(frozen=True)
class CompensationItem:
    obligation_id: int
    category: str
    weight_grams: int


@dataclass(frozen=True)
class CompensationReceipt:
    obligation_id: int
    partner_reference: str


class CompensationPartner(Protocol):
    # Shown on the compensation page, so the built-in fake is never mistaken for the real partner.
    name: str

    async def submit_batch(
        self, batch_key: str, items: Sequence[CompensationItem]
    ) -> Sequence[CompensationReceipt]: ...


@dataclass(frozen=True)
class StatementDelivery:
    """One signed webhook call: the same ``message_id`` on every attempt, so the charity can drop repeats."""

    message_id: str
    charity_id: int
    payload: bytes
    url: str
    secret: str


@dataclass(frozen=True)
class DeliveryReceipt:
    status_code: int
    message: str


class CharityGateway(Protocol):
    # Shown to finance beside each attempt, so a fake is never mistaken for the real charity.
    name: str

    async def deliver_statement(self, delivery: StatementDelivery) -> DeliveryReceipt: ...
