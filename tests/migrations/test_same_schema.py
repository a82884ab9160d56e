"""The migrations build the schema the models describe, triggers and functions included, on
SQLite and PostgreSQL: the tests may build theirs from the models (three times as fast)."""

import re

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, text

from migrations.autogenerate import options
from models import Base
from runtime import schema

# What two ways of building a table may differ in without differing in schema: the order
# the catalog lists things in.
SORTED = ("indexes", "unique_constraints", "foreign_keys")


def tables(connection: Connection) -> dict[str, dict]:
    """Every table as the database describes it: columns (type, nullability, default),
    primary key, foreign keys, unique constraints and indexes."""
    inspector = inspect(connection)
    described = {}
    for table in sorted(schema.napflow_tables(connection)):
        found = {
            "columns": [(c["name"], str(c["type"]), c["nullable"], c.get("default"))
                        for c in inspector.get_columns(table)],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": inspector.get_foreign_keys(table),
            "unique_constraints": inspector.get_unique_constraints(table),
            # A partial index's WHERE comes back as a TextClause: compared as its text.
            "indexes": [{**index, "dialect_options": {
                name: str(value) for name, value in index.get("dialect_options", {}).items()}}
                for index in inspector.get_indexes(table)],
        }
        for key in SORTED:
            found[key] = sorted(found[key], key=lambda item: str(item.get("name")))
        described[table] = found
    return described


def one_line(sql: str) -> str:
    # SQLite keeps a trigger's text as it was written; `IF NOT EXISTS` is not part of it.
    return re.sub(r"\s+", " ", sql.replace("IF NOT EXISTS ", "")).strip()


def routines(connection: Connection) -> dict[str, list[tuple]]:
    """Triggers, and on PostgreSQL the functions they run, by name with their definitions."""
    if connection.dialect.name == "sqlite":
        found = connection.execute(text(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name"))
        return {"triggers": [(name, table, one_line(sql)) for name, table, sql in found]}
    return {
        # pg_get_triggerdef names the table with its schema, which differs between the two.
        "triggers": [tuple(row) for row in connection.execute(text(
            "SELECT t.tgname, c.relname, replace(pg_get_triggerdef(t.oid), "
            "quote_ident(current_schema()) || '.', '') FROM pg_trigger t "
            "JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal "
            "AND c.relnamespace = current_schema()::regnamespace ORDER BY t.tgname"))],
        "functions": [tuple(row) for row in connection.execute(text(
            "SELECT p.proname, l.lanname, p.prorettype::regtype::text, p.prosrc FROM pg_proc p "
            "JOIN pg_language l ON l.oid = p.prolang "
            "WHERE p.pronamespace = current_schema()::regnamespace ORDER BY p.proname"))],
    }


def differences(connection: Connection) -> list:
    context = MigrationContext.configure(connection, opts=options(connection.dialect.name))
    return compare_metadata(context, Base.metadata)


def test_the_migrations_and_the_models_build_the_same_schema(new_database, engines):
    migrated: Engine = engines(new_database())
    modelled: Engine = engines(new_database())
    schema.upgrade(migrated)
    Base.metadata.create_all(modelled)
    with migrated.connect() as by_migrations, modelled.connect() as by_models:
        # Alembic's own comparison (what `napflow db revision` would write): nothing.
        assert differences(by_migrations) == []
        assert differences(by_models) == []
        # And what it does not compare: every column's default, every constraint's name,
        # the order of columns; the triggers and functions, word for word.
        assert tables(by_migrations) == tables(by_models)
        assert routines(by_migrations) == routines(by_models)
        found = routines(by_migrations)
    expected = {"audit_events_no_update", "audit_events_no_delete"} if migrated.dialect.name \
        == "sqlite" else {"audit_events_no_update_delete", "audit_events_no_truncate"}
    # 0005 dropped plan_counts' triggers (and function): they are not left behind either
    kept = ("open_review_counts", "open_review_totals", "status_counts")
    expected |= {f"{counts}_{op}" for counts in kept for op in ("insert", "update", "delete")}
    assert {trigger[0] for trigger in found["triggers"]} == expected
    if migrated.dialect.name == "postgresql":
        assert {function[0] for function in found["functions"]} == {
            "napflow_audit_append_only", *(f"napflow_{counts}" for counts in kept)}


def test_a_schema_built_from_the_models_is_stamped_at_head(engine):
    """The tests' databases (and the benchmarks') read as at head, as /readyz asks."""
    with engine.connect() as connection:
        assert schema.current(connection) == schema.head()
        assert differences(connection) == []
