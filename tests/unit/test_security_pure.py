import json
from datetime import UTC, datetime
from types import SimpleNamespace

import pytest

from service.accounts.passwords import hash_password, verify_password, weak_password_reason
from service.accounts.permissions import ROLE_PERMISSIONS, Permission, Role, can
from service.accounts.tokens import TokenSigner
from service.audit.chain import (
    GENESIS_HASH,
    Encoded,
    canonical_json,
    column_json,
    encoded,
    find_first_break,
    record_hash,
)
from service.settings import DEFAULT_SECRET, InsecureSettingsError, Settings


def test_production_refuses_the_default_secret() -> None:
    with pytest.raises(InsecureSettingsError):
        Settings(demo_mode=False, secret_key=DEFAULT_SECRET)
    assert Settings(demo_mode=True, secret_key=DEFAULT_SECRET).demo_mode
    assert not Settings(demo_mode=False, secret_key="a-real-long-random-secret").demo_mode


def test_settings_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KRINGLOOP_PORT", "8123")
    monkeypatch.setenv("KRINGLOOP_DEMO_MODE", "true")
    settings = Settings()
    assert settings.port == 8123 and settings.demo_mode


def test_role_table_matches_api_md() -> None:
    assert can(Role.helpdesk, Permission.change_registry)
    assert not can(Role.finance, Permission.change_registry)
    assert not can(Role.admin, Permission.handle_money), "admin is not a superuser for money"
    assert can(Role.finance, Permission.handle_money)
    assert ROLE_PERMISSIONS[Role.charity] == {Permission.read_money, Permission.acknowledge_donation}
    assert can(Role.auditor, Permission.read_audit) and not can(Role.auditor, Permission.change_registry)


def test_passwords() -> None:
    digest = hash_password("a long passphrase")
    assert digest.startswith("$argon2id$")
    assert verify_password(digest, "a long passphrase")
    assert not verify_password(digest, "wrong")
    assert not verify_password(None, "a long passphrase")
    assert weak_password_reason("short") and weak_password_reason("a long passphrase") is None


def test_tokens_are_signed_and_purpose_bound() -> None:
    api = TokenSigner("s" * 32, purpose="api-token", max_age_seconds=60)
    ui = TokenSigner("s" * 32, purpose="ui-session", max_age_seconds=60)
    token = api.issue(7, 3)
    claims = api.read(token)
    assert claims is not None and (claims.user_id, claims.session_epoch) == (7, 3)
    assert ui.read(token) is None
    assert api.read(token[:-2] + "xx") is None
    assert TokenSigner("other-secret-000000", purpose="api-token", max_age_seconds=60).read(token) is None


def _chain(n: int) -> list[SimpleNamespace]:
    records, prev = [], GENESIS_HASH
    for seq in range(1, n + 1):
        r = SimpleNamespace(seq=seq, at=datetime(2026, 1, 1, tzinfo=UTC), actor="a", action="x", entity_type="t",
                            entity_id=str(seq), before=None, after={"n": seq}, prev_hash=prev)
        r.hash = record_hash(seq=r.seq, at=r.at, actor=r.actor, action=r.action, entity_type=r.entity_type,
                             entity_id=r.entity_id, before=r.before, after=r.after, prev_hash=r.prev_hash)
        prev = r.hash
        records.append(r)
    return records


def test_chain_break_is_found_at_the_changed_record() -> None:
    records = _chain(5)
    assert find_first_break(records) is None
    records[2].after = {"n": 999}
    broken = find_first_break(records)
    assert broken is not None and broken.seq == 3


def test_chain_gap_is_found() -> None:
    records = _chain(5)
    del records[1]
    broken = find_first_break(records)
    assert broken is not None and broken.seq == 2


def test_an_audit_record_encoded_in_pieces_hashes_as_the_whole() -> None:
    """An import encodes its chunk's big lists ahead and the record takes them as they are: the text, and so the
    hash, must be exactly what encoding the whole would give, or `audit verify` would call the record changed."""
    after = {
        "import": "abc", "rows": [2, 2501], "zürich": "Café \u2013 \"quoted\"\n", "none": None, "flag": True,
        "created": {"columns": ["row", "id"], "values": [[2, 1], [3, 2]]}, "b": [{"z": 1, "a": [None, 1.5]}],
    }  # fmt: skip
    pieces = {key: Encoded(canonical_json(value)) if key in ("created", "b", "zürich") else value
              for key, value in after.items()}  # fmt: skip
    assert canonical_json(pieces) == canonical_json(after)
    assert canonical_json(encoded(pieces)) == canonical_json(after)
    at = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    fields = {"seq": 7, "at": at, "actor": "cli:x", "action": "device.import", "entity_type": "device_import",
              "entity_id": "abc:2-2501", "prev_hash": GENESIS_HASH}  # fmt: skip
    whole = record_hash(**fields, before=None, after=after)
    assert record_hash(**fields, before=None, after=encoded(pieces)) == whole
    assert record_hash(**fields, before=None, after={**after, "rows": [2, 2502]}) != whole


def test_encoded_json_is_stored_as_it_is_and_never_as_a_string() -> None:
    text = canonical_json({"a": [1, 2]})
    assert column_json(Encoded(text)) == text
    assert column_json({"a": [1, 2]}) == json.dumps({"a": [1, 2]})
    with pytest.raises(TypeError):  # an engine without column_json fails loudly instead of storing '"{...}"'
        json.dumps({"after": Encoded(text)})
