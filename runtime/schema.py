"""Where the database's schema stands, and bringing it to head: Alembic run from code.

Every command runs on a connection napflow opens, in one transaction taken with the write lock
(SQLite: BEGIN IMMEDIATE; PostgreSQL: an advisory lock held to the commit), so two servers or
operators upgrading at once run the migrations once, one after the other, and a migration that
fails leaves the database as it was (PostgreSQL and SQLite both roll DDL back).
"""

from argparse import Namespace
from dataclasses import dataclass
from functools import cache
from io import StringIO

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory
from sqlalchemy import Connection, Engine, inspect, text

from migrations import LOCATION
from models.db import WRITE_LOCK
from models.status_counts import sync_waiting_roles

# pg_advisory_xact_lock's key for schema changes: any fixed number unlikely to be another
# application's ("napf" in ASCII).
MIGRATION_LOCK = 0x6E617066


class SchemaError(Exception):
    """The database is not one napflow can bring to head (its message says why)."""


@dataclass(frozen=True)
class Upgraded:
    before: str | None  # the revision the database was at; None: no schema, or pre-Alembic
    after: str
    adopted: str | None  # a database made before migrations: the revision it was found at
    recounted: bool = False  # the waiting roles' copy differed: every plan counted again


def config(connection: Connection | None = None) -> Config:
    """Alembic's configuration for napflow: no alembic.ini, the scripts where napflow is
    installed, and the connection env.py runs on."""
    # Quiet: napflow's commands say what was done in their own words.
    cfg = Config(stdout=StringIO(), cmd_opts=Namespace(quiet=True))
    cfg.set_main_option("script_location", str(LOCATION))
    cfg.attributes["connection"] = connection
    return cfg


@cache
def scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def head() -> str:
    return scripts().get_current_head()


def revisions() -> list[Script]:
    """Every migration, oldest first."""
    return list(reversed(list(scripts().walk_revisions())))


def current(connection: Connection) -> str | None:
    """The revision the database is stamped at; None when it has no alembic_version."""
    return MigrationContext.configure(connection).get_current_revision()


def napflow_tables(connection: Connection) -> set[str]:
    return {name for name in inspect(connection).get_table_names()
            if name != "alembic_version"}


def _locked(engine: Engine) -> Connection:
    connection = engine.connect().execution_options(**{WRITE_LOCK: True})
    connection.begin()
    if engine.dialect.name == "postgresql":
        # The lock is one per database, whatever the schema, and is held for a whole
        # migration: a `lock_timeout` set for requests (NAPFLOW_LOCK_TIMEOUT, or the URL's
        # options) must not make a server starting beside another give up on it.
        connection.execute(text("SET LOCAL lock_timeout = 0"))
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        connection.execute(text("RESET lock_timeout"))
    return connection


def upgrade(engine: Engine, target: str = "head") -> Upgraded:
    """Bring the database to `target`: an empty one is built by every migration; one made
    before migrations (tables, no alembic_version) is recognised, stamped at the revision it
    matches and upgraded from there, never recreated."""
    from runtime.adopt import adopt  # it builds scratch databases with this module

    with _locked(engine) as connection:
        before = current(connection)
        adopted = None
        if before is None and napflow_tables(connection):
            adopted = adopt(connection)
            command.stamp(config(connection), adopted)
        command.upgrade(config(connection), target)
        after = current(connection)
        recounted = after == head() and copy_waiting_roles(connection)
        connection.commit()
    return Upgraded(before, after, adopted, recounted)


def stamp_head(engine: Engine) -> None:
    """Record that the database is at head without running a migration, and copy the waiting
    roles in as an upgrade does: for a schema built from the models (tests, benchmarks),
    which tests/migrations proves equal to head's."""
    with _locked(engine) as connection:
        command.stamp(config(connection), "head")
        copy_waiting_roles(connection)
        connection.commit()


def copy_waiting_roles(connection: Connection) -> bool:
    """Make the database's copy of the roles each workflow state waits on (waiting_roles,
    which status_counts' triggers read) the definitions' own, counting every plan again if
    it differed; whether it did. Run at head, in the upgrade's transaction: a migration
    cannot know the definitions (code that changes after it is written), so 0005 leaves the
    copy empty and this fills it, and a release whose definitions changed refreshes it."""
    from workflow.engine import default_registry  # the workflows import the models

    return sync_waiting_roles(connection, {
        (workflow.key, state, role) for workflow in default_registry()
        for state in workflow.states for role in workflow.waiting_on(state)})


def at_head(connection: Connection) -> bool:
    return current(connection) == head()


def new_revision(engine: Engine, message: str) -> Script | None:
    """Write the next migration (numbered 0004, 0005...) from the difference between the
    models and the database, which must be at head; None when they do not differ."""
    with engine.connect() as connection:
        if not at_head(connection):
            raise SchemaError("the database is not at head: run `napflow db upgrade` first, "
                              "so the new migration holds only the models' new changes")
        number = f"{int(head()) + 1:04d}"
        written = command.revision(config(connection), message=message, autogenerate=True,
                                   rev_id=number)
    # A list when several were written (never here), empty when the models match.
    if isinstance(written, list):
        return written[0] if written else None
    return written
