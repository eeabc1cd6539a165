"""Impact reporting: versioned impact factors; procurement attributes on device models (issue 12)

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 16:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = "0010"
down_revision: Union[str, None] = "0009"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    op.create_table(
        "impact_factor_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("created_by", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_impact_factor_versions")),
        sa.UniqueConstraint("version", name=op.f("uq_impact_factor_versions_version")),
    )
    with op.batch_alter_table("device_models", schema=None) as batch_op:
        # sa.false() renders 0 on SQLite and false on PostgreSQL (a literal '0' is refused for a boolean there).
        batch_op.add_column(sa.Column("e_waste_compensated", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("certifications", sa.JSON(), server_default="[]", nullable=False))
        batch_op.add_column(sa.Column("declared_lifetime_months", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("repairability_tenths", sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f("ck_device_models_repairability_range"),
            "repairability_tenths IS NULL OR (repairability_tenths >= 0 AND repairability_tenths <= 100)",
        )
        batch_op.create_check_constraint(
            op.f("ck_device_models_lifetime_positive"), "declared_lifetime_months IS NULL OR declared_lifetime_months > 0"
        )


def downgrade() -> None:
    with op.batch_alter_table("device_models", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_device_models_lifetime_positive"), type_="check")
        batch_op.drop_constraint(op.f("ck_device_models_repairability_range"), type_="check")
        batch_op.drop_column("repairability_tenths")
        batch_op.drop_column("declared_lifetime_months")
        batch_op.drop_column("certifications")
        batch_op.drop_column("e_waste_compensated")
    op.drop_table("impact_factor_versions")
