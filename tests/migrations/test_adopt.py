"""A database napflow made before Alembic (create_all, no alembic_version) is recognised at the
revision it matches, stamped there and upgraded: never recreated, nothing lost. One napflow did
not make is refused, and left as it was."""

import pytest
from sqlalchemy import inspect, text

from runtime import schema
from tests.counts_check import drift
from tests.migrations.conftest import copy_rows, forget_migrations, rows, stamped
from tests.workflow.conftest import snapshot


def test_a_database_made_by_create_schema_is_stamped_at_head_and_kept(lived_in, engine,
                                                                        napflow):
    lived_in()
    forget_migrations(engine)  # as every install made before migrations is
    before = snapshot(engine)
    result = napflow(engine, "init-db")
    assert result.exit_code == 0, result.output
    head = schema.head()
    assert f"database made before migrations: found at {head}, stamped there" in result.output
    assert f"schema at {head} (head): nothing to upgrade" in result.output
    assert stamped(engine) == schema.head()
    assert snapshot(engine) == before
    assert napflow(engine, "audit", "verify").exit_code == 0


@pytest.mark.parametrize("revision", ["0001", "0002"])
def test_an_older_database_made_before_migrations_is_upgraded_from_where_it_stands(
        revision, lived_in, engine, new_database, engines, napflow):
    lived_in()
    old = engines(new_database())
    schema.upgrade(old, revision)  # the tables as create_all made them then (same schema)
    copy_rows(engine, old)
    forget_migrations(old)
    with old.begin() as connection:  # made before this index, which create_all never added
        connection.execute(text("DROP INDEX ix_audit_events_action_at_id"))
    events = rows(old, "audit_events")

    result = napflow(old, "init-db")
    assert result.exit_code == 0, result.output
    assert f"found at {revision}, stamped there" in result.output
    assert f"schema upgraded from {revision} to {schema.head()} (head)" in result.output
    assert stamped(old) == schema.head()
    assert rows(old, "audit_events") == events
    assert "ix_audit_events_action_at_id" in {
        index["name"] for index in inspect(old).get_indexes("audit_events")}
    with old.connect() as connection:
        assert drift(connection) == {}
    assert napflow(old, "audit", "verify").exit_code == 0


def test_a_database_napflow_did_not_make_is_refused_and_left_alone(new_database, engines,
                                                                     napflow):
    other = engines(new_database())
    with other.begin() as connection:
        connection.execute(text("CREATE TABLE plans (id INTEGER PRIMARY KEY, name TEXT)"))
    result = napflow(other, "init-db")
    assert result.exit_code == 1
    assert "Error: this database has tables but is not one napflow made: it lacks" \
        in result.output
    assert set(inspect(other).get_table_names()) == {"plans"}


def test_a_database_between_two_revisions_is_refused_and_left_alone(new_database, engines,
                                                                     napflow):
    mixed = engines(new_database())
    schema.upgrade(mixed, "0002")
    forget_migrations(mixed)
    with mixed.begin() as connection:  # 0002's table without 0002's columns
        connection.execute(text("ALTER TABLE users DROP COLUMN password_hash"))
    result = napflow(mixed, "db", "upgrade")
    assert result.exit_code == 1
    assert "matches migration 0001 but also holds part of 0002 (sign_in_attempts" \
        in result.output
    assert stamped(mixed) is None
    assert "plan_counts" not in inspect(mixed).get_table_names()
