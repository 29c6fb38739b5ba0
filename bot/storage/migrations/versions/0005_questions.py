"""unanswered and low-confidence questions: their kind and the closest FAQ entry

Revision ID: 0005_questions
Revises: 0001
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_questions"
down_revision = "0004_units"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="unanswered"))
        batch.add_column(sa.Column("closest_entry", sa.String(length=64), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("unanswered_questions") as batch:
        batch.drop_column("closest_entry")
        batch.drop_column("kind")
