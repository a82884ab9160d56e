"""A database holding plans and events, at the first migration's schema, upgraded to head:
nothing lost, every chain still verifying, the counts and flags the later migrations add
equal to their recomputation, and the app writing on it afterwards."""

from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from sqlalchemy import func, inspect, select, text, update
from sqlalchemy.exc import DBAPIError

from models import Plan, ReviewerAssignment, StatusCount, utcnow
from models.db import make_session_factory, write_session
from runtime import schema
from tests.counts_check import drift, recomputed_status
from tests.migrations.conftest import copy_rows, rows, stamped
from workflow import overview, service, users

# The tables of the first migration whose rows the upgrade must leave exactly as they were.
KEPT = ("plans", "content_versions", "audit_events", "reviews", "users", "grants",
        "api_tokens", "audit_system_head")


def test_a_database_at_the_first_migration_is_upgraded_with_every_event_kept(
        lived_in, engine, new_database, engines, napflow, people):
    lived_in()
    old = engines(new_database())
    schema.upgrade(old, "0001")
    copy_rows(engine, old)
    before = {table: rows(old, table) for table in KEPT}
    assert len(before["audit_events"]) > 40 and len(before["plans"]) == 10

    result = napflow(old, "db", "upgrade")
    assert result.exit_code == 0, result.output
    assert f"schema upgraded from 0001 to {schema.head()} (head)" in result.output
    assert stamped(old) == schema.head()
    # The columns a table gains come last: what it had is unchanged, row for row.
    for table, kept in before.items():
        assert [row[:len(kept[0])] for row in rows(old, table)] == kept, table
    verified = napflow(old, "audit", "verify")
    assert verified.exit_code == 0, verified.output
    assert f"{len(before['audit_events'])} event(s) verified" in verified.output
    with old.connect() as connection:
        assert drift(connection) == {}
        assert connection.scalar(select(func.sum(StatusCount.count)).where(
            StatusCount.audience == "all", StatusCount.kind == "state")) == 10
        # the three plans in review: two rounds owed (THA, VNM), one decided
        flags = connection.execute(text("SELECT round_open FROM reviewer_assignments")).all()
        assert sorted(bool(flag) for (flag,) in flags).count(True) == 2
        assert connection.execute(text("SELECT DISTINCT session_version, password_hash "
                                       "FROM users")).all() == [(1, None)]

    # napflow works on it: a review closes the round, the triggers move the counts.
    sessions = make_session_factory(old)
    with sessions() as session:
        in_review = session.scalars(select(Plan.id).where(
            Plan.state == "stakeholder_review", Plan.country == "THA").order_by(Plan.id)).first()
    with write_session(sessions) as session:
        reviewer = users.get_user(session, people["reviewer"].username)
        service.record_review(session, reviewer, in_review, decision="approve")
        service.fire(session, users.get_user(session, people["drafter"].username), in_review,
                     "endorse")
    with old.connect() as connection:
        assert drift(connection) == {}
    assert napflow(old, "audit", "verify").exit_code == 0


def test_the_audit_table_refuses_change_after_migrating(new_database, engines):
    migrated = engines(new_database())
    schema.upgrade(migrated)
    with write_session(make_session_factory(migrated)) as session:
        users.add_user(session, "test", "somchai", ["drafter:THA"])
    before = rows(migrated, "audit_events")
    statements = ["UPDATE audit_events SET actor = 'mallory'", "DELETE FROM audit_events"]
    if migrated.dialect.name == "postgresql":
        statements.append("TRUNCATE audit_events")
    for statement in statements:
        try:
            with migrated.begin() as connection:
                connection.execute(text(statement))
        except DBAPIError as refused:
            assert "audit_events is append-only" in str(refused.orig), statement
        else:
            raise AssertionError(f"{statement} was not refused")
    assert rows(migrated, "audit_events") == before and before


def test_two_upgrades_at_once_migrate_once(new_database, engines):
    """Two servers starting on a new database: the write lock (SQLite) or the advisory lock
    (PostgreSQL) makes one wait for the other, which then finds the database at head."""
    url = new_database()
    first, second = engines(url), engines(url)
    with ThreadPoolExecutor(2) as pool:
        done = list(pool.map(schema.upgrade, (first, second)))
    assert sorted(upgraded.before or "" for upgraded in done) == ["", schema.head()]
    assert {upgraded.after for upgraded in done} == {schema.head()}


def test_a_database_at_0004_with_plans_gets_its_status_from_them(
        lived_in, engine, new_database, engines, people):
    """0005 makes /status's kept rows on a database holding plans and open rounds (one past
    its due day), and the roles' copy that follows it in the same upgrade counts the plans
    waiting on each role: /status is then its recomputation for every kind of caller."""
    lived_in()
    with engine.begin() as connection:  # a round fallen due two days ago
        connection.execute(update(ReviewerAssignment).where(
            ReviewerAssignment.id == select(func.min(ReviewerAssignment.id)).where(
                ReviewerAssignment.round_open).scalar_subquery())
            .values(due=utcnow().date() - timedelta(days=2)))
    old = engines(new_database())
    schema.upgrade(old, "0004")
    copy_rows(engine, old)

    done = schema.upgrade(old)
    assert (done.before, done.after, done.recounted) == ("0004", schema.head(), True)
    sessions = make_session_factory(old)
    with old.connect() as connection:
        assert drift(connection) == {}
        assert "plan_counts" not in inspect(connection).get_table_names()
    with sessions() as session:
        for who in ("drafter", "vnm_viewer", "committee", "global_auditor", "reviewer"):
            user = users.get_user(session, people[who].username)
            found = overview.status(session, user, utcnow().date())
            assert found == recomputed_status(session, user, utcnow().date()), who
            assert found["plans"], who
        auditor = users.get_user(session, people["global_auditor"].username)
        assert overview.status(session, auditor, utcnow().date())["overdue"]
