"""The charity webhook over HTTP (httpx), signed with the Standard Webhooks scheme.

2xx: accepted. Timeouts, connection failures, 408, 429 and 5xx: Retryable (the same message may succeed later).
Any other 4xx: Rejected, with the charity's own message, because sending it again unchanged will not help.
"""

from __future__ import annotations

import time

import httpx

from integrations.charity.signing import headers
from integrations.http import is_retryable, response_message
from integrations.ports import DeliveryReceipt, Rejected, Retryable, StatementDelivery


class CharityWebhookClient:
    name = "webhook"

    def __init__(self, timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._timeout = httpx.Timeout(timeout_seconds)
        self._transport = transport

    async def deliver_statement(self, delivery: StatementDelivery) -> DeliveryReceipt:
        if not delivery.url.startswith(("https://", "http://")):
            raise Rejected(f"The charity's webhook URL {delivery.url!r} is not an http(s) URL.")
        signed = headers(delivery.secret, delivery.message_id, int(time.time()), delivery.payload)
        try:
            async with httpx.AsyncClient(
                timeout=self._timeout, transport=self._transport, follow_redirects=False
            ) as client:
                response = await client.post(delivery.url, content=delivery.payload, headers=signed)
        except httpx.TimeoutException:
            raise Retryable(f"The charity did not answer within {self._timeout.read:g} s.") from None
        except httpx.HTTPError as exc:
            raise Retryable(f"Could not reach the charity: {type(exc).__name__}: {exc}") from None
        status = response.status_code
        if 200 <= status < 300:
            return DeliveryReceipt(status, response_message(response) if response.content else "accepted")
        message = response_message(response)
        if is_retryable(status):
            raise Retryable(message, status_code=status)
        raise Rejected(message, status_code=status)
