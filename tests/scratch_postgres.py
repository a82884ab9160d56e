"""A whole scratch PostgreSQL database (not a schema) and the client programs, for tests that
work as an operator does: pg_dump, pg_restore, psql and createdb take a database, not a schema."""

import os
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import make_url, text
from sqlalchemy.exc import OperationalError

from models.db import make_engine
from tests.conftest import PG_URL, REQUIRE_PG


def skip_unless(*programs: str) -> None:
    """Skip (in CI, where NAPFLOW_REQUIRE_POSTGRES=1, fail) when a PostgreSQL client program
    (or curl) is missing."""
    missing = [name for name in programs if shutil.which(name) is None]
    if missing:
        package = "curl" if missing == ["curl"] else "postgresql-client"
        reason = f"{', '.join(missing)} not installed (Debian: apt-get install -y {package})"
        if REQUIRE_PG:
            pytest.fail(reason + "; NAPFLOW_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)


def libpq_env() -> dict[str, str]:
    """The test server as libpq's variables: what the client programs and the README read."""
    url = make_url(PG_URL)
    return {"PGHOST": url.host or "127.0.0.1", "PGPORT": str(url.port or 5432),
            "PGUSER": url.username or "postgres",
            **({"PGPASSWORD": url.password} if url.password else {})}


def database_url(name: str) -> str:
    """The SQLAlchemy URL of database `name` on the test server."""
    return make_url(PG_URL).set(database=name).render_as_string(hide_password=False)


@contextmanager
def admin() -> Iterator:
    """A connection to the test server, outside any transaction (CREATE/DROP DATABASE); skip
    (in CI, fail) when the server cannot be reached."""
    engine = make_engine(PG_URL)
    try:
        conn = engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    except OperationalError as err:
        engine.dispose()
        reason = f"PostgreSQL not reachable at {PG_URL} ({err.orig.__class__.__name__})"
        if REQUIRE_PG:
            pytest.fail(reason + "; NAPFLOW_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason)
    try:
        yield conn
    finally:
        conn.close()
        engine.dispose()


def unique_name(prefix: str) -> str:
    # Databases and roles are shared by the whole server: parallel runs need their own names.
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


def drop_databases(*names: str) -> None:
    """Drop these databases if they exist, whoever is still connected (PostgreSQL 13+)."""
    with admin() as conn:
        for name in names:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@contextmanager
def scratch_databases(prefix: str, count: int) -> Iterator[list[str]]:
    """`count` unique database names, each created by the test (createdb, pg_restore...);
    whichever of them exist are dropped afterwards."""
    names = [unique_name(f"{prefix}{i}") for i in range(count)]
    with admin():
        pass  # skip (or fail) now if the server is not there
    try:
        yield names
    finally:
        drop_databases(*names)
