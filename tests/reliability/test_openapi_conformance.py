"""schemathesis over the whole OpenAPI, as each role, against a live app on PostgreSQL: no 5xx, and every response
is one the schema documents (status code, content type, body shape; problem+json for errors).

Bounded and deterministic: a few examples per operation and role, derandomized, no shrinking. The partners are the
built-in fakes (no partner URL is set), so nothing leaves the machine."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import checks

from tests.conftest import Database
from tests.integration.conftest import Api
from tests.integration.donation_helpers import approved, credit, run, set_shares
from tests.reliability.conftest import app_env, free_port, start_server, stop, wait_ready

pytestmark = [pytest.mark.reliability, pytest.mark.slow]

ROLES = ("admin", "helpdesk", "finance", "auditor", "charity")
EXAMPLES = 2  # per operation and role
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
]


async def _seed(api: Api) -> None:
    """Something to find behind the ids the examples try: devices, pool credits, an approved donation."""
    for n, amount in enumerate(("120.00", "80.00"), start=1):
        await credit(api, n, amount)
    await set_shares(api, "70", "30")
    first, _second = await run(api)
    await approved(api, first["id"])


def _fuzz(operation: object, base_url: str, token: str, failures: list[str]) -> int:
    calls = 0

    @settings(
        max_examples=EXAMPLES, derandomize=True, database=None, deadline=None,
        phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck),
    )  # fmt: skip
    @given(case=operation.as_strategy())  # type: ignore[attr-defined]
    def check(case: schemathesis.Case) -> None:
        nonlocal calls
        calls += 1
        response = case.call(base_url=base_url, headers={"Authorization": f"Bearer {token}"}, timeout=30)
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except (Exception, BaseExceptionGroup) as exc:  # one line per failing operation: the report lists them all
        lines = [line.strip() for line in str(exc).splitlines()]
        what = [line for line in lines if line.startswith(("- ", "Received", "Documented", "`{"))] or lines[:1]
        failures.append(f"{operation.label}: {' / '.join(what)[:400]}")  # type: ignore[attr-defined]
    return calls


async def test_every_operation_as_every_role_matches_the_schema(
    api: Api, database: Database, tmp_path: Path
) -> None:
    await _seed(api)
    port = free_port()
    log = tmp_path / "app.log"
    server = start_server(port, app_env(database.url, scheduler_enabled="false"), log)
    base_url = f"http://127.0.0.1:{port}"
    failures: list[str] = []
    cases = 0
    started = time.monotonic()
    try:
        wait_ready(server, port, log)
        schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        for role in ROLES:
            for operation in operations:
                cases += _fuzz(operation, base_url, api.tokens[role], failures)
    finally:
        stop(server)
    print(f"schemathesis: {cases} cases over {len(operations)} operations x {len(ROLES)} roles "
          f"in {time.monotonic() - started:.0f} s")  # fmt: skip
    assert not failures, "\n".join(sorted(set(failures)))
