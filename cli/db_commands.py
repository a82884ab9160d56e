"""`napflow db ...` and `napflow init-db`: the schema, built and upgraded by the migrations."""

from collections.abc import Iterator
from contextlib import contextmanager

import click
from flask.cli import with_appcontext
from sqlalchemy.exc import OperationalError

from runtime import adopt, schema


def _database():
    from runtime.db import database

    return database()


@contextmanager
def schema_errors() -> Iterator[None]:
    """A database napflow cannot use, or cannot reach, is a one-line error (exit 1)."""
    try:
        yield
    except schema.SchemaError as err:
        raise click.ClickException(str(err)) from None
    except OperationalError as err:
        raise click.ClickException(f"cannot reach the database: {err.orig}") from None


def bring_to_head() -> None:
    """Upgrade the app's database to head and say what was done."""
    with schema_errors():
        done = schema.upgrade(_database().engine)
    if done.adopted:
        click.echo(f"database made before migrations: found at {done.adopted}, stamped there")
    start = done.before or done.adopted
    if start is None:
        click.echo(f"schema created at {done.after} (head)")
    elif start == done.after:
        click.echo(f"schema at {done.after} (head): nothing to upgrade")
    else:
        click.echo(f"schema upgraded from {start} to {done.after} (head)")


@click.command("init-db")
@with_appcontext
def init_db_command() -> None:
    """Create the schema, or bring an older one to head (as `napflow db upgrade`)."""
    bring_to_head()
    url = _database().engine.url.render_as_string(hide_password=True)
    click.echo(f"schema ready in {url}")


@click.group("db")
def db_group() -> None:
    """Where the database's schema stands, and its migrations."""


@db_group.command("upgrade")
@with_appcontext
def db_upgrade() -> None:
    """Bring the database to head: an empty one is built, an older one migrated (a database
    made before migrations is recognised and stamped first, never recreated)."""
    bring_to_head()


def describe(connection) -> str:
    """Where the database stands, in one line."""
    at, head = schema.current(connection), schema.head()
    if at == head:
        return f"{at} (head)"
    if at is not None:
        return f"{at} (head is {head}: run `napflow db upgrade`)"
    if not schema.napflow_tables(connection):
        return "empty: no schema (run `napflow init-db`)"
    found = adopt.recognise(adopt.observed(connection)[0]).name
    return (f"made before migrations, matches {found} (`napflow db upgrade` stamps it there "
            f"and upgrades it to {head})")


@db_group.command("current")
@with_appcontext
def db_current() -> None:
    """Print the revision the database is at, and whether that is head."""
    with schema_errors(), _database().engine.connect() as connection:
        click.echo(describe(connection))


@db_group.command("history")
@with_appcontext
def db_history() -> None:
    """List the migrations, newest first, marking head and the database's revision."""
    with schema_errors(), _database().engine.connect() as connection:
        at = schema.current(connection)
    for script in reversed(schema.revisions()):
        marks = [mark for mark, holds in (("head", script.is_head),
                                          ("current", script.revision == at)) if holds]
        suffix = f" ({', '.join(marks)})" if marks else ""
        click.echo(f"{script.revision}{suffix}  {script.doc}")


@db_group.command("revision")
@click.option("-m", "--message", required=True, help="What the change is, in a few words.")
@with_appcontext
def db_revision(message: str) -> None:
    """Write the next migration from what the models have and the database (at head) lacks
    (Alembic's autogenerate); read it, add triggers and data by hand, and test it."""
    with schema_errors():
        written = schema.new_revision(_database().engine, message)
    if written is None:
        click.echo("the models and the database do not differ: no migration written")
    else:
        click.echo(f"migration {written.revision} written to {written.path}")
