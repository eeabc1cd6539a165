"""Who is acting: passed to every service so audit records and events name the actor."""

from __future__ import annotations

from dataclasses import dataclass

from service.accounts.permissions import Permission, Role, can


@dataclass(frozen=True, slots=True)
class Actor:
    name: str
    user_id: int | None = None
    role: Role | None = None
    charity_id: int | None = None
    correlation_id: str = ""

    @classmethod
    def system(cls, job: str) -> Actor:
        return cls(name=f"system:{job}")

    @classmethod
    def cli(cls, name: str) -> Actor:
        return cls(name=f"cli:{name}")

    def can(self, permission: Permission) -> bool:
        # Jobs and CLI commands act for the operator who started them; users act within their role.
        return self.role is None or can(self.role, permission)
