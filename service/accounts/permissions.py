"""Who may do what: the role table of API.md, in one place. Pure code."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    admin = "admin"
    helpdesk = "helpdesk"
    finance = "finance"
    charity = "charity"
    auditor = "auditor"


class Permission(StrEnum):
    read_registry = "read_registry"
    change_registry = "change_registry"
    verify_wipes = "verify_wipes"
    estimate_valuation = "estimate_valuation"
    handle_money = "handle_money"
    read_money = "read_money"
    # The pool, fleet value, valuations and the valuation policy: money that is not yet any charity's.
    read_ledger = "read_ledger"
    acknowledge_donation = "acknowledge_donation"
    # The impact report (CO2e, coverage, money per charity): finance and the sustainability reading of it.
    read_impact = "read_impact"
    administer = "administer"
    read_audit = "read_audit"


P = Permission
ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.admin: frozenset(
        {
            P.read_registry,
            P.change_registry,
            P.verify_wipes,
            P.estimate_valuation,
            P.read_money,
            P.read_ledger,
            P.read_impact,
            P.administer,
            P.read_audit,
        }
    ),
    Role.helpdesk: frozenset({P.read_registry, P.change_registry, P.verify_wipes, P.estimate_valuation}),
    # Admin is not a superuser for money: approving and crediting are finance's alone.
    Role.finance: frozenset(
        {P.read_registry, P.estimate_valuation, P.handle_money, P.read_money, P.read_ledger, P.read_impact}
    ),
    # A charity user reads money only for its own charity's donations and statements (the services scope
    # that); the ledger behind them is not theirs to read.
    Role.charity: frozenset({P.read_money, P.acknowledge_donation}),
    Role.auditor: frozenset({P.read_registry, P.read_money, P.read_ledger, P.read_impact, P.read_audit}),
}


def can(role: Role, permission: Permission) -> bool:
    return permission in ROLE_PERMISSIONS[role]
