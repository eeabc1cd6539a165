"""Streamed downloads shared by the features (CSV registers and exports)."""

from __future__ import annotations

from typing import Any

from litestar.response import Stream


class CsvStream(Stream):
    """A streamed download that keeps its own content type (Litestar 2.25's Stream lets the handler's default
    JSON media type win over the one it was given). Give it ``text/csv``: Litestar appends the charset."""

    def to_asgi_response(self, *args: Any, **kwargs: Any) -> Any:
        kwargs["media_type"] = None
        return super().to_asgi_response(*args, **kwargs)
