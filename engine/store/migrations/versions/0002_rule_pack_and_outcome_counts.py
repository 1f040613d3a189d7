"""Custom rule packs per campaign; attempts per outcome per number.

Revision ID: 0002
Revises: 0001
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(sa.Column("custom_rule_pack", _JSON, nullable=True))
    with op.batch_alter_table("spool_destinations") as batch_op:
        batch_op.add_column(
            sa.Column("outcome_counts", _JSON, server_default=sa.text("'{}'"), nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("spool_destinations") as batch_op:
        batch_op.drop_column("outcome_counts")
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.drop_column("custom_rule_pack")
