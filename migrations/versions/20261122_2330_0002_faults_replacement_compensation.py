"""Faults, repairs, replacement policy, one-for-one compensation, job runs (issue 3)

Revision ID: 0002
Revises: a564950d5ac2
Create Date: 2026-11-22 23:30:00

"""
from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = '0002'
down_revision: Union[str, None] = 'a564950d5ac2'
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
