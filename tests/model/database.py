"""One database per test, emptied of plans between sequences; rows read for the invariants.

Why not a fresh database per sequence: creating the schema and the cast costs more than a
whole sequence of steps. Why not TRUNCATE: on PostgreSQL it rewrites each table's files, so a
DELETE of the few rows a sequence wrote is several times cheaper, and the cast (users, grants,
tokens and the system chain) is kept for all 1,000 sequences. The audit table refuses DELETE
by its guard triggers: PostgreSQL's replica mode does not fire them (the harness's privilege,
as in tests/conftest.py), and on SQLite the DELETE trigger is dropped and recreated from the
model's own DDL inside the same transaction, so no test ever runs without the guard.
"""

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Engine, delete, select, text

from models import (
    AuditEvent,
    Base,
    ContentVersion,
    OpenReviewCount,
    OpenReviewTotal,
    Plan,
    Review,
    ReviewerAssignment,
    StatusCount,
)
from models.audit import _SQLITE_GUARDS

Rows = dict[str, list[dict[str, Any]]]
ALL_TABLES = frozenset(Base.metadata.tables)
# What a sequence may change; the rest (users, grants, tokens...) is the cast's, set up once.
PLAN_TABLES = frozenset({"plans", "content_versions", "reviewer_assignments", "reviews",
                         "audit_events", "open_review_counts",
                         "open_review_totals", "status_counts"})
CAST_TABLES = ALL_TABLES - PLAN_TABLES


def forget_plans(engine: Engine) -> None:
    """Delete every plan and everything about it; users, grants, tokens stay."""
    with engine.begin() as conn:
        if engine.dialect.name == "postgresql":
            conn.execute(text("SET LOCAL session_replication_role = replica"))
        else:
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
        for statement in (delete(Review), delete(ReviewerAssignment), delete(ContentVersion),
                          delete(AuditEvent).where(AuditEvent.plan_id.is_not(None)),
                          delete(Plan), delete(OpenReviewCount),
                          delete(OpenReviewTotal), delete(StatusCount)):
            conn.execute(statement)
        if engine.dialect.name == "sqlite":
            for ddl in _SQLITE_GUARDS:  # CREATE TRIGGER IF NOT EXISTS: both guards are back
                conn.execute(ddl)


def read_rows(engine: Engine, tables: Iterable[str] = ALL_TABLES) -> Rows:
    """Every row of these tables in key order, by column name (the workflow tests' snapshot,
    narrowed: the cast's tables are compared only when a step must have changed nothing)."""
    with engine.connect() as conn:
        return {name: [dict(row._mapping) for row in conn.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for name, table in Base.metadata.tables.items() if name in tables}
