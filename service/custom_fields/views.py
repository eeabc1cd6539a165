"""The admin's custom field pages: the list, a field's form (add or change), and removing one."""

from __future__ import annotations

from typing import Any

from litestar import MediaType, get, post
from litestar.params import URLEncodedBody
from litestar.response import Redirect, Template
from pydantic import ValidationError
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.auth import requires
from service.accounts.permissions import Permission
from service.custom_fields import repository, service
from service.custom_fields.rules import FieldType
from service.custom_fields.schemas import FieldCreate, FieldUpdate
from service.device_models.models import CATEGORIES
from service.errors import DomainError
from service.web.deps import CurrentActor, DbSession
from service.web.forms import domain_errors, field_errors

_ADMIN = [requires(Permission.administer)]
_FIELDS = ("name", "key", "type", "category", "required", "unique", "help_text", "choices")


async def _list_page(
    session: AsyncSession,
    *,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    editing: Any = None,
    done: str | None = None,
    status_code: int = 200,
) -> Template:
    counts = await repository.value_counts(session)
    return Template(
        "custom_fields/list.html",
        status_code=status_code,
        media_type=MediaType.HTML,
        context={
            "fields": await repository.field_rows(session),
            "counts": counts,
            "types": list(FieldType),
            "categories": CATEGORIES,
            "form": form or {"type": "text"},
            "errors": errors or {},
            "editing": editing,
            "done": done,
        },
    )


def _body(form: dict[str, str]) -> dict[str, Any]:
    body: dict[str, Any] = {k: v for k, v in form.items() if k in _FIELDS and v != ""}
    body["required"] = form.get("required") == "on"
    body["unique"] = form.get("unique") == "on"
    # One choice per line: what a person types into a text area.
    body["choices"] = [line.strip() for line in form.get("choices", "").splitlines() if line.strip()]
    return body


@get("/admin/custom-fields", guards=_ADMIN, include_in_schema=False)
async def custom_fields_page(session: DbSession, done: str | None = None) -> Template:
    return await _list_page(session, done=done)


@post("/admin/custom-fields", guards=_ADMIN, include_in_schema=False)
async def add_custom_field(session: DbSession, actor: CurrentActor, data: URLEncodedBody[dict[str, str]]) -> Any:
    form = {k: (v or "").strip() if k != "choices" else v for k, v in data.items() if k != "_csrf_token"}
    try:
        await service.create_field(session, actor, FieldCreate.model_validate(_body(form)))
    except ValidationError as exc:
        return await _list_page(session, form=form, errors=field_errors(exc), status_code=422)
    except DomainError as exc:
        await session.rollback()
        return await _list_page(session, form=form, errors=domain_errors(exc, "form"), status_code=exc.status)
    return Redirect("/admin/custom-fields?done=added", status_code=303)


@get("/admin/custom-fields/{field_id:int}", guards=_ADMIN, include_in_schema=False)
async def custom_field_page(session: DbSession, field_id: int) -> Template:
    field = await service.get_field(session, field_id)
    form = {"name": field.name, "type": field.type, "category": field.category or "", "help_text": field.help_text,
            "choices": "\n".join(field.choices), "required": "on" if field.required else "",
            "unique": "on" if field.unique else "", "version": str(field.version)}  # fmt: skip
    return await _list_page(session, form=form, editing=field)


@post("/admin/custom-fields/{field_id:int}", guards=_ADMIN, include_in_schema=False)
async def change_custom_field(
    session: DbSession, actor: CurrentActor, field_id: int, data: URLEncodedBody[dict[str, str]]
) -> Any:
    field = await service.get_field(session, field_id)
    form = {k: (v or "").strip() if k != "choices" else v for k, v in data.items() if k != "_csrf_token"}
    body = _body(form)
    body.pop("key", None)
    body["category"] = form.get("category") or None
    body["version"] = form.get("version", "")
    try:
        await service.update_field(session, actor, field_id, FieldUpdate.model_validate(body))
    except ValidationError as exc:
        return await _list_page(session, form=form, errors=field_errors(exc), editing=field, status_code=422)
    except DomainError as exc:
        await session.rollback()
        field = await service.get_field(session, field_id)
        errors = domain_errors(exc, "form")
        # A refused type change says how many values would not fit: that sentence belongs to the whole form.
        errors.setdefault("form", exc.detail)
        return await _list_page(session, form=form, errors=errors, editing=field, status_code=exc.status)
    return Redirect("/admin/custom-fields?done=changed", status_code=303)


@post("/admin/custom-fields/{field_id:int}/delete", guards=_ADMIN, include_in_schema=False)
async def remove_custom_field(session: DbSession, actor: CurrentActor, field_id: int) -> Redirect:
    await service.delete_field(session, actor, field_id)
    return Redirect("/admin/custom-fields?done=removed", status_code=303)


CUSTOM_FIELD_VIEW_HANDLERS: list[Any] = [
    custom_fields_page,
    add_custom_field,
    custom_field_page,
    change_custom_field,
    remove_custom_field,
]
