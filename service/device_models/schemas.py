from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from service.schemas import Strict

Category = Literal["laptop", "phone", "tablet", "desktop", "monitor", "other"]
MediaType = Literal["hdd", "ssd", "emmc", "phone_memory", "sd_card", "other"]


class DeviceModelCreate(Strict):
    manufacturer: str = Field(min_length=1, max_length=100)
    name: str = Field(min_length=1, max_length=200)
    category: Category
    weight_grams: int | None = Field(default=None, ge=1, le=100_000)
    storage_media_count: int = Field(default=1, ge=0, le=16)
    storage_media_type: MediaType | None = None


class DeviceModelUpdate(Strict):
    version: int = Field(ge=1)
    manufacturer: str | None = Field(default=None, min_length=1, max_length=100)
    name: str | None = Field(default=None, min_length=1, max_length=200)
    category: Category | None = None
    weight_grams: int | None = Field(default=None, ge=1, le=100_000)
    storage_media_count: int | None = Field(default=None, ge=0, le=16)
    storage_media_type: MediaType | None = None


class DeviceModelOut(BaseModel):
    id: int
    manufacturer: str
    name: str
    category: Category
    weight_grams: int | None
    storage_media_count: int
    storage_media_type: MediaType | None
    version: int


class DeviceModelPage(BaseModel):
    items: list[DeviceModelOut]
    next_cursor: str | None
