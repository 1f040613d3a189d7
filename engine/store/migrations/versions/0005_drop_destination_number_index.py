"""Spool destinations lose their index on the number.

No query looks a destination up by its number alone (a call's destination
is found by its entry first, through `uq_spool_destinations_position`), and
keeping random numbers in order cost lead loading a quarter of its database
time: every batch rewrote most of that index's pages.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_spool_destinations_number", table_name="spool_destinations")


def downgrade() -> None:
    op.create_index("ix_spool_destinations_number", "spool_destinations", ["number"], unique=False)
