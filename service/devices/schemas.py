from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from service.custom_fields.schemas import CustomValues
from service.device_models.schemas import Category
from service.schemas import Amount, Strict

Grade = Literal["A", "B", "C", "D"]
CUSTOM_FIELDS_HELP = (
    "Custom field values by key (GET /api/v1/custom-fields lists the keys, types and choices): text and choices "
    "as strings, numbers as decimal strings, dates as YYYY-MM-DD, yes/no as booleans; null or \"\" clears one."
)


class DeviceCreate(Strict):
    asset_tag: str | None = Field(default=None, min_length=1, max_length=64)
    serial_number: str | None = Field(default=None, min_length=1, max_length=128)
    model_id: int = Field(ge=1)
    purchase_date: date
    purchase_price: Amount
    supplier: str = Field(default="", max_length=200)
    order_ref: str = Field(default="", max_length=100)
    warranty_end: date | None = None
    holder_id: int | None = Field(default=None, ge=1, description="assign to this employee at once")
    location: str = Field(default="", max_length=200)
    condition_grade: Grade = "A"
    notes: str = Field(default="", max_length=10_000)
    replaces_id: int | None = Field(default=None, ge=1, description="the retired device this one replaces")
    custom_fields: CustomValues = Field(default_factory=dict, description=CUSTOM_FIELDS_HELP)
    company_id: int | None = Field(
        default=None, ge=1, description="the owning company; default: the replaced device's, your only one, the default"
    )
    cost_centre: str = Field(default="", max_length=64)


class DeviceUpdate(Strict):
    version: int = Field(ge=1)
    asset_tag: str | None = Field(default=None, min_length=1, max_length=64)
    serial_number: str | None = Field(default=None, min_length=1, max_length=128)
    model_id: int | None = Field(default=None, ge=1)
    purchase_date: date | None = None
    purchase_price: Amount | None = None
    supplier: str | None = Field(default=None, max_length=200)
    order_ref: str | None = Field(default=None, max_length=100)
    warranty_end: date | None = None
    location: str | None = Field(default=None, max_length=200)
    condition_grade: Grade | None = None
    notes: str | None = Field(default=None, max_length=10_000)
    cost_centre: str | None = Field(default=None, max_length=64)
    custom_fields: CustomValues | None = Field(default=None, description=CUSTOM_FIELDS_HELP + " Keys left out stay.")


class DeviceOut(BaseModel):
    id: int
    company_id: int
    cost_centre: str
    asset_tag: str | None
    serial_number: str | None
    manufacturer: str
    model_id: int
    model_name: str
    category: Category
    purchase_date: date
    purchase_price: str
    currency: str
    supplier: str
    order_ref: str
    warranty_end: date | None
    holder_id: int | None
    holder_name: str | None
    location: str
    condition_grade: Grade
    notes: str
    status: str
    replaces_id: int | None
    version: int
    status_changed_at: datetime
    created_at: datetime
    updated_at: datetime
    custom_fields: dict[str, str | bool | None] = Field(default_factory=dict, description="values by key")


class DevicePage(BaseModel):
    items: list[DeviceOut]
    next_cursor: str | None


class AssignBody(Strict):
    employee_id: int = Field(ge=1)
    version: int | None = Field(default=None, ge=1)


class UnassignBody(Strict):
    reason: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1)


class RepairBody(Strict):
    supplier: str = Field(min_length=1, max_length=200)
    expected_cost: Amount | None = None
    reason: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1)


class ReturnBody(Strict):
    cost: Amount | None = None
    outcome: Literal["repaired", "not_repaired", "no_fault_found"] = "repaired"
    notes: str = Field(default="", max_length=2000)
    version: int | None = Field(default=None, ge=1)


class ReasonBody(Strict):
    reason: str = Field(min_length=3, max_length=2000)
    version: int | None = Field(default=None, ge=1)


class EventOut(BaseModel):
    id: int
    device_id: int
    move: str
    from_status: str | None
    to_status: str
    holder_id: int | None
    actor: str
    reason: str
    details: dict[str, Any]
    at: datetime


class EventPage(BaseModel):
    items: list[EventOut]
    next_cursor: str | None
