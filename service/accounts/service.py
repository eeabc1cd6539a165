"""Users, logins and their throttling."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import select
from sqlmodel.ext.asyncio.session import AsyncSession

from service.accounts.models import LoginAttempt, User
from service.accounts.passwords import hash_password, verify_password, weak_password_reason
from service.accounts.permissions import Role
from service.accounts.schemas import UserCreate, UserUpdate
from service.audit import service as audit
from service.charities.models import Charity
from service.companies.models import Company, UserCompany
from service.context import Actor
from service.db import utcnow
from service.editing import apply_changes, expect_version
from service.errors import Conflict, InvalidInput, NotFound, TooManyAttempts
from service.i18n import _
from service.pagination import Page, keyset, page_of


@dataclass(frozen=True, slots=True)
class Principal:
    """The signed-in user as a request sees it."""

    id: int
    username: str
    full_name: str
    role: Role
    charity_id: int | None
    session_epoch: int
    locale: str | None = None
    # The companies this person works for; None sees every company (see service/companies/scope.py).
    company_ids: tuple[int, ...] | None = None

    @classmethod
    def of(cls, user: User, company_ids: tuple[int, ...] | None = None) -> Principal:
        assert user.id is not None
        return cls(
            user.id,
            user.username,
            user.full_name,
            Role(user.role),
            user.charity_id,
            user.session_epoch,
            user.locale,
            company_ids,
        )


async def _check_charity_binding(session: AsyncSession, role: Role, charity_id: int | None) -> None:
    if role is Role.charity:
        if charity_id is None:
            raise InvalidInput.field("charity_id", _("is required for a charity user"))
        if await session.get(Charity, charity_id) is None:
            raise InvalidInput.field("charity_id", _("no charity has id {id}").format(id=charity_id))
    elif charity_id is not None:
        raise InvalidInput.field("charity_id", _("only a charity user is bound to a charity"))


async def _set_companies(session: AsyncSession, user: User, company_ids: list[int]) -> tuple[list[int], list[int]]:
    """Replaces the user's companies; returns (before, after). A charity user reads its own charity's donations
    from every company, so it is never scoped."""
    assert user.id is not None
    wanted = sorted(set(company_ids))
    if wanted and user.role == Role.charity.value:
        raise InvalidInput.field("company_ids", _("a charity user is not scoped to companies"))
    found = set((await session.execute(sa.select(Company.id).where(Company.id.in_(wanted)))).scalars())  # type: ignore[union-attr]
    if missing := [i for i in wanted if i not in found]:
        raise InvalidInput.field("company_ids", _("no company has id {id}").format(id=missing[0]))
    before = list(await company_ids_of(session, user.id) or ())
    if before != wanted:
        await session.execute(sa.delete(UserCompany).where(UserCompany.user_id == user.id))  # type: ignore[arg-type]
        session.add_all([UserCompany(user_id=user.id, company_id=i) for i in wanted])
        await session.flush()
    return before, wanted


async def create_user(
    session: AsyncSession, actor: Actor, data: UserCreate, *, allow_weak_password: bool = False
) -> User:
    username = data.username.lower()
    if not allow_weak_password and (reason := weak_password_reason(data.password)):
        raise InvalidInput.field("password", reason)
    await _check_charity_binding(session, data.role, data.charity_id)
    if (await session.exec(select(User.id).where(User.username == username))).first() is not None:
        raise Conflict(
            _('A user named "{username}" already exists.').format(username=username),
            errors=[{"field": "username", "message": _("is taken")}],
        )
    user = User(
        username=username,
        full_name=data.full_name,
        role=data.role.value,
        charity_id=data.charity_id,
        password_hash=hash_password(data.password),
    )
    session.add(user)
    await session.flush()
    _before, companies = await _set_companies(session, user, data.company_ids)
    after = {**audit.snapshot(user), **({"company_ids": companies} if companies else {})}
    await audit.record(session, actor, "user.create", "user", user.id, after=after)
    return user


async def update_user(session: AsyncSession, actor: Actor, user_id: int, data: UserUpdate) -> User:
    user = await get_user(session, user_id)
    expect_version(user, data.version, "user")
    changes = data.model_dump(exclude_unset=True, exclude={"version", "password", "company_ids"})
    role = Role(changes.get("role", user.role))
    charity_id = changes.get("charity_id", user.charity_id if role is Role.charity else None)
    if role is not Role.charity and "charity_id" not in changes:
        changes["charity_id"] = None
        charity_id = None
    await _check_charity_binding(session, role, charity_id)
    if user.id == actor.user_id and (changes.get("active") is False or changes.get("role", user.role) != user.role):
        raise Conflict(_("You cannot deactivate yourself or change your own role; ask another admin."))
    if data.password is not None:
        if reason := weak_password_reason(data.password):
            raise InvalidInput.field("password", reason)
        user.password_hash = hash_password(data.password)
        user.session_epoch += 1
    if changes.get("active") is False or ("role" in changes and changes["role"] != user.role):
        user.session_epoch += 1  # sign the person out everywhere
    before, after = apply_changes(user, changes)
    if data.company_ids is not None:
        companies_before, companies_after = await _set_companies(session, user, data.company_ids)
        if companies_before != companies_after:
            if not after:
                user.version += 1
                user.updated_at = utcnow()
            before["company_ids"], after["company_ids"] = companies_before, companies_after
    if data.password is not None:
        after["password"] = "changed"
        if not before:
            user.version += 1
    await session.flush()
    await audit.record(session, actor, "user.update", "user", user.id, before=before, after=after)
    return user


async def set_own_locale(session: AsyncSession, actor: Actor, locale: str | None) -> User:
    """The signed-in person's language (None: follow the browser); any role may set its own."""
    assert actor.user_id is not None
    user = await get_user(session, actor.user_id)
    before, after = apply_changes(user, {"locale": locale})
    if before or after:
        await session.flush()
        await audit.record(session, actor, "user.locale", "user", user.id, before=before, after=after)
    return user


async def get_user(session: AsyncSession, user_id: int) -> User:
    user = await session.get(User, user_id)
    if user is None:
        raise NotFound(_("No user has id {id}.").format(id=user_id))
    return user


async def companies_by_user(session: AsyncSession, user_ids: list[int]) -> dict[int, list[int]]:
    """Each user's companies, for a page of users: one query."""
    stmt = sa.select(UserCompany.user_id, UserCompany.company_id).where(UserCompany.user_id.in_(user_ids))  # type: ignore[attr-defined]
    out: dict[int, list[int]] = {}
    for user_id, company_id in (await session.execute(stmt.order_by(UserCompany.company_id))).all():
        out.setdefault(user_id, []).append(company_id)
    return out


async def list_users(session: AsyncSession, *, cursor: str | None, limit: int) -> Page[User]:
    rows = (await session.exec(keyset(select(User), User.id, cursor, limit))).all()
    return page_of(list(rows), limit)


async def company_ids_of(session: AsyncSession, user_id: int) -> tuple[int, ...] | None:
    """The companies a user is scoped to, or None when it has none (and so sees all of them)."""
    return tuple((await companies_by_user(session, [user_id])).get(user_id, ())) or None


async def load_principal(session: AsyncSession, user_id: int) -> Principal | None:
    user = await session.get(User, user_id)
    if user is None or not user.active:
        return None
    assert user.id is not None
    return Principal.of(user, await company_ids_of(session, user.id))


async def _recent_failures(session: AsyncSession, username: str, window: timedelta) -> int:
    since = utcnow() - window
    last_success = (
        await session.exec(
            select(sa.func.max(LoginAttempt.at)).where(
                LoginAttempt.username == username,
                LoginAttempt.succeeded.is_(True),  # type: ignore[attr-defined]
            )
        )
    ).one()
    if last_success is not None and last_success > since:
        since = last_success
    stmt = select(sa.func.count()).where(
        LoginAttempt.username == username,
        LoginAttempt.succeeded.is_(False),  # type: ignore[attr-defined]
        LoginAttempt.at > since,
    )
    return int((await session.exec(stmt)).one())


async def authenticate(
    session: AsyncSession,
    username: str,
    password: str,
    *,
    client_ip: str,
    max_failures: int,
    window_seconds: int,
) -> Principal | None:
    """The user for these credentials, or None. Every attempt is recorded; the caller must commit
    even on failure, or throttling would never see the failures."""
    username = username.strip().lower()[:64]
    if await _recent_failures(session, username, timedelta(seconds=window_seconds)) >= max_failures:
        raise TooManyAttempts(
            _(
                "Too many failed logins for this account. Try again in {minutes} minutes, "
                "or ask an admin to reset the password."
            ).format(minutes=window_seconds // 60),
        )
    user = (await session.exec(select(User).where(User.username == username))).first()
    ok = verify_password(user.password_hash if user else None, password) and user is not None and user.active
    session.add(LoginAttempt(username=username, client_ip=client_ip[:64], succeeded=ok))
    if not ok or user is None:
        await session.flush()
        return None
    user.last_login_at = utcnow()
    await session.flush()
    return Principal.of(user)


async def end_sessions(session: AsyncSession, actor: Actor, user_id: int) -> None:
    """Logout: every token and cookie issued to this user so far stops working."""
    user = await get_user(session, user_id)
    user.session_epoch += 1
    await session.flush()
    await audit.record(session, actor, "user.logout", "user", user.id)
