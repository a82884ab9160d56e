"""`napflow db current`, `db history`, `db upgrade` and `db revision` say where the database
stands and what they did."""

import shutil

from sqlalchemy import inspect, text

from migrations import LOCATION
from runtime import schema
from tests.migrations.conftest import forget_migrations

HEAD = schema.head()

HISTORY = [
    "0005 (head{current})  /status's kept answer rows and overdue totals, written by the "
    "database; plan_counts dropped.",
    "0004{current}  One-time form keys: a page form sent twice is answered with what "
    "the first send made.",
    "0003{current}  Counts kept by triggers (/status) and review rounds' open flag "
    "(/reviews/overdue).",
    "0002{current}  Sign-in on the pages: users' password hash and session version, failed "
    "sign-ins counted.",
    "0001{current}  Baseline: the schema as napflow made it before the pages' sign-in and the "
    "kept counts.",
]


def history(at: str | None) -> str:
    lines = []
    for line in HISTORY:
        here = line.startswith(at) if at else False
        head = "(head" in line
        mark = (", current" if head else " (current)") if here else ""
        lines.append(line.format(current=mark))
    return "\n".join(lines) + "\n"


def test_current_and_history_follow_the_database_up(new_database, engines, napflow):
    db = engines(new_database())
    assert napflow(db, "db", "current").output == "empty: no schema (run `napflow init-db`)\n"
    assert napflow(db, "db", "history").output == history(None)

    schema.upgrade(db, "0002")
    assert napflow(db, "db", "current").output == (
        f"0002 (head is {HEAD}: run `napflow db upgrade`)\n")
    assert napflow(db, "db", "history").output == history("0002")

    upgraded = napflow(db, "db", "upgrade")
    assert upgraded.exit_code == 0
    assert upgraded.output == f"schema upgraded from 0002 to {HEAD} (head)\n"
    assert napflow(db, "db", "current").output == f"{HEAD} (head)\n"
    assert napflow(db, "db", "history").output == history(HEAD)
    assert napflow(db, "db", "upgrade").output == f"schema at {HEAD} (head): nothing to upgrade\n"


def test_current_names_the_revision_a_database_made_before_migrations_matches(
        new_database, engines, napflow):
    db = engines(new_database())
    schema.upgrade(db, "0001")
    forget_migrations(db)
    assert napflow(db, "db", "current").output == (
        "made before migrations, matches 0001 (`napflow db upgrade` stamps it there and "
        f"upgrades it to {HEAD})\n")
    assert napflow(db, "db", "history").output == history(None)  # stamped nowhere yet


def test_init_db_creates_an_empty_database_at_head(new_database, engines, napflow):
    db = engines(new_database())
    result = napflow(db, "init-db")
    assert result.exit_code == 0, result.output
    assert result.output.startswith(f"schema created at {HEAD} (head)\nschema ready in ")


def test_revision_writes_nothing_when_the_models_match_the_database(new_database, engines,
                                                                    napflow):
    db = engines(new_database())
    files = sorted(LOCATION.joinpath("versions").glob("*.py"))
    schema.upgrade(db, "0002")
    refused = napflow(db, "db", "revision", "-m", "too early")
    assert refused.exit_code == 1
    assert "the database is not at head: run `napflow db upgrade` first" in refused.output
    schema.upgrade(db)
    result = napflow(db, "db", "revision", "-m", "nothing new")
    assert result.exit_code == 0, result.output
    assert result.output == "the models and the database do not differ: no migration written\n"
    assert sorted(LOCATION.joinpath("versions").glob("*.py")) == files


def test_revision_writes_the_next_migration_from_what_the_models_add(
        new_database, engines, napflow, tmp_path, monkeypatch):
    """As after a change to the models: here the database lacks an index the models have."""
    copy = tmp_path / "migrations"
    shutil.copytree(LOCATION, copy)
    monkeypatch.setattr(schema, "LOCATION", copy)
    schema.scripts.cache_clear()
    try:
        db = engines(new_database())
        schema.upgrade(db)
        with db.begin() as connection:
            connection.execute(text("DROP INDEX ix_plans_state"))
        result = napflow(db, "db", "revision", "-m", "index plans by state")
        assert result.exit_code == 0, result.output
        nxt = f"{int(HEAD) + 1:04d}"
        written = copy / "versions" / f"{nxt}_index_plans_by_state.py"
        assert result.output == f"migration {nxt} written to {written}\n"
        source = written.read_text()
        assert f"down_revision = '{HEAD}'" in source
        assert "batch_op.create_index(batch_op.f('ix_plans_state'), ['state']" in source
        assert "raise ForwardOnly(revision)" in source
        assert schema.upgrade(db).after == nxt
        assert "ix_plans_state" in {index["name"] for index in inspect(db).get_indexes("plans")}
    finally:
        schema.scripts.cache_clear()
