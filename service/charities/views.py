"""Admin pages for charities (details, delivery settings) and their allocation shares."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, Request, get, post
from litestar.params import URLEncodedBody
from litestar.response import Template
from pydantic import ValidationError

from service.accounts.auth import requires
from service.accounts.permissions import Permission, can
from service.charities import service
from service.charities.api import all_charities, charity_out, shares_out
from service.charities.models import Charity
from service.charities.rules import AnbiStatus, format_percent
from service.charities.schemas import CharityCreate, CharityUpdate, ShareItem
from service.i18n import _, default_locale
from service.money import decimal_point
from service.web.deps import CurrentActor, DbSession
from service.web.forms import Refused, field_errors, submit_form

FIELDS = (
    "name",
    "kvk_number",
    "rsin",
    "anbi_status",
    "anbi_checked_on",
    "contact_name",
    "contact_email",
    "address",
    "minimum_donation",
    "cost_per_device",
    "webhook_url",
    "language",
)


def _form_values(data: dict[str, str]) -> dict[str, Any]:
    """The form as the API would receive it: empty optional fields left out, the checkbox as a boolean."""
    values: dict[str, Any] = {k: data.get(k, "").strip() for k in FIELDS}
    for amount in ("minimum_donation", "cost_per_device"):
        values[amount] = decimal_point(values[amount])
    for optional in ("anbi_checked_on", "contact_email", "language"):
        if not values[optional]:
            values[optional] = None
    values["active"] = data.get("active") == "on"
    if data.get("webhook_secret", "").strip():  # blank keeps the current secret
        values["webhook_secret"] = data["webhook_secret"].strip()
    return values


def _page(template: str, status_code: int = 200, **context: Any) -> Template:
    return Template(
        template, status_code=status_code, context={"anbi_statuses": AnbiStatus, **context}, media_type=MediaType.HTML
    )


@get("/charities", guards=[requires(Permission.read_money)], include_in_schema=False)
async def charities_page(request: Request[Any, Any, Any], session: DbSession, actor: CurrentActor) -> Template:
    found = await all_charities(session, actor)
    return _page(
        "charities/list.html",
        charities=[charity_out(c) for c in found],
        shares=shares_out(found),
        can_edit=can(request.user.role, Permission.administer),
        secret=None,
    )


@get("/charities/new", guards=[requires(Permission.administer)], include_in_schema=False)
async def new_charity_page() -> Template:
    return _page(
        "charities/form.html",
        charity=None,
        form={"active": True, "anbi_status": "unchecked", "language": default_locale()},
        errors={},
    )


@post("/charities/new", guards=[requires(Permission.administer)], include_in_schema=False)
async def create_from_page(session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]) -> Any:
    values = _form_values(data)

    async def create() -> Any:
        body = CharityCreate.model_validate({k: v for k, v in values.items() if v is not None})
        return await service.create_charity(session, actor, body)

    def show(refused: Refused) -> Template:
        return _page("charities/form.html", refused.status_code, charity=None, form=values, errors=refused.errors)

    def done(created: Any) -> Template:
        return _page("charities/saved.html", charity=charity_out(*created))

    return await submit_form(session, create, form_id="charity", form={}, show=show, done=done, default_field="name")


@get("/charities/{charity_id:int}", guards=[requires(Permission.administer)], include_in_schema=False)
async def edit_charity_page(session: DbSession, actor: CurrentActor, charity_id: int) -> Template:
    charity = charity_out(await service.get_charity(session, actor, charity_id))
    return _page("charities/form.html", charity=charity, form=charity.model_dump(), errors={})


@post("/charities/{charity_id:int}", guards=[requires(Permission.administer)], include_in_schema=False)
async def update_from_page(
    session: DbSession, actor: CurrentActor, charity_id: int, data: URLEncodedBody[dict[str, str]]
) -> Any:
    values = _form_values(data)
    current = charity_out(await service.get_charity(session, actor, charity_id))

    async def update() -> Any:
        body = CharityUpdate.model_validate(
            {
                **values,
                "version": data.get("version", "0"),
                "rotate_webhook_secret": data.get("rotate_webhook_secret") == "on",
            }
        )
        return await service.update_charity(session, actor, charity_id, body)

    def show(refused: Refused) -> Template:
        return _page("charities/form.html", refused.status_code, charity=current, form=values, errors=refused.errors)

    def done(updated: Any) -> Any:
        charity, secret = updated
        # A new webhook secret is shown once, now; otherwise back to the list.
        return _page("charities/saved.html", charity=charity_out(charity, secret)) if secret else "/charities"

    return await submit_form(session, update, form_id="charity", form={}, show=show, done=done)


@get("/charities/shares", guards=[requires(Permission.administer)], include_in_schema=False)
async def shares_page(session: DbSession, actor: CurrentActor) -> Template:
    found = await all_charities(session, actor)
    form = {f"share-{c.id}": format_percent(c.share_bp) for c in found}
    return _page("charities/shares.html", shares=shares_out(found), form=form, errors={})


def share_items(
    data: dict[str, str], charities: list[Charity]
) -> tuple[dict[str, str], list[ShareItem], dict[str, str]]:
    """A shares form (``share-<charity id>`` fields, a decimal comma as a Dutch user types it) read for these
    charities: what was typed, the items, and an error per field that is not a share. The organisation's and a
    company's shares pages both take it."""
    form = {k: v for k, v in data.items() if k.startswith("share-")}
    errors: dict[str, str] = {}
    items = []
    for charity in charities:
        key = f"share-{charity.id}"
        try:
            share = decimal_point(form.get(key, "").strip()) or "0"
            items.append(ShareItem(charity_id=charity.id, share=share))  # type: ignore[arg-type]
        except ValidationError as exc:
            fallback = _('"{text}" is not a share').format(text=form.get(key, ""))  # the rules' own words
            errors[key] = field_errors(exc).get("share", fallback)
    return form, items, errors


@post("/charities/shares", guards=[requires(Permission.administer)], include_in_schema=False)
async def set_shares_from_page(session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]) -> Any:
    found = await all_charities(session, actor)
    form, items, errors = share_items(data, [c for c in found if c.active])

    async def show(refused: Refused) -> Template:
        found = await all_charities(session, actor)
        # Always 422, whichever step refused. What the service refuses is about the shares together (they do not add
        # up): said above the list, not beside one share.
        problems = refused.errors if refused.cause is None else {"form": refused.message}
        return _page("charities/shares.html", 422, shares=shares_out(found), form=form, errors=problems)

    if errors:
        return await show(Refused("shares", form, errors))

    async def save() -> None:
        await service.set_shares(session, actor, items)

    return await submit_form(session, save, form_id="shares", form=form, show=show, done="/charities")


CHARITY_VIEW_HANDLERS = [
    charities_page,
    new_charity_page,
    create_from_page,
    shares_page,
    set_shares_from_page,
    edit_charity_page,
    update_from_page,
]
