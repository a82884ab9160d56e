"""Counts the database keeps by triggers: open reviews by due day and by country (/status;
its plan rows: models/status_counts.py).

GET /status answers with the world's counts; counting overdue reviews with the reviews in
review cost 26 ms at a million events. These tables hold the answers instead, kept by
triggers on the rows they count, so they are right whoever writes: the service, the demo
generator's Core executemany, a test inserting rows directly. On PostgreSQL the triggers are
per statement (transition tables): a statement's changes are summed per key and the count
rows upserted in key order, so two transactions moving rows in opposite directions between
the same two keys lock the same rows in the same order and cannot deadlock. On SQLite one
writer holds the whole database, so per-row triggers are enough. Rows that reach 0 stay
(readers skip them): a row deleted and re-inserted by concurrent transactions would need
more locking, for nothing.

A database napflow runs on gets these triggers, functions and fills from migrations 0003 and
0005 (migrations/versions/); the DDL events below build the same for a schema made from the
models (the tests, the benchmarks), and tests/migrations/test_same_schema.py holds the two
equal, word for word. A change here is a new migration. (plan_counts, kept here until 0005,
was read by nothing once /status read status_counts: 0005 drops it.)
"""

from datetime import date

from sqlalchemy import DDL, Date, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base
from models.review import ReviewerAssignment

# Marks tables whose rows follow from others': copies of a database (bench/scale.py, the
# demo generator's insert) leave them to the triggers.
DERIVED = {"derived": True}


class OpenReviewCount(Base):
    """How many open review rounds (ReviewerAssignment.round_open) of a country fall due on a
    day: the overdue count is a sum over the days before today, so it grows with the days
    that have open reviews, not with the reviews or the log."""

    __tablename__ = "open_review_counts"
    # /status sums each country's rows from today on: by this index alone, without reading
    # each row from the table (SQLite: 3,044 lookups at a million events)
    __table_args__ = (
        Index("ix_open_review_counts_ahead", "country", "due", "count"),
        # PostgreSQL, for a caller who sees every country: the rows from today on, in one
        # range read from this index alone, summed per country by a hash aggregate (1.2
        # against 1.7 ms by a scan of the table at a million events). SQLite reads them per
        # country by the index above.
        Index("ix_open_review_counts_due", "due",
              postgresql_include=["country", "count"]).ddl_if(dialect="postgresql"),
        {"info": DERIVED},
    )

    country: Mapped[str] = mapped_column(String(3), primary_key=True)
    due: Mapped[date] = mapped_column(Date, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


class OpenReviewTotal(Base):
    """How many open review rounds of a country there are, whatever their due day: the
    overdue count is this less the rounds due from today on, which are few (a round falls
    due at most a few weeks after it opens), where the rows before today grow with the
    years of the log (6,050 day rows at a million events)."""

    __tablename__ = "open_review_totals"
    __table_args__ = {"info": DERIVED}

    # in /status's order on PostgreSQL too (models/status_counts.bytewise)
    country: Mapped[str] = mapped_column(
        String(3).with_variant(String(3, collation="C"), "postgresql"), primary_key=True)
    count: Mapped[int] = mapped_column(Integer, nullable=False)


# The triggers read plans and reviewer_assignments: the count tables are created after them.
OpenReviewCount.__table__.add_is_dependent_on(ReviewerAssignment.__table__)
OpenReviewTotal.__table__.add_is_dependent_on(ReviewerAssignment.__table__)

_REVIEW_UPSERT = ("INSERT INTO open_review_counts (country, due, count) {rows} ON CONFLICT "
                  "(country, due) DO UPDATE SET count = open_review_counts.count + excluded.count")
_TOTAL_UPSERT = ("INSERT INTO open_review_totals (country, count) {rows} ON CONFLICT (country) "
                 "DO UPDATE SET count = open_review_totals.count + excluded.count")


def _review_values(row: str, delta: int, key: str = "country, {row}.due") -> str:
    return (f"SELECT {key.format(row=row)}, {delta} FROM plans WHERE plans.id = {row}.plan_id "
            f"AND {row}.round_open AND {row}.due IS NOT NULL")


def _total_values(row: str, delta: int) -> str:
    return _review_values(row, delta, key="country")


_SQLITE_PLAN_CHANGED = ("OLD.country IS NOT NEW.country OR OLD.workflow IS NOT NEW.workflow OR "
                        "OLD.state IS NOT NEW.state OR (OLD.committee_from_seq IS NULL) IS NOT "
                        "(NEW.committee_from_seq IS NULL)")
_SQLITE_REVIEW_CHANGED = ("OLD.round_open IS NOT NEW.round_open OR OLD.due IS NOT NEW.due OR "
                          "OLD.plan_id IS NOT NEW.plan_id")


def _sqlite_review_triggers(name: str, upsert: str, values) -> list[str]:
    """The per-row triggers keeping `name` from reviewer_assignments' open rounds."""
    return [
        f"CREATE TRIGGER IF NOT EXISTS {name}_insert AFTER INSERT ON reviewer_assignments "
        f"BEGIN {upsert.format(rows=values('NEW', 1))}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_delete AFTER DELETE ON reviewer_assignments "
        f"BEGIN {upsert.format(rows=values('OLD', -1))}; END",
        f"CREATE TRIGGER IF NOT EXISTS {name}_update AFTER UPDATE OF round_open, due, plan_id "
        f"ON reviewer_assignments WHEN {_SQLITE_REVIEW_CHANGED} BEGIN "
        f"{upsert.format(rows=values('OLD', -1))}; {upsert.format(rows=values('NEW', 1))}; END",
    ]


_SQLITE_REVIEWS = _sqlite_review_triggers("open_review_counts", _REVIEW_UPSERT, _review_values)
_SQLITE_TOTALS = _sqlite_review_triggers("open_review_totals", _TOTAL_UPSERT, _total_values)


def _postgres_deltas(keyed: str, operation: str) -> str:
    """The statement's changes to `table` as one signed row per changed row, from the
    transition tables (`old_rows` / `new_rows`) `operation` has."""
    parts = []
    if operation in ("DELETE", "UPDATE"):
        parts.append(keyed.format(rows="old_rows", delta=-1))
    if operation in ("INSERT", "UPDATE"):
        parts.append(keyed.format(rows="new_rows", delta=1))
    return " UNION ALL ".join(parts)


_PG_REVIEW_ROWS = ("SELECT plans.country, r.due, {delta} AS delta FROM {rows} r JOIN plans "
                   "ON plans.id = r.plan_id WHERE r.round_open AND r.due IS NOT NULL")
_PG_TOTAL_ROWS = _PG_REVIEW_ROWS.replace(", r.due,", ",")


def _postgres_function(name: str, upsert: str, rows: str, key: str) -> str:
    branches = []
    for operation in ("INSERT", "UPDATE", "DELETE"):
        # Summed per key (an UPDATE that keeps a row's key adds nothing) and upserted in key
        # order, so every transaction locks the count rows it changes in the same order.
        summed = (f"SELECT {key}, sum(delta) FROM ({_postgres_deltas(rows, operation)}) "
                  f"AS d GROUP BY {key} HAVING sum(delta) <> 0 ORDER BY {key}")
        branches.append(f"IF TG_OP = '{operation}' THEN {upsert.format(key=key, rows=summed)}; "
                        "END IF;")
    return (f"CREATE OR REPLACE FUNCTION napflow_{name}() RETURNS trigger LANGUAGE plpgsql "
            f"AS $$ BEGIN {' '.join(branches)} RETURN NULL; END $$")


def _postgres_triggers(name: str, table: str) -> list[str]:
    # A trigger with transition tables serves one event, and an UPDATE one no column list.
    return [f"CREATE TRIGGER {name}_{operation.lower()} AFTER {operation} ON {table} "
            f"REFERENCING {tables} FOR EACH STATEMENT EXECUTE FUNCTION napflow_{name}()"
            for operation, tables in (("INSERT", "NEW TABLE AS new_rows"),
                                      ("UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
                                      ("DELETE", "OLD TABLE AS old_rows"))]


_POSTGRES_REVIEWS = [
    _postgres_function("open_review_counts", _REVIEW_UPSERT, _PG_REVIEW_ROWS, "country, due"),
    *_postgres_triggers("open_review_counts", "reviewer_assignments"),
]
_POSTGRES_TOTALS = [
    _postgres_function("open_review_totals", _TOTAL_UPSERT, _PG_TOTAL_ROWS, "country"),
    *_postgres_triggers("open_review_totals", "reviewer_assignments"),
]

# A count table created on a database that has rows already starts from them.
_FILL_REVIEWS = ("INSERT INTO open_review_counts (country, due, count) SELECT plans.country, "
                 "r.due, count(*) FROM reviewer_assignments r JOIN plans ON plans.id = r.plan_id "
                 "WHERE r.round_open AND r.due IS NOT NULL GROUP BY 1, 2")
_FILL_TOTALS = ("INSERT INTO open_review_totals (country, count) SELECT plans.country, count(*) "
                "FROM reviewer_assignments r JOIN plans ON plans.id = r.plan_id "
                "WHERE r.round_open AND r.due IS NOT NULL GROUP BY 1")


def _listen(table, statements: list[str], dialect: str) -> None:
    for statement in statements:
        event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))


_listen(OpenReviewCount.__table__, _SQLITE_REVIEWS, "sqlite")
_listen(OpenReviewTotal.__table__, _SQLITE_TOTALS, "sqlite")
_listen(OpenReviewCount.__table__, _POSTGRES_REVIEWS, "postgresql")
_listen(OpenReviewTotal.__table__, _POSTGRES_TOTALS, "postgresql")
event.listen(OpenReviewCount.__table__, "after_create", DDL(_FILL_REVIEWS))
event.listen(OpenReviewTotal.__table__, "after_create", DDL(_FILL_TOTALS))
