"""The forms a statement is served in, and where each one lives: the one list that the API routes, the webhook
envelope, the pages and their links are built from."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from service.statements.models import Statement

API_BASE = "/api/v1"


@dataclass(frozen=True)
class StatementFormat:
    name: str  # the file extension, and the prefix of the statement's `<name>_document`/`<name>_sha256` columns
    label: str
    media_type: str

    def document(self, statement: Statement) -> tuple[bytes, str, str]:
        """(bytes, media type, SHA-256) of this form of a stored statement."""
        return getattr(statement, f"{self.name}_document"), self.media_type, getattr(statement, f"{self.name}_sha256")


# Order matters: it is the order of the download links and of the `links` object (PDF for people first).
FORMATS = (
    StatementFormat("pdf", "PDF", "application/pdf"),
    StatementFormat("csv", "CSV", "text/csv"),  # Litestar appends "; charset=utf-8" to text types itself
    StatementFormat("json", "JSON", "application/json"),
)
BY_NAME = {f.name: f for f in FORMATS}


def _tail(statement_id: int | str | None, form: str) -> str:
    one = "" if statement_id is None else f"/statements/{statement_id}"
    return f"{one}/statement.{form}"


def statement_path(donation_id: int, statement_id: int | None, form: str, *, prefix: str = "") -> str:
    """`{prefix}/donations/{id}/statement.{form}` (the current one) or `.../statements/{sid}/statement.{form}`."""
    return f"{prefix}/donations/{donation_id}{_tail(statement_id, form)}"


def statement_links(donation_id: int, statement_id: int | None, *, prefix: str = API_BASE) -> dict[str, str]:
    """Every form of one statement by name, as the API and the webhook envelope give them."""
    return {f.name: statement_path(donation_id, statement_id, f.name, prefix=prefix) for f in FORMATS}


def route_paths(*, one: bool, under: str = "") -> list[str]:
    """Litestar paths, below `under`, for the current statement (`one=False`) or one of the history, in every form."""
    statement_id = "{statement_id:int}" if one else None
    return [f"{under}/{{donation_id:int}}{_tail(statement_id, f.name)}" for f in FORMATS]
