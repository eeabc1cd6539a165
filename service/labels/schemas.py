from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from service.i18n import gettext
from service.schemas import Strict

SheetKey = Literal["a4-3x8", "roll-62"]


class LabelFilter(Strict):
    q: str | None = Field(default=None, max_length=200, description="as ?q= on GET /api/v1/devices")
    status: list[str] | None = Field(default=None, description="as ?status= on GET /api/v1/devices")


class LabelRequest(Strict):
    """Either device ids or the device list's filter, not both."""

    sheet: SheetKey = "a4-3x8"
    device_ids: list[int] | None = Field(default=None, description="in the order to print")
    filter: LabelFilter | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> LabelRequest:
        if (self.device_ids is None) == (self.filter is None):
            raise ValueError(gettext("give device_ids or filter (one of them)"))
        return self
