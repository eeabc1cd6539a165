from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field

from service.custom_fields.rules import FieldType
from service.device_models.schemas import Category
from service.schemas import Strict

# What a device's custom field value may be in JSON: text, a choice, a decimal string, a date (YYYY-MM-DD) or a
# boolean; null or "" removes it.
CustomValue = str | bool | int | None
CustomValues = dict[str, CustomValue]


class FieldCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    key: str | None = Field(default=None, description="for the API, filters and exports; made from the name if absent")
    type: FieldType
    category: Category | None = Field(default=None, description="the device category it belongs to; null: every one")
    required: bool = False
    unique: bool = False
    help_text: str = Field(default="", max_length=500)
    choices: list[str] = Field(default_factory=list, description="for a choice field: the choices, in order")


class FieldUpdate(Strict):
    version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=1, max_length=100)
    type: FieldType | None = None
    category: Category | None = None
    required: bool | None = None
    unique: bool | None = None
    help_text: str | None = Field(default=None, max_length=500)
    choices: list[str] | None = None


class FieldOut(BaseModel):
    id: int
    key: str
    name: str
    type: FieldType
    category: Category | None
    required: bool
    unique: bool
    help_text: str
    choices: list[str]
    version: int
    values: int = Field(description="how many devices have a value for it")
    created_at: datetime
    updated_at: datetime


class FieldList(BaseModel):
    items: list[FieldOut]


def field_out(row: Any, values: int) -> FieldOut:
    return FieldOut(
        id=row.id,
        key=row.key,
        name=row.name,
        type=FieldType(row.type),
        category=row.category,
        required=row.required,
        unique=row.unique,
        help_text=row.help_text,
        choices=list(row.choices or ()),
        version=row.version,
        values=values,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )
