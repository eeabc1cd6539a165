"""The compensation partner client over real HTTP on 127.0.0.1, against the loopback fake partner."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from integrations.compensation.client import HttpCompensationPartner
from integrations.compensation.fake import FakeCompensationPartner, FakePartnerServer
from integrations.ports import CompensationItem, Rejected, Retryable

ITEMS = [CompensationItem(1, "laptop", 1590), CompensationItem(2, "phone", 170)]


@pytest.fixture
def partner() -> Iterator[FakePartnerServer]:
    with FakePartnerServer(token="partner-token") as server:
        yield server


def _client(server: FakePartnerServer, timeout: float = 2.0) -> HttpCompensationPartner:
    return HttpCompensationPartner(server.url, "partner-token", timeout)


async def test_success_gives_a_reference_per_item(partner: FakePartnerServer) -> None:
    receipts = await _client(partner).submit_batch("batch-1", ITEMS)
    assert [r.obligation_id for r in receipts] == [1, 2]
    assert all(r.partner_reference.startswith("CTL-") for r in receipts)
    [request] = partner.received
    assert request.key == "batch-1" and request.answered == 201
    assert request.body == {"items": [{"id": "1", "category": "laptop", "weight_grams": 1590},
                                      {"id": "2", "category": "phone", "weight_grams": 170}]}


async def test_a_5xx_is_retryable_and_the_retry_counts_once(partner: FakePartnerServer) -> None:
    client = _client(partner)
    partner.fail_next(503, "maintenance until 03:00")
    with pytest.raises(Retryable, match="503: maintenance until 03:00") as failed:
        await client.submit_batch("batch-2", ITEMS)
    assert failed.value.status_code == 503
    receipts = await client.submit_batch("batch-2", ITEMS)
    again = await client.submit_batch("batch-2", ITEMS)  # e.g. our answer got lost: same key, same references
    assert [r.partner_reference for r in receipts] == [r.partner_reference for r in again]
    assert [r.answered for r in partner.received] == [503, 201, 200]
    assert sorted(partner.counted_ids()) == ["1", "2"]


async def test_a_timeout_is_retryable_and_resending_does_not_count_twice(partner: FakePartnerServer) -> None:
    partner.stall_next(1.5)  # the partner records the batch, but answers too late
    with pytest.raises(Retryable, match=r"did not answer within 0\.3 s"):
        await _client(partner, timeout=0.3).submit_batch("batch-3", ITEMS)
    receipts = await _client(partner).submit_batch("batch-3", ITEMS)
    assert len(receipts) == 2 and sorted(partner.counted_ids()) == ["1", "2"]
    assert len(partner.ledger.batches) == 1


async def test_a_4xx_is_rejected_with_the_partners_message(partner: FakePartnerServer) -> None:
    partner.fail_next(422, "weight_grams of item 2 is below our minimum of 200 g")
    with pytest.raises(Rejected, match="below our minimum of 200 g") as refused:
        await _client(partner).submit_batch("batch-4", ITEMS)
    assert refused.value.status_code == 422
    with pytest.raises(Rejected, match="401"):
        await HttpCompensationPartner(partner.url, "wrong-token", 2.0).submit_batch("batch-5", ITEMS)
    # The same key for a different batch is refused by the partner, not silently merged.
    await _client(partner).submit_batch("batch-6", ITEMS)
    with pytest.raises(Rejected, match="409"):
        await _client(partner).submit_batch("batch-6", ITEMS[:1])


async def test_nobody_listening_is_retryable() -> None:
    with FakePartnerServer() as server:
        url = server.url
    with pytest.raises(Retryable, match="could not reach the partner"):
        await HttpCompensationPartner(url, "", 1.0).submit_batch("batch-7", ITEMS)


async def test_the_in_process_fake_behaves_like_the_partner() -> None:
    fake = FakeCompensationPartner()
    first = await fake.submit_batch("k", ITEMS)
    assert [r.partner_reference for r in await fake.submit_batch("k", ITEMS)] == [r.partner_reference for r in first]
    with pytest.raises(Rejected, match="different batch"):
        await fake.submit_batch("k", ITEMS[:1])
    with pytest.raises(Rejected, match="not one we collect for"):
        await fake.submit_batch("other", [CompensationItem(3, "toaster", 100)])
    assert fake.name == "built-in fake partner"
