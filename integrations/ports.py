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
    async def submit_batch(
        self, batch_key: str, items: Sequence[CompensationItem]
    ) -> Sequence[CompensationReceipt]: ...


@dataclass(frozen=True)
class StatementDelivery:
    message_id: str
    charity_id: int
    payload: bytes


class CharityGateway(Protocol):
    async def deliver_statement(self, delivery: StatementDelivery) -> None: ...
