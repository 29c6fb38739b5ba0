"""reports made, counted for operators

Revision ID: 0006_reports
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_reports"
down_revision = "0005_questions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Only when a report was made, tied to nobody: the count survives /forget and holds nothing personal.
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reports")),
    )


def downgrade() -> None:
    op.drop_table("reports")
