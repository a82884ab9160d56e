"""The backup and restore drill (issue 8, part 5), as an operator runs it: a PostgreSQL
database holding plans and events is dumped with pg_dump and restored with pg_restore into a
new database, where `napflow audit verify --against` the head published before the dump
passes; an older dump restored is caught against a newer head, and says it is behind.

On PostgreSQL the dump and restore are PostgreSQL's own programs, run on whole databases of
the test's own (created and dropped here, uniquely named, so parallel runs do not collide); on
SQLite the backup is a copy of the file."""

import sqlite3
import subprocess

import pytest

from tests.crash.conftest import CLI, server_env
from tests.scratch_postgres import database_url, libpq_env, scratch_databases, skip_unless

# Argon2 at its cheapest: the demo sets a password for each of its users, and this test is
# about the log, not about the passwords' cost.
CHEAP_PASSWORDS = {"NAPFLOW_PASSWORD_TIME_COST": "1", "NAPFLOW_PASSWORD_MEMORY_KIB": "8",
                   "NAPFLOW_PASSWORD_PARALLELISM": "1"}


def run(*args: str, env: dict[str, str], ok: bool = True) -> subprocess.CompletedProcess:
    result = subprocess.run(args, env=env, capture_output=True, text=True, timeout=120)
    if ok:
        assert result.returncode == 0, f"{args}: {result.stdout}{result.stderr}"
    return result


@pytest.fixture
def drill(tmp_path):
    """napflow(database, *args) and pg(program, *args), both pointed at the test server."""
    skip_unless("pg_dump", "pg_restore", "psql", "createdb")
    with scratch_databases("napflow_drill", 3) as names:
        def env(database: str) -> dict[str, str]:
            return {**server_env(database_url(database), **CHEAP_PASSWORDS), **libpq_env()}

        class Drill:
            original, restored, restored_old = names
            dump = tmp_path / "napflow.dump"

            @staticmethod
            def napflow(database: str, *args: str, ok: bool = True):
                return run(*CLI, *args, env=env(database), ok=ok)

            @staticmethod
            def pg(*args: str, ok: bool = True):
                return run(*args, env=env("postgres"), ok=ok)

            def restore(self, database: str) -> None:
                self.pg("createdb", database)
                # --no-owner: the restoring role owns what it restores, as on a new server
                # whose roles need not match the old one's.
                self.pg("pg_restore", "--no-owner", "--exit-on-error", "--dbname", database,
                        str(self.dump))

        yield Drill()


def events_in(drill, database: str) -> int:
    result = drill.pg("psql", "-d", database, "-Atc", "SELECT count(*) FROM audit_events")
    return int(result.stdout)


@pytest.mark.postgresql
def test_a_restored_backup_verifies_against_the_head_published_before_it(drill):
    drill.pg("createdb", drill.original)
    drill.napflow(drill.original, "init-db")
    demo = drill.napflow(drill.original, "demo", "--tokens-file", str(drill.dump.with_name(
        "tokens.env")))
    assert "plans created" in demo.stdout
    head = drill.napflow(drill.original, "audit", "head").stdout.strip()
    assert head.startswith("napflow-head-v1:")
    drill.pg("pg_dump", "-Fc", "--file", str(drill.dump), drill.original)

    drill.restore(drill.restored)
    assert events_in(drill, drill.restored) == events_in(drill, drill.original) > 100
    verified = drill.napflow(drill.restored, "audit", "verify", "--against", head)
    assert verified.stdout.startswith("audit log intact"), verified.stdout
    assert f"matches {head}" in verified.stdout
    assert drill.napflow(drill.restored, "db", "current").stdout.strip().endswith("(head)")

    # The append-only guards are triggers: pg_dump carries them, and they still refuse.
    for statement in ("UPDATE audit_events SET actor = 'mallory' WHERE id = 1",
                      "DELETE FROM audit_events WHERE id = 1", "TRUNCATE audit_events CASCADE"):
        refused = drill.pg("psql", "-v", "ON_ERROR_STOP=1", "-d", drill.restored,
                           "-c", statement, ok=False)
        assert refused.returncode != 0, statement
        assert "append-only" in refused.stderr or "audit" in refused.stderr, refused.stderr
    assert drill.napflow(drill.restored, "audit", "verify", "--against", head).returncode == 0


@pytest.mark.postgresql
def test_an_older_backup_restored_is_caught_against_a_newer_head(drill):
    drill.pg("createdb", drill.original)
    drill.napflow(drill.original, "init-db")
    drill.napflow(drill.original, "demo", "--tokens-file", str(drill.dump.with_name("t.env")))
    drill.pg("pg_dump", "-Fc", "--file", str(drill.dump), drill.original)
    dumped = drill.napflow(drill.original, "audit", "head").stdout.strip()

    # The log grows after the dump, and a newer head is published.
    drill.napflow(drill.original, "users", "add", "late-viewer", "--grant", "viewer:THA")
    drill.napflow(drill.original, "users", "grant", "late-viewer", "viewer:VNM")
    newer = drill.napflow(drill.original, "audit", "head").stdout.strip()
    assert drill.napflow(drill.original, "audit", "verify", "--against", newer).returncode == 0

    drill.restore(drill.restored_old)
    behind = drill.napflow(drill.restored_old, "audit", "verify", "--against", newer, ok=False)
    assert behind.returncode == 1, behind.stdout + behind.stderr
    watermark = int(newer.split(":")[1])
    last = int(dumped.split(":")[1])  # the dump's last event
    assert last < watermark
    assert behind.stdout.strip() == (
        f"audit log BROKEN: the chains up to event {watermark} no longer match the published "
        f"head: the log is behind it: it ends at event {last}, the events after it up to "
        f"{watermark} are missing (an older backup restored, or the newest events removed)")
    # Its own chains are whole: only the published head can tell that it is behind.
    assert drill.napflow(drill.restored_old, "audit", "verify").returncode == 0


@pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)
def test_an_older_sqlite_copy_is_caught_against_a_newer_head(make_plan, engine, engines,
                                                            napflow, tmp_path):
    """The same drill on SQLite, whose backup is a copy of the file (the backup API, which
    takes the pages written to the WAL as well)."""
    make_plan("approved")
    copy = tmp_path / "backup.db"
    with engine.connect() as conn, sqlite3.connect(copy) as target:
        conn.connection.dbapi_connection.backup(target)
    kept = napflow(engine, "audit", "head").output.strip()
    make_plan("draft", country="VNM")  # the log grows after the backup
    newer = napflow(engine, "audit", "head").output.strip()

    restored = engines(f"sqlite:///{copy}")
    assert napflow(restored, "audit", "verify", "--against", kept).exit_code == 0
    behind = napflow(restored, "audit", "verify", "--against", newer)
    assert behind.exit_code == 1, behind.output
    assert f"the log is behind it: it ends at event {kept.split(':')[1]}, the events after " \
           f"it up to {newer.split(':')[1]} are missing" in behind.output
