"""Standard Webhooks signatures (https://www.standardwebhooks.com): pure code, used by the client and the fakes.

webhook-signature = "v1," + base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{body}")), where the key is
the base64 part of a "whsec_..." secret. Receivers compare in constant time and refuse stale timestamps.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets

PREFIX = "whsec_"


class BadSecret(ValueError):
    pass


def new_secret() -> str:
    return PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def secret_key(secret: str) -> bytes:
    if not secret.startswith(PREFIX):
        raise BadSecret('a webhook secret starts with "whsec_" followed by base64')
    try:
        key = base64.b64decode(secret.removeprefix(PREFIX), validate=True)
    except (binascii.Error, ValueError):
        raise BadSecret('the part after "whsec_" is not valid base64') from None
    if not 24 <= len(key) <= 64:
        raise BadSecret("a webhook secret holds 24 to 64 random bytes")
    return key


def sign(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{message_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def headers(secret: str, message_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": message_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, message_id, timestamp, body),
        "content-type": "application/json",
    }


def verify(
    secret: str,
    message_id: str,
    timestamp: str,
    signature_header: str,
    body: bytes,
    now: int,
    tolerance_seconds: int = 300,
) -> bool:
    """True when one of the space-separated signatures matches and the timestamp is recent."""
    try:
        ts = int(timestamp)
    except ValueError:
        return False
    if abs(now - ts) > tolerance_seconds:
        return False
    expected = sign(secret, message_id, ts, body)
    return any(hmac.compare_digest(expected, candidate) for candidate in signature_header.split())
