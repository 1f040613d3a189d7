"""Inbound queueing settings of a campaign.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        batch_op.add_column(
            sa.Column(
                "inbound_max_wait_seconds", sa.Integer(), server_default="120", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column(
                "inbound_overflow", sa.String(length=40), server_default="hangup", nullable=False
            )
        )
        batch_op.add_column(
            sa.Column("inbound_announce_seconds", sa.Integer(), server_default="30", nullable=False)
        )
        batch_op.add_column(
            sa.Column("moh_class", sa.String(length=80), server_default="default", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("campaigns") as batch_op:
        for column in (
            "moh_class",
            "inbound_announce_seconds",
            "inbound_overflow",
            "inbound_max_wait_seconds",
        ):
            batch_op.drop_column(column)
