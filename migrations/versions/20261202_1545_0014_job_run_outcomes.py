"""Job runs record an instance that found the work claimed, and a run its process never finished (issue 15)

The claim stays one row per (job, slot); it becomes a partial unique index so that the instances that fired the
same slot and found it taken can record that (outcome already_claimed) beside it. A run left running by a process
that died is marked abandoned.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-02 15:45:00.000000

"""

from typing import Sequence, Union

from alembic import op
import sqlalchemy as sa


revision: str = "0014"
down_revision: Union[str, None] = "0012"
branch_labels: Union[str, Sequence[str], None] = None
depends_on: Union[str, Sequence[str], None] = None

_CLAIMS = "outcome != 'already_claimed'"
_OLD = "outcome IN ('running', 'succeeded', 'failed')"
_NEW = "outcome IN ('running', 'succeeded', 'failed', 'already_claimed', 'abandoned')"


def upgrade() -> None:
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("uq_job_runs_job_slot"), type_="unique")
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), sa.text(_NEW))
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.create_index(
            op.f("uq_job_runs_job_slot"), ["job", "slot"], unique=True,
            sqlite_where=sa.text(_CLAIMS), postgresql_where=sa.text(_CLAIMS),
        )


def downgrade() -> None:
    op.execute("DELETE FROM job_runs WHERE outcome = 'already_claimed'")
    op.execute("UPDATE job_runs SET outcome = 'failed' WHERE outcome = 'abandoned'")
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_index(op.f("uq_job_runs_job_slot"))
    with op.batch_alter_table("job_runs", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_job_runs_outcome"), type_="check")
        batch_op.create_check_constraint(op.f("ck_job_runs_outcome"), sa.text(_OLD))
        batch_op.create_unique_constraint(op.f("uq_job_runs_job_slot"), ["job", "slot"])
