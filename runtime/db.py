"""The database as the app sees it (API and pages): one engine per app, a session per request."""

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from itertools import count
from typing import TypeVar

from flask import Flask, current_app, g, request
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from models.db import WRITE_LOCK, make_engine, make_session_factory

T = TypeVar("T")
log = logging.getLogger(__name__)


@dataclass
class Database:
    url: str
    engine: Engine
    sessions: sessionmaker[Session]


def init_app(app: Flask) -> None:
    url = app.config.get("DATABASE_URL") or f"sqlite:///{app.instance_path}/napflow.db"
    config = app.config
    engine = make_engine(url, busy_timeout=config["SQLITE_BUSY_TIMEOUT"],
                         pool_size=config["DB_POOL_SIZE"],
                         statement_timeout=config["STATEMENT_TIMEOUT"],
                         lock_timeout=config["LOCK_TIMEOUT"])
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
    failing on upgrade; on PostgreSQL a plan's row is locked when it is read
    (`workflow.access.load_plan`).
    """
    s = session()
    if s.in_transaction():
        s.commit()
    s.connection(execution_options={WRITE_LOCK: True})
    return s


# PostgreSQL may give up on a transaction that did nothing wrong: a deadlock (40P01), a
# serialization failure (40001) or a lock it waited for too long (55P03, `lock_timeout`). It
# then changed nothing, so the API's request or the page's action can run again whole.
RETRY_SQLSTATES = frozenset({"40001", "40P01", "55P03"})
BACKOFF_SECONDS = 0.02  # the first pause's upper bound; it doubles with each attempt...
BACKOFF_CAP_SECONDS = 0.5  # ...up to this


# PostgreSQL cancelled a statement that ran past `statement_timeout` (57014): running it again
# would take as long, so the client is told at once (503) instead.
TIMEOUT_SQLSTATE = "57014"


def timed_out(err: DBAPIError) -> bool:
    return getattr(err.orig, "sqlstate", None) == TIMEOUT_SQLSTATE


def transient(err: DBAPIError) -> bool:
    """True when the database abandoned the transaction and asks for it to be run again."""
    return getattr(err.orig, "sqlstate", None) in RETRY_SQLSTATES


def run_again_if_abandoned(attempt: Callable[[], T],
                           before_again: Callable[[], object] = lambda: None) -> T:
    """`attempt()`: one transaction, which it commits, or rolls back when it raises. When
    the database abandoned it (`transient`), it runs again from the start after a random
    pause (so that the transactions that collided do not collide again), up to
    TRANSACTION_ATTEMPTS times; `before_again` first begins the next transaction if
    `attempt` does not. The API's writing requests and the pages' actions both run so."""
    attempts = current_app.config["TRANSACTION_ATTEMPTS"]
    for number in count(1):
        try:
            return attempt()
        except OperationalError as err:
            if number >= attempts or not transient(err):
                raise
            log.warning("%s %s: database asked for a retry (SQLSTATE %s), attempt %d of %d",
                        request.method, request.path, err.orig.sqlstate, number + 1,
                        attempts)
            time.sleep(random.uniform(0, min(BACKOFF_CAP_SECONDS,
                                             BACKOFF_SECONDS * 2 ** number)))
            before_again()
    raise AssertionError("unreachable: count() never ends")



def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db", None)
    if s is not None:
        s.rollback()
        s.close()
