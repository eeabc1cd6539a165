"""The charity webhook over HTTP (httpx), signed with the Standard Webhooks scheme.

2xx: accepted. Timeouts, connection failures, 408, 429 and 5xx: Retryable (the same message may succeed later).
Any other 4xx: Rejected, with the charity's own message, because sending it again unchanged will not help.
"""

from __future__ import annotations

import time

import httpx

from integrations.charity.signing import headers
from integrations.ports import DeliveryReceipt, Rejected, Retryable, StatementDelivery

_RETRYABLE_4XX = {408, 425, 429}


def charity_message(response: httpx.Response, limit: int = 1000) -> str:
    """What the charity said: an RFC 9457 problem's detail or title, a JSON message, or the text itself."""
    text = response.text.strip()
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "error", "title"):
            if isinstance(body.get(key), str) and body[key].strip():
                text = body[key].strip()
                break
    return (text or response.reason_phrase or f"HTTP {response.status_code}")[:limit]


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
            return DeliveryReceipt(status, charity_message(response) if response.content else "accepted")
        message = charity_message(response)
        if status >= 500 or status in _RETRYABLE_4XX:
            raise Retryable(message, status_code=status)
        raise Rejected(message, status_code=status)
