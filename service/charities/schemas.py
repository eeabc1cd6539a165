from __future__ import annotations

from datetime import date, datetime
from urllib.parse import urlparse

from pydantic import BaseModel, EmailStr, Field, field_validator

from integrations.charity.signing import BadSecret, secret_key
from service.charities.rules import AnbiStatus, ShareFormatError, kvk_problem, parse_percent, rsin_problem
from service.i18n import Language, _
from service.schemas import Amount, Strict

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _kvk(value: str | None) -> str | None:
    if value and (problem := kvk_problem(value)):
        raise ValueError(problem)
    return value


def _rsin(value: str | None) -> str | None:
    if value and (problem := rsin_problem(value)):
        raise ValueError(problem)
    return value


def _webhook_url(value: str | None) -> str | None:
    if not value:
        return value
    parsed = urlparse(value)
    if parsed.scheme not in ("https", "http") or not parsed.hostname:
        raise ValueError(_("use a full https:// URL"))
    # Statements carry donor and device details: only a loopback address (tests, a local relay) may go unencrypted.
    if parsed.scheme == "http" and parsed.hostname not in _LOOPBACK:
        raise ValueError(_("use https:// (plain http is allowed only to 127.0.0.1)"))
    return value


def _secret(value: str | None) -> str | None:
    if value:
        try:
            secret_key(value)
        except BadSecret as exc:
            raise ValueError(str(exc)) from None
    return value


class _CharityFields(Strict):
    @field_validator("kvk_number", check_fields=False)
    @classmethod
    def _check_kvk(cls, v: str | None) -> str | None:
        return _kvk(v)

    @field_validator("rsin", check_fields=False)
    @classmethod
    def _check_rsin(cls, v: str | None) -> str | None:
        return _rsin(v)

    @field_validator("webhook_url", check_fields=False)
    @classmethod
    def _check_url(cls, v: str | None) -> str | None:
        return _webhook_url(v)

    @field_validator("webhook_secret", check_fields=False)
    @classmethod
    def _check_secret(cls, v: str | None) -> str | None:
        return _secret(v)


class CharityCreate(_CharityFields):
    name: str = Field(min_length=2, max_length=200)
    kvk_number: str = Field(default="", max_length=8)
    rsin: str = Field(default="", max_length=9)
    anbi_status: AnbiStatus = AnbiStatus.unchecked
    anbi_checked_on: date | None = None
    contact_name: str = Field(default="", max_length=200)
    contact_email: EmailStr | None = None
    address: str = Field(default="", max_length=500)
    minimum_donation: Amount = "0.00"
    cost_per_device: Amount = "0.00"
    webhook_url: str = Field(default="", max_length=500)
    # Left out with a webhook URL: one is generated and returned once.
    webhook_secret: str | None = Field(default=None, max_length=200)
    active: bool = True
    # The language of its statements (PDF and CSV headers); left out, the organisation's (KRINGLOOP_LANG).
    language: Language | None = None


class CharityUpdate(_CharityFields):
    version: int = Field(ge=1)
    name: str | None = Field(default=None, min_length=2, max_length=200)
    kvk_number: str | None = Field(default=None, max_length=8)
    rsin: str | None = Field(default=None, max_length=9)
    anbi_status: AnbiStatus | None = None
    anbi_checked_on: date | None = None
    contact_name: str | None = Field(default=None, max_length=200)
    contact_email: EmailStr | None = None
    address: str | None = Field(default=None, max_length=500)
    minimum_donation: Amount | None = None
    cost_per_device: Amount | None = None
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secret: str | None = Field(default=None, max_length=200)
    rotate_webhook_secret: bool = False
    active: bool | None = None
    language: Language | None = None


class CharityOut(BaseModel):
    id: int
    name: str
    kvk_number: str
    rsin: str
    anbi_status: str
    anbi_checked_on: date | None
    contact_name: str
    contact_email: str
    address: str
    share: str
    minimum_donation: str
    cost_per_device: str
    webhook_url: str
    webhook_secret_set: bool
    # Present only in the response that generated or rotated it: store it now, it is not shown again.
    webhook_secret: str | None = None
    active: bool
    language: str
    version: int
    created_at: datetime
    updated_at: datetime


class CharityPage(BaseModel):
    items: list[CharityOut]
    next_cursor: str | None


class ShareItem(Strict):
    charity_id: int = Field(ge=1)
    share: str = Field(description='per cent with up to two decimals, e.g. "33.33"')

    @field_validator("share")
    @classmethod
    def _check_share(cls, v: str) -> str:
        try:
            parse_percent(v)
        except ShareFormatError as exc:
            raise ValueError(str(exc)) from None
        return v.strip()


class SharesUpdate(Strict):
    shares: list[ShareItem] = Field(min_length=1, max_length=500)


class ShareOut(BaseModel):
    charity_id: int
    name: str
    active: bool
    share: str


class SharesOut(BaseModel):
    items: list[ShareOut]
    total_active: str
    ready: bool
    problem: str | None
