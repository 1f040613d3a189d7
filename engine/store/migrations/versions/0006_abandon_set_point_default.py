"""Campaigns' abandon set point defaults to 2.75 % (was 2.5 %).

The set point is now what predictive pacing aims the day's rate at (before,
it was stored and not read). 2.75 % of a 3 % cap is the aim the pacing
benchmark (`dialspool simulate`) is measured with, so a new campaign gets the
pacing the benchmark shows. Existing campaigns keep the value they have.

On SQLite the column's default stays as it was: changing it means rebuilding
the campaigns table, and the engine always writes the value itself.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _set_default(value: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("campaigns", "abandon_set_point_percent", server_default=value)


def upgrade() -> None:
    _set_default("2.75")


def downgrade() -> None:
    _set_default("2.5")
