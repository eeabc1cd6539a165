from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, Field

from service.accounts.permissions import Role
from service.i18n import Language
from service.schemas import Strict

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,63}$"


class TokenRequest(Strict):
    username: str = Field(min_length=1, max_length=64)
    password: str = Field(min_length=1, max_length=1024)


class TokenResponse(BaseModel):
    access_token: str
    token_type: str = "bearer"
    expires_in: int


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="lower-case letters, digits, . _ -")
    password: str = Field(min_length=1, max_length=1024)
    role: Role
    full_name: str = Field(default="", max_length=200)
    charity_id: int | None = Field(default=None, ge=1)
    company_ids: list[int] = Field(
        default_factory=list, max_length=100, description="scope the user to these companies; empty: every company"
    )


class UserUpdate(Strict):
    version: int = Field(ge=1)
    full_name: str | None = Field(default=None, max_length=200)
    role: Role | None = None
    charity_id: int | None = Field(default=None, ge=1)
    active: bool | None = None
    password: str | None = Field(default=None, max_length=1024)
    locale: Language | None = None
    company_ids: list[int] | None = Field(
        default=None, max_length=100, description="replaces the user's companies; [] lifts the scope"
    )


class ProfileUpdate(Strict):
    locale: Language | None = Field(description="nl or en; null follows the browser, then the organisation")


class UserOut(BaseModel):
    id: int
    username: str
    full_name: str
    role: Role
    charity_id: int | None
    active: bool
    locale: str | None = None
    company_ids: list[int] = Field(default_factory=list, description="the companies the user is scoped to")
    version: int
    created_at: datetime
    last_login_at: datetime | None


class UserPage(BaseModel):
    items: list[UserOut]
    next_cursor: str | None
