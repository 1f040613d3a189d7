"""New campaigns default to the ``us_states`` rule pack (was ``us_tcpa``).

``us_states`` is the TCPA's window narrowed for the callees of states whose
laws are stricter (`engine.dialer.us_states`): the stricter side is the
default. Existing campaigns keep the pack they have.

On SQLite the column's default stays as it was: changing it means rebuilding
the campaigns table, and the engine always writes the value itself.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def _set_default(value: str) -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.alter_column("campaigns", "rule_pack", server_default=value)


def upgrade() -> None:
    _set_default("us_states")


def downgrade() -> None:
    _set_default("us_tcpa")
