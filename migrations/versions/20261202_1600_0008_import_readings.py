"""Import runs remember how their file was read (encoding, two-digit years, undefined bytes, skipped rows) (issue 17)

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:00:00

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa
import sqlmodel.sql.sqltypes  # noqa: F401  (autogenerate's column types)

revision: str = "0008"
down_revision: Union[str, None] = "0007"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None


def upgrade() -> None:
    # Runs recorded before this revision said nothing of how they were read: an empty list, not a guess.
    with op.batch_alter_table("import_runs") as batch_op:
        batch_op.add_column(sa.Column("readings", sa.JSON(), nullable=False, server_default=sa.text("'[]'")))
    with op.batch_alter_table("import_runs") as batch_op:
        batch_op.alter_column("readings", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("import_runs") as batch_op:
        batch_op.drop_column("readings")
