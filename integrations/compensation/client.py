"""The e-waste compensation partner's API, over httpx.

    POST {base}/v1/compensations
    Authorization: Bearer <token>                  (when one is configured)
    Idempotency-Key: <batch key>                   the same key and body always get the same answer
    {"items": [{"id": "<our obligation id>", "category": "laptop", "weight_grams": 1590}, ...]}

    201 (or 200 when replayed) {"batch_reference": "...", "items": [{"id": "...", "reference": "..."}, ...]}
    4xx/5xx problem+json {"title": ..., "detail": ...}

A timeout, a connection failure, 408, 429 and 5xx are ``Retryable``: the batch is sent again later under the
same key, so a batch the partner did receive is not counted twice. Any other 4xx is ``Rejected`` with the
partner's own message: sending the same batch again unchanged cannot help.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import httpx

from integrations.http import is_retryable, response_message
from integrations.ports import CompensationItem, CompensationReceipt, Rejected, Retryable


class HttpCompensationPartner:
    def __init__(self, base_url: str, token: str = "", timeout_seconds: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.timeout_seconds = timeout_seconds

    @property
    def name(self) -> str:
        return self.base_url

    async def submit_batch(self, batch_key: str, items: Sequence[CompensationItem]) -> Sequence[CompensationReceipt]:
        headers = {"Idempotency-Key": batch_key, "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = {
            "items": [
                {"id": str(i.obligation_id), "category": i.category, "weight_grams": i.weight_grams} for i in items
            ]
        }
        try:
            async with httpx.AsyncClient(timeout=self.timeout_seconds) as client:
                response = await client.post(f"{self.base_url}/v1/compensations", json=body, headers=headers)
        except httpx.TimeoutException:
            raise Retryable(f"the partner did not answer within {self.timeout_seconds:g} s") from None
        except httpx.TransportError as exc:
            raise Retryable(f"could not reach the partner: {type(exc).__name__} {exc}".strip()) from None
        status = response.status_code
        if is_retryable(status):
            raise Retryable(f"partner answered {status}: {response_message(response)}", status_code=status)
        if status >= 400:
            raise Rejected(f"partner refused the batch ({status}): {response_message(response)}", status_code=status)
        return _receipts(response, items)


def _receipts(response: httpx.Response, items: Sequence[CompensationItem]) -> list[CompensationReceipt]:
    try:
        data: Any = response.json()
        answered = {str(i["id"]): str(i["reference"]) for i in data["items"]}
    except (ValueError, KeyError, TypeError):
        # The partner has the batch or not; asking again under the same key is safe and will tell.
        raise Retryable(f"could not read the partner's answer ({response.status_code})") from None
    missing = [i.obligation_id for i in items if not answered.get(str(i.obligation_id))]
    if missing:
        raise Retryable(f"the partner's answer has no reference for obligations {missing[:10]}")
    return [CompensationReceipt(i.obligation_id, answered[str(i.obligation_id)]) for i in items]
