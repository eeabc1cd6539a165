"""Companies and cost centres (issue 14): every device, employee, pool entry, donation and stock audit belongs to
a company; devices carry a cost centre; users may be scoped to companies.

Existing data moves to one default company (id 1, "Default company"; rename it on the companies page). Its pool
keeps its running balance, since every existing entry is the default company's.

Revision ID: 0015
Revises: 0013
Create Date: 2026-12-02 20:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes


revision: str = "0015"
down_revision: Union[str, None] = "0013"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

DEFAULT_COMPANY_ID = 1
# Tables whose rows all belong to a company, with the index their company-scoped lists page by.
OWNED = {
    "devices": ("ix_devices_company_id_id", ["company_id", "id"]),
    "employees": ("ix_employees_company_id", ["company_id"]),
    "pool_entries": ("ix_pool_entries_company_id_id", ["company_id", "id"]),
    "donations": ("ix_donations_company_id_id", ["company_id", "id"]),
    "stock_audits": ("ix_stock_audits_company_id", ["company_id"]),
}


def upgrade() -> None:
    companies = op.create_table(
        "companies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("legal_name", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("kvk_number", sqlmodel.sql.sqltypes.AutoString(length=8), nullable=False),
        sa.Column("rsin", sqlmodel.sql.sqltypes.AutoString(length=9), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_companies")),
        sa.UniqueConstraint("name", name=op.f("uq_companies_name")),
    )
    now = sa.func.now()
    op.execute(
        companies.insert().values(
            id=DEFAULT_COMPANY_ID, name="Default company", legal_name="", address="", kvk_number="", rsin="",
            active=True, version=1, created_at=now, updated_at=now,
        )
    )  # fmt: skip
    if op.get_bind().dialect.name == "postgresql":
        # The explicit id above does not move the sequence; the next company must not collide with it.
        op.execute("SELECT setval(pg_get_serial_sequence('companies', 'id'), (SELECT max(id) FROM companies))")
    op.create_table(
        "user_companies",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_user_companies_company_id_companies")),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_user_companies_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", "company_id", name=op.f("pk_user_companies")),
    )
    with op.batch_alter_table("user_companies", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_user_companies_company_id"), ["company_id"], unique=False)
    op.create_table(
        "company_shares",
        sa.Column("company_id", sa.Integer(), nullable=False),
        sa.Column("charity_id", sa.Integer(), nullable=False),
        sa.Column("share_bp", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["charity_id"], ["charities.id"], name=op.f("fk_company_shares_charity_id_charities")),
        sa.ForeignKeyConstraint(["company_id"], ["companies.id"], name=op.f("fk_company_shares_company_id_companies")),
        sa.PrimaryKeyConstraint("company_id", "charity_id", name=op.f("pk_company_shares")),
    )
    with op.batch_alter_table("company_shares", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_company_shares_charity_id"), ["charity_id"], unique=False)

    sqlite = op.get_bind().dialect.name == "sqlite"
    for table, (index, columns) in OWNED.items():
        if sqlite and table == "devices":
            # A batch operation would re-create devices on SQLite and break the wipe-gate triggers of 0004 that
            # name it; SQLite adds a NOT NULL column in place when it has a default (foreign keys are off here).
            op.execute(
                f"ALTER TABLE devices ADD COLUMN company_id INTEGER NOT NULL DEFAULT {DEFAULT_COMPANY_ID} "
                "CONSTRAINT fk_devices_company_id_companies REFERENCES companies (id)"
            )
            op.execute("ALTER TABLE devices ADD COLUMN cost_centre VARCHAR(64) NOT NULL DEFAULT ''")
            op.create_index(index, "devices", columns, unique=False)
            continue
        # Nullable first, filled, then NOT NULL: no server default is left behind for the model to disagree with.
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("company_id", sa.Integer(), nullable=True))
        op.execute(sa.text(f"UPDATE {table} SET company_id = {DEFAULT_COMPANY_ID}"))
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column(
                "company_id", existing_type=sa.Integer(), nullable=False, server_default=str(DEFAULT_COMPANY_ID)
            )
            batch_op.create_foreign_key(
                batch_op.f(f"fk_{table}_company_id_companies"), "companies", ["company_id"], ["id"]
            )
            batch_op.create_index(index, columns, unique=False)

    if not sqlite:
        op.add_column(
            "devices",
            sa.Column("cost_centre", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""),
        )
    op.create_index("ix_devices_company_id_cost_centre", "devices", ["company_id", "cost_centre"], unique=False)

    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("company_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_import_runs_company_id_companies"), "companies", ["company_id"], ["id"]
        )
        batch_op.create_index(batch_op.f("ix_import_runs_company_id"), ["company_id"], unique=False)

    with op.batch_alter_table("stock_audits", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_audits_scope_kind"), type_="check")
        batch_op.create_check_constraint("scope_kind", "scope_kind IN ('location', 'company')")


def _saved_sqlite_triggers() -> list[str]:
    """The SQL of every trigger, dropped here so SQLite's batch re-creates of tables the triggers name can run
    (the wipe-gate triggers of 0004 name devices and its children); the caller re-runs it afterwards."""
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT name, sql FROM sqlite_master WHERE type = 'trigger'")).all()
    for name, _sql in rows:
        op.execute(f'DROP TRIGGER "{name}"')
    return [sql for _name, sql in rows]


def downgrade() -> None:
    sqlite = op.get_bind().dialect.name == "sqlite"
    triggers = _saved_sqlite_triggers() if sqlite else []
    with op.batch_alter_table("stock_audits", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_stock_audits_scope_kind"), type_="check")
        batch_op.create_check_constraint("scope_kind", "scope_kind IN ('location')")
    with op.batch_alter_table("import_runs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_import_runs_company_id"))
        batch_op.drop_constraint(batch_op.f("fk_import_runs_company_id_companies"), type_="foreignkey")
        batch_op.drop_column("company_id")
    op.drop_index("ix_devices_company_id_cost_centre", table_name="devices")
    op.drop_column("devices", "cost_centre")
    for table, (index, _columns) in OWNED.items():
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_index(index)
            if not (sqlite and table == "devices"):
                # Added in place on SQLite (upgrade), so its reflected foreign key has no name to drop by; the
                # batch re-create leaves it out with the column.
                batch_op.drop_constraint(batch_op.f(f"fk_{table}_company_id_companies"), type_="foreignkey")
            batch_op.drop_column("company_id")
    with op.batch_alter_table("company_shares", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_company_shares_charity_id"))
    op.drop_table("company_shares")
    with op.batch_alter_table("user_companies", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_user_companies_company_id"))
    op.drop_table("user_companies")
    op.drop_table("companies")
    for sql in triggers:
        op.execute(sql)
