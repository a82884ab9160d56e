"""Engines and sessions: SQLite in WAL mode with write locks taken up front, or PostgreSQL."""

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.schema import CreateColumn

from models.audit import canonical_json
from models.base import Base
from models.status_counts import sync_waiting_roles

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


def make_engine(url: str, *, busy_timeout: float = 30.0) -> Engine:
    """An engine for `url`; on SQLite, a transaction meant to write begins with BEGIN IMMEDIATE.

    pysqlite's own deferred BEGIN lets two writers both read, then fail on upgrade with
    "database is locked"; taking the write lock first makes them queue behind busy_timeout.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True, future=True,
                             json_serializer=json_text)
    engine = create_engine(
        url, connect_args={"timeout": busy_timeout, "check_same_thread": False},
        json_serializer=json_text,
    )

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None  # we emit BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout * 1000)}")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        immediate = connection.get_execution_options().get(WRITE_LOCK, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def create_schema(engine: Engine) -> None:
    """Create every table (and the audit table's guard triggers) that does not exist yet, and
    every column and index a table that exists lacks (create_all leaves an existing table as
    it is). A column added later is nullable or has a server default, so adding it to a table
    with rows is always possible."""
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        columns = {table: {column["name"] for column in found}
                   for (_, table), found in inspect(conn).get_multi_columns().items()}
        for table in Base.metadata.sorted_tables:
            for column in table.columns:
                if column.name not in columns.get(table.name, {column.name}):
                    ddl = CreateColumn(column).compile(dialect=conn.dialect)
                    conn.exec_driver_sql(f'ALTER TABLE "{table.name}" ADD COLUMN {ddl}')
        # One catalog query for every table's indexes (on PostgreSQL), not one per index.
        present = {name for indexes in inspect(conn).get_multi_indexes().values()
                   for name in (index["name"] for index in indexes)}
        for table in Base.metadata.sorted_tables:
            for index in table.indexes:
                if index.name not in present:
                    index.create(conn)
    # The roles each state waits on, which status_counts' triggers read, are the workflow
    # definitions' (imported here: the models do not otherwise depend on the workflows).
    from workflow.engine import default_registry

    with engine.begin() as conn:
        sync_waiting_roles(conn, {(w.key, state, role) for w in default_registry()
                                  for state in w.states for role in w.waiting_on(state)})


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
