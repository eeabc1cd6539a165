"""Imports every table so ``SQLModel.metadata`` is complete (alembic and tests rely on it)."""

from service.accounts.models import LoginAttempt, User
from service.audit.models import AuditChainHead, AuditRecord
from service.charities.models import Charity
from service.companies.models import Company, CompanyShare, UserCompany
from service.compensation.models import CompensationBatch, CompensationObligation
from service.custom_fields.models import CustomField, DeviceFieldValue
from service.device_models.models import DeviceModel
from service.devices.models import Device, DeviceEvent
from service.donations.models import Donation, DonationAllocation, DonationApproval
from service.employees.models import Employee
from service.faults.models import Fault, Repair
from service.idempotency.models import IdempotencyRecord
from service.impact.models import ImpactFactorVersion
from service.imports.models import ImportRun
from service.jobs.models import JobRun
from service.pool.models import PoolEntry, PoolLock
from service.statements.models import Delivery, DeliveryAttempt, Statement
from service.stocktaking.models import StockAudit, StockAuditMissing, StockAuditScan
from service.valuation.models import Disposition, FleetValue, Valuation, ValuationPolicyVersion
from service.wipes.models import NoMediaAttestation, OverdueWipe, StorageMedium, WipeCertificate, WipeDocument

__all__ = [
    "AuditChainHead",
    "AuditRecord",
    "Charity",
    "Company",
    "CompanyShare",
    "CompensationBatch",
    "CompensationObligation",
    "CustomField",
    "Delivery",
    "DeliveryAttempt",
    "Device",
    "DeviceEvent",
    "DeviceFieldValue",
    "DeviceModel",
    "Disposition",
    "Donation",
    "DonationAllocation",
    "DonationApproval",
    "Employee",
    "Fault",
    "FleetValue",
    "IdempotencyRecord",
    "ImpactFactorVersion",
    "ImportRun",
    "JobRun",
    "LoginAttempt",
    "NoMediaAttestation",
    "OverdueWipe",
    "PoolEntry",
    "PoolLock",
    "Repair",
    "Statement",
    "StockAudit",
    "StockAuditMissing",
    "StockAuditScan",
    "StorageMedium",
    "User",
    "UserCompany",
    "Valuation",
    "ValuationPolicyVersion",
    "WipeCertificate",
    "WipeDocument",
]
