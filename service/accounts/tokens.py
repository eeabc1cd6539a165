"""Signed, expiring credentials: bearer tokens for the API, a session cookie for the pages."""

from __future__ import annotations

from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeTimedSerializer


@dataclass(frozen=True, slots=True)
class TokenClaims:
    user_id: int
    session_epoch: int


class TokenSigner:
    def __init__(self, secret: str, *, purpose: str, max_age_seconds: int) -> None:
        # A distinct salt per purpose: a session cookie is never accepted as a bearer token.
        self._serializer = URLSafeTimedSerializer(secret, salt=f"kringloop-{purpose}")
        self.max_age_seconds = max_age_seconds

    def issue(self, user_id: int, session_epoch: int) -> str:
        return self._serializer.dumps({"u": user_id, "e": session_epoch})

    def read(self, token: str) -> TokenClaims | None:
        """Claims of a valid, unexpired token; None for anything else."""
        try:
            data = self._serializer.loads(token, max_age=self.max_age_seconds)
            return TokenClaims(int(data["u"]), int(data["e"]))
        except (BadSignature, KeyError, TypeError, ValueError):
            return None
