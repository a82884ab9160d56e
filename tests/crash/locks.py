"""Make a server's write wait: the test holds, from its own connection, the lock it needs."""

import sqlite3
import time
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from models.db import make_engine, make_session_factory, write_session
from tests.conftest import SAMPLE_CONTENT
from workflow import service, users


@contextmanager
def holding_plan_lock(database_url: str, plan_id: int) -> Iterator[None]:
    """While inside, a request writing plan `plan_id` waits: on SQLite for the database's
    write lock (BEGIN IMMEDIATE, as napflow's writers take it), on PostgreSQL for the plan's
    row (SELECT ... FOR UPDATE, as the API's writing pipeline reads it)."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        connection = sqlite3.connect(url.database, isolation_level=None)
        try:
            connection.execute("BEGIN IMMEDIATE")
            yield
            connection.execute("ROLLBACK")
        finally:
            connection.close()
        return
    engine = create_engine(url)  # the URL's options carry the test's schema
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT id FROM plans WHERE id = :id FOR UPDATE"),
                               {"id": plan_id})
            yield
            connection.rollback()
    finally:
        engine.dispose()


def plan_in_review_ready(database_url: str, title: str = "Plan under way") -> int:
    """A new plan in draft with a reviewer assigned: `submit_for_review` will succeed."""
    engine = make_engine(database_url)
    try:
        with write_session(make_session_factory(engine)) as session:
            drafter = users.get_user(session, "drafter")
            plan = service.create_plan(session, drafter, country="THA", title=title,
                                       content=SAMPLE_CONTENT)
            service.assign_reviewer(session, drafter, plan.id, username="reviewer")
            return plan.id
    finally:
        engine.dispose()


# SQLite does not say who waits for its lock: the write is given this long to reach it.
SQLITE_REACH_SECONDS = 1.5


def wait_until_waiting(database_url: str, within: float = 20.0) -> None:
    """Return once a server's transaction waits for the lock `holding_plan_lock` holds."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite":
        time.sleep(SQLITE_REACH_SECONDS)
        return
    engine = create_engine(url)
    try:
        deadline = time.monotonic() + within
        with engine.connect() as connection:
            while time.monotonic() < deadline:
                waiting = connection.scalar(text(
                    "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                    "AND datname = current_database()"))
                connection.rollback()
                if waiting:
                    return
                time.sleep(0.05)
        raise AssertionError(f"no transaction waited for the plan's lock within {within}s")
    finally:
        engine.dispose()
