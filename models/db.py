"""Engines and sessions: SQLite in WAL mode with write locks taken up front, or PostgreSQL."""

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

from models.audit import canonical_json
from models.base import Base

WRITE_LOCK = "napflow_write"


def json_text(value: Any) -> str:
    """How JSON columns are written: canonical JSON (the audit hash's form of `data`), so the
    verifier can hash an event's stored text as it is (workflow/audit_sql.py). A value holding
    a lone surrogate, which UTF-8 cannot carry, gets ASCII escapes instead, as before (no audit
    event holds one: its hash is taken over UTF-8)."""
    text = canonical_json(value)
    if not text.isascii():
        try:
            text.encode("utf-8")
        except UnicodeEncodeError:
            return json.dumps(value, sort_keys=True, separators=(",", ":"))
    return text


def make_engine(url: str, *, busy_timeout: float = 30.0, pool_size: int = 5,
                statement_timeout: float = 0, lock_timeout: float = 0) -> Engine:
    """An engine for `url`; on SQLite, a transaction meant to write begins with BEGIN IMMEDIATE.

    pysqlite's own deferred BEGIN lets two writers both read, then fail on upgrade with
    "database is locked"; taking the write lock first makes them queue behind busy_timeout.
    On PostgreSQL, `pool_size` connections are kept per process, and the timeouts (seconds,
    0 for none) are set on each connection as it opens.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(with_timeouts(parsed, statement_timeout, lock_timeout),
                             pool_size=pool_size, pool_pre_ping=True, future=True,
                             json_serializer=json_text)
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout, "check_same_thread": False},
        json_serializer=json_text,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        _use_wal(cursor, busy_timeout)
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE_LOCK, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _use_wal(cursor, busy_timeout: float) -> None:
    """Put the database file in WAL mode (it stays so). Turning a new file to WAL needs the
    file to itself, and SQLite answers "database is locked" at once, without its busy
    handler, while another connection holds a transaction on it (two servers starting on a
    new file, one already migrating): try again until busy_timeout has passed."""
    deadline = time.monotonic() + busy_timeout
    while True:
        try:
            cursor.execute("PRAGMA journal_mode=WAL")
            return
        except sqlite3.OperationalError as error:
            if "locked" not in str(error) or time.monotonic() >= deadline:
                raise
            time.sleep(0.01)


def with_timeouts(url: URL, statement_timeout: float, lock_timeout: float) -> URL:
    """`url` with PostgreSQL's statement_timeout and lock_timeout added to its libpq
    `options` (after any it has, such as a search_path): the server applies them as each
    connection starts, with no statement of ours on every checkout."""
    # In whole milliseconds, at least 1: a 0 would mean "no limit".
    settings = [f"-c {name}={max(1, round(value * 1000))}" for name, value in
                (("statement_timeout", statement_timeout), ("lock_timeout", lock_timeout))
                if value]
    if not settings:
        return url
    options = " ".join(filter(None, [url.query.get("options"), *settings]))
    return url.update_query_dict({"options": options})


def create_schema(engine: Engine) -> None:
    """The schema straight from the models (create_all, with the triggers their DDL events
    add), stamped at the migrations' head with the workflows' waiting roles copied in, as an
    upgrade leaves it: for the tests and benchmarks, which build many databases (faster: 38
    ms against 254 ms on SQLite, 264 against 453 on PostgreSQL, under load). napflow's
    commands build and upgrade a database by its migrations (runtime/schema.py);
    tests/migrations prove both give the same schema, triggers and functions included."""
    # Imported here: the migrations' environment imports the models.
    from runtime.schema import stamp_head

    Base.metadata.create_all(engine)
    stamp_head(engine)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


@contextmanager
def committing(session: Session) -> Iterator[Session]:
    """`session`'s transaction, committed when the block ends, rolled back if it raises."""
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One writing transaction: committed when the block ends, rolled back if it raises."""
    session = factory()
    session.connection(execution_options={WRITE_LOCK: True})
    try:
        with committing(session):
            yield session
    finally:
        session.close()
