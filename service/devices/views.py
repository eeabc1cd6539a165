"""Device pages (list, detail, register, assign). Filled in by the UI work."""

from __future__ import annotations

from typing import Any

DEVICE_VIEW_HANDLERS: list[Any] = []
