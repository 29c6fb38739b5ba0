"""CHECK constraints: plausible vitamin D results, pain 0-10, no dates before 1900

Rows that an older version stored before these existed are kept (the readers skip them): on
PostgreSQL the constraints are added NOT VALID (they hold for every new or changed row, old rows
are not re-checked); SQLite rebuilds the tables to add them, copying old rows unchecked.

Revision ID: 0002_checks
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0002_checks"
down_revision = "0001"
branch_labels = None
depends_on = None

# A copy of models.py's CHECKIN_CHECKS and RESULT_CHECKS as they were: a migration never changes.
TABLES = {
    "checkins": {
        "score_0_to_10": "score >= 0 AND score <= 10",
        "date_since_1900": "local_date >= '1900-01-01'",
    },
    "vitamin_d_results": {
        "plausible_value": "value_ng_ml >= 1 AND value_ng_ml <= 250",
        "positive_original": "original_value > 0",
        "known_unit": "original_unit IN ('ng/mL', 'nmol/L')",
        "taken_since_1900": "taken_on >= '1900-01-01'",
    },
}


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for table, checks in TABLES.items():
            for name, sql in checks.items():
                op.execute(f"ALTER TABLE {table} ADD CONSTRAINT ck_{table}_{name} CHECK ({sql}) NOT VALID")
        return
    op.execute("PRAGMA ignore_check_constraints = ON")
    try:
        for table, checks in TABLES.items():
            with op.batch_alter_table(table) as batch:
                for name, sql in checks.items():
                    batch.create_check_constraint(op.f(f"ck_{table}_{name}"), sql)
    finally:
        op.execute("PRAGMA ignore_check_constraints = OFF")


def downgrade() -> None:
    for table, checks in TABLES.items():
        with op.batch_alter_table(table) as batch:
            for name in checks:
                batch.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
