"""The append-only, hash-chained audit log, and the database triggers that keep it so."""

import hashlib
import json
from typing import Any

from sqlalchemy import (
    DDL,
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    event,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.plan import GENESIS_HASH

# The fields the hash covers, in the form the API returns them (contract, "The audit log").
HASHED_FIELDS = (
    "plan_id", "seq", "at", "actor", "action", "from_state", "to_state",
    "content_version", "comment", "data", "prev_hash",
)


# Built once: json.dumps with non-default arguments builds a new encoder on every call, which
# dominates the cost of hashing one event during verification.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def canonical_json(obj: Any) -> str:
    return _CANONICAL.encode(obj)


def event_hash(fields: dict[str, Any]) -> str:
    body = {name: fields[name] for name in HASHED_FIELDS}
    return hashlib.sha256(canonical_json(body).encode("utf-8")).hexdigest()


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        UniqueConstraint("plan_id", "seq"),
        # Events about no plan (users, grants) form their own chain; NULLs are distinct in a
        # plain unique constraint, so that chain gets a partial unique index of its own.
        Index("uq_audit_events_system_seq", "seq", unique=True,
              sqlite_where=text("plan_id IS NULL"), postgresql_where=text("plan_id IS NULL")),
        # Search and export (workflow/audit_search.py) go oldest first by (at, id), and seek
        # past the last event shown: one index per filter, each ending in (at, id), serves
        # the filter, a time range and the order in one range scan, with no sort, at any
        # page depth. The country filter (and a national caller's visibility) has no index of
        # its own: events do not carry a country (a column would need the writers changed and
        # every row migrated). The planner picks, by the country's share of the log, between
        # walking (at, id) while probing each event's plan by primary key (PostgreSQL, ~limit
        # / share rows a page) and gathering the country's plans' events by (plan_id, at, id)
        # then sorting them (SQLite: one country's events, never the log); neither grows with
        # the page's depth (tests/workflow/test_audit_search_plans.py).
        *(Index(f"ix_audit_events_{'_'.join(key)}", *key) for key in (
            ("at", "id"), ("plan_id", "at", "id"), ("actor", "at", "id"),
            ("action", "at", "id"), ("from_state", "at", "id"), ("to_state", "at", "id"))),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int | None] = mapped_column(ForeignKey("plans.id"))
    seq: Mapped[int] = mapped_column(Integer)
    # Stored as the exact text the API shows, so the hash can be recomputed byte for byte.
    at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(64))
    to_state: Mapped[str | None] = mapped_column(String(64))
    content_version: Mapped[int | None] = mapped_column(Integer)
    comment: Mapped[str | None] = mapped_column(Text)
    data: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True))
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))

    def as_dict(self) -> dict[str, Any]:
        fields = {name: getattr(self, name) for name in HASHED_FIELDS}
        fields["hash"] = self.hash
        return fields


class SystemChainHead(Base):
    """The head of the chain of events that concern no plan (one row, locked to append)."""

    __tablename__ = "audit_system_head"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, default=0)
    head: Mapped[str] = mapped_column(String(64), default=GENESIS_HASH)


# The database itself refuses to change or remove audit rows, whoever connects. Migration
# 0001 creates these; the models' DDL events build the same for a schema made from the models.
_SQLITE_GUARDS = [
    DDL("CREATE TRIGGER IF NOT EXISTS audit_events_no_update BEFORE UPDATE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"),
    DDL("CREATE TRIGGER IF NOT EXISTS audit_events_no_delete BEFORE DELETE ON audit_events "
        "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END"),
]
_POSTGRES_GUARDS = [
    DDL("CREATE OR REPLACE FUNCTION napflow_audit_append_only() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'audit_events is append-only' USING ERRCODE = 'insufficient_privilege'; "
        "END $$"),
    DDL("CREATE TRIGGER audit_events_no_update_delete BEFORE UPDATE OR DELETE ON audit_events "
        "FOR EACH ROW EXECUTE FUNCTION napflow_audit_append_only()"),
    DDL("CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
        "FOR EACH STATEMENT EXECUTE FUNCTION napflow_audit_append_only()"),
]
for ddl in _SQLITE_GUARDS:
    event.listen(AuditEvent.__table__, "after_create", ddl.execute_if(dialect="sqlite"))
for ddl in _POSTGRES_GUARDS:
    event.listen(AuditEvent.__table__, "after_create", ddl.execute_if(dialect="postgresql"))
