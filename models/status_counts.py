"""/status's answer rows, kept by triggers on plans: plans by country and state, and by
country and the role they wait on, for whoever sees plans nationally and for the Committee.

Folding plans counted by (country, workflow, state, whether the Committee sees them) into
/status's rows on each call (grouping by country and state, joining the roles each state
waits on, adding the Committee's plans to the others') cost about a microsecond per row,
and the world's answer grows from 607 rows at 10,000 events to 2,316 at a million. Here
each answer row is a row, in the answer's order, so a caller's /status is one range of the
key per kind. Which roles a state waits on is the workflow definitions'
(Workflow.waiting_on), which the database does not hold: waiting_roles is their copy,
written by `sync_waiting_roles` wherever the schema is brought to head (runtime/schema.py:
after every upgrade, in its transaction; models/db.create_schema), which counts every plan
again if the copy changed. The triggers follow open_review_counts' (same locking order on
PostgreSQL, per row on SQLite). Migration 0005 makes the tables, triggers and functions on
a database napflow runs on (tests/migrations/test_same_schema.py holds them equal to
these, word for word).
"""

from sqlalchemy import Connection, Index, Integer, String, Text, delete, insert, select, text
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.counts import (
    _SQLITE_PLAN_CHANGED,
    DERIVED,
    _listen,
    _postgres_function,
    _postgres_triggers,
)
from models.plan import Plan

# Who sees a row: everyone who sees the plan nationally or globally, or the Committee (the
# plans it was given: committee_from_seq set). A plan the Committee sees counts in both.
EVERYONE, COMMITTEE = "all", "committee"
# What a row counts: plans in the state `name`, or plans waiting on the role `name`.
STATE, ROLE = "state", "role"


class WaitingRole(Base):
    """The definitions' Workflow.waiting_on, for the triggers: each role a state waits on."""

    __tablename__ = "waiting_roles"
    # derived too, from the definitions: a copy of a database leaves it to the roles' sync
    # (runtime/schema.py), and so does a test emptying the database (tests/conftest.py)
    __table_args__ = {"info": {**DERIVED, "definitions": True}}

    workflow: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(64), primary_key=True)
    role: Mapped[str] = mapped_column(String(32), primary_key=True)


def bytewise(length: int) -> String:
    """A string column compared byte by byte, as Python sorts /status's rows: SQLite's own
    (BINARY) comparison, PostgreSQL's C collation (whatever the database's), so that an
    index on it holds the rows in /status's order."""
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class StatusCount(Base):
    """How many plans of a country are in a state (kind `state`) or wait on a role (`role`),
    for an audience (`all` or `committee`)."""

    __tablename__ = "status_counts"
    __table_args__ = (
        # PostgreSQL: a caller's rows with their bodies, read in /status's order from this
        # index alone (no sort, no table read: 0.3 against 1.1 ms for the world's 1,351
        # state rows at a million events). SQLite: the rows live in the key's b-tree
        # (WITHOUT ROWID), which does the same.
        Index("ix_status_counts_rows", "audience", "kind", "country", "name",
              postgresql_include=["count", "body"]).ddl_if(dialect="postgresql"),
        {"info": DERIVED, "sqlite_with_rowid": False},
    )

    audience: Mapped[str] = mapped_column(String(16), primary_key=True)
    kind: Mapped[str] = mapped_column(String(8), primary_key=True)
    country: Mapped[str] = mapped_column(bytewise(3), primary_key=True)
    name: Mapped[str] = mapped_column(bytewise(64), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)
    # the row as /status writes it, kept with the count: writing JSON per row on each call
    # cost more than reading the row
    body: Mapped[str] = mapped_column(Text, nullable=False)


StatusCount.__table__.add_is_dependent_on(Plan.__table__)
StatusCount.__table__.add_is_dependent_on(WaitingRole.__table__)

_KEY = "audience, kind, country, name"
# Each plans row of {rows} counts once in its state and once per role its state waits on,
# for everyone, and again for the Committee if it sees the plan. {rows} is a table on
# PostgreSQL (a transition table, plans), a one-row subquery of NEW or OLD on SQLite.
_ROWS = (
    "SELECT a.audience, k.kind, k.country, k.name, {delta} AS delta FROM ("
    f"SELECT p.country, p.committee_from_seq IS NOT NULL AS seen, '{STATE}' AS kind, "
    "p.state AS name FROM {rows} p UNION ALL "
    f"SELECT p.country, p.committee_from_seq IS NOT NULL, '{ROLE}', w.role FROM {{rows}} p "
    "JOIN waiting_roles w ON w.workflow = p.workflow AND w.state = p.state) AS k "
    f"JOIN (SELECT '{EVERYONE}' AS audience, false AS only_seen "
    f"UNION ALL SELECT '{COMMITTEE}', true) AS a ON k.seen OR NOT a.only_seen")


def body(dialect: str, count: str, row: str = "") -> str:
    """The SQL of a row's `body`: the row as /status writes it, {"count", "country", and
    "state" or "role" (the kind)}, keys in order; the kind's name is the key."""
    fields = f"'count', {count}, 'country', {row}country, {row}kind, {row}name"
    return f"json_build_object({fields})::text" if dialect == "postgresql" else (
        f"json_object({fields})")


def _upsert(dialect: str, rows: str) -> str:
    """Add `rows` (audience, kind, country, name, delta) to the counts, each body written
    anew. (PostgreSQL names the columns of the summed rows here; SQLite 3.40 cannot.)"""
    postgres = dialect == "postgresql"
    return (f"INSERT INTO status_counts ({_KEY}, count, body) SELECT {_KEY}, delta, "
            f"{body(dialect, 'delta')} FROM ({rows}) AS r "
            f"{f'({_KEY}, delta) ' if postgres else 'WHERE true '}ON CONFLICT ({_KEY}) "
            "DO UPDATE SET count = status_counts.count + excluded.count, body = "
            + body(dialect, "status_counts.count + excluded.count", "excluded."))


_POSTGRES = [
    # _postgres_function formats {rows} with the statement's rows, summed per key in key
    # order (the locking order); a row of that order stays in it through _upsert's SELECT.
    _postgres_function("status_counts", _upsert("postgresql", "{rows}"), _ROWS, _KEY),
    *_postgres_triggers("status_counts", "plans"),
]


def _sqlite_upsert(row: str, delta: int) -> str:
    plan = (f"(SELECT {row}.country AS country, {row}.workflow AS workflow, {row}.state AS "
            f"state, {row}.committee_from_seq AS committee_from_seq)")
    return _upsert("sqlite", _ROWS.format(rows=plan, delta=delta))


_SQLITE = [
    "CREATE TRIGGER IF NOT EXISTS status_counts_insert AFTER INSERT ON plans BEGIN "
    f"{_sqlite_upsert('NEW', 1)}; END",
    "CREATE TRIGGER IF NOT EXISTS status_counts_delete AFTER DELETE ON plans BEGIN "
    f"{_sqlite_upsert('OLD', -1)}; END",
    "CREATE TRIGGER IF NOT EXISTS status_counts_update AFTER UPDATE OF country, workflow, "
    f"state, committee_from_seq ON plans WHEN {_SQLITE_PLAN_CHANGED} BEGIN "
    f"{_sqlite_upsert('OLD', -1)}; {_sqlite_upsert('NEW', 1)}; END",
]
_listen(StatusCount.__table__, _SQLITE, "sqlite")
_listen(StatusCount.__table__, _POSTGRES, "postgresql")


def sync_waiting_roles(conn: Connection, roles: set[tuple[str, str, str]]) -> bool:
    """Make waiting_roles hold exactly `roles` (workflow, state, role), and, when it did
    not (a new database, new definitions, a database made before this table), count every
    plan again; whether it had to."""
    held = {tuple(row) for row in conn.execute(
        select(WaitingRole.workflow, WaitingRole.state, WaitingRole.role))}
    if held == roles:
        return False
    conn.execute(delete(WaitingRole))
    if roles:
        conn.execute(insert(WaitingRole), [{"workflow": w, "state": s, "role": r}
                                           for w, s, r in sorted(roles)])
    conn.execute(delete(StatusCount))
    # every plan counted from scratch, as the triggers count them one by one
    conn.execute(text(_upsert(conn.dialect.name, f"SELECT {_KEY}, sum(delta) AS delta FROM ("
                              + _ROWS.format(rows="plans", delta=1) + f") AS d GROUP BY {_KEY}")))
    return True

