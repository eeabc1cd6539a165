"""Charities' details and shares, donations, allocations, approvals, statements and deliveries (issue 6)

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 23:34:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0006'
down_revision: Union[str, None] = '0005'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
