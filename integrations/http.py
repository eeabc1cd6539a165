"""What every partner client reads the same way from an HTTP answer: which statuses are worth another try, and
the partner's own words for a person to read."""

from __future__ import annotations

import httpx

# Besides every 5xx: the partner asks us to come back later (timeout, too early, too many requests).
RETRYABLE_STATUSES = frozenset({408, 425, 429})


def is_retryable(status: int) -> bool:
    return status >= 500 or status in RETRYABLE_STATUSES


def response_message(response: httpx.Response, limit: int = 1000) -> str:
    """An RFC 9457 problem's detail or title, a JSON message or error, or the text itself."""
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
