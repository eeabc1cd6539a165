"""Imports every table so ``SQLModel.metadata`` is complete (alembic and tests rely on it)."""

from service.accounts.models import LoginAttempt, User
from service.audit.models import AuditChainHead, AuditRecord
from service.charities.models import Charity
from service.device_models.models import DeviceModel
from service.devices.models import Device, DeviceEvent
from service.employees.models import Employee
from service.idempotency.models import IdempotencyRecord
from service.jobs.models import JobRun
from service.pool.models import PoolEntry, PoolLock
from service.valuation.models import Disposition, FleetValue, Valuation, ValuationPolicyVersion

__all__ = [
    "AuditChainHead",
    "AuditRecord",
    "Charity",
    "Device",
    "DeviceEvent",
    "DeviceModel",
    "Disposition",
    "Employee",
    "FleetValue",
    "IdempotencyRecord",
    "JobRun",
    "LoginAttempt",
    "PoolEntry",
    "PoolLock",
    "User",
    "Valuation",
    "ValuationPolicyVersion",
]
