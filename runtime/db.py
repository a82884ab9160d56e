"""The database as the app sees it (API and pages): one engine per app, a session per request."""

from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from models.db import WRITE_LOCK, create_schema, make_engine, make_session_factory


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]

    def create_schema(self) -> None:
        create_schema(self.engine)


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or f"sqlite:///{app.instance_path}/napflow.db"
    engine = make_engine(url, busy_timeout=app.config["SQLITE_BUSY_TIMEOUT"])
    app.extensions["napflow.db"] = Database(url, engine, make_session_factory(engine))
    # Per request, not per app context: a test (or a CLI command) may run several requests
    # inside one app context, and each must start from a fresh session.
    app.teardown_request(_close_session)


def database() -> Database:
    return current_app.extensions["napflow.db"]


def session() -> Session:
    """This request's session (created on first use)."""
    if "db" not in g:
        g.db = database().sessions()
    return g.db


def begin_write() -> Session:
    """End the request's reads so far and start its one writing transaction.

    On SQLite this is BEGIN IMMEDIATE: concurrent writers queue for the lock instead of
    failing on upgrade; on PostgreSQL rows are locked by the operations themselves.
    """
    s = session()
    if s.in_transaction():
        s.commit()
    s.connection(execution_options={WRITE_LOCK: True})
    return s


def locks_all_on_begin() -> bool:
    """True on SQLite, where the writing transaction holds the whole database from its start."""
    return database().engine.dialect.name == "sqlite"


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.rollback()
        s.close()
