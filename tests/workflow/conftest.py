"""Workflow test fixtures: act as someone, and prove that refusals leave no trace."""

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, select

from models import Base, Plan
from models.db import write_session
from workflow import users
from workflow.errors import NapflowError

REQUEST = {  # what a caller sends with each trigger, so that only the guard under test can fail
    "request_changes": {"comment": "please add customs measures"},
    "return": {"comment": "the period is too short"},
    "withdraw": {"comment": "superseded"},
    "submit_to_committee": {"data": {"reference": "NV/2026/17", "publication_consent": True}},
}


@pytest.fixture
def request_for() -> Callable[[str], dict[str, Any]]:
    """request_for("withdraw") -> {"comment": ...}: a complete request for that trigger."""
    return lambda trigger: dict(REQUEST.get(trigger, {}))


def snapshot(engine: Engine) -> dict[str, list[tuple]]:
    """Every row of every table, in key order: plans, versions, reviews, audit events, users..."""
    with engine.connect() as conn:
        return {table.name: [tuple(row) for row in conn.execute(
                    select(table).order_by(*table.primary_key.columns))]
                for table in Base.metadata.sorted_tables}


@pytest.fixture
def call(session_factory, people) -> Callable[..., Any]:
    """call("drafter", service.fire, plan_id, "endorse"): one committed operation as a person
    of the cast, or as any other user by username."""
    def run(name: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with write_session(session_factory) as session:
            actor = users.get_user(session, people[name].username if name in people else name)
            return operation(session, actor, *args, **kwargs)
    return run


@pytest.fixture
def all_rows(engine) -> Callable[[], dict[str, list[tuple]]]:
    return lambda: snapshot(engine)


@pytest.fixture
def unchanged(engine) -> Callable[[], AbstractContextManager[None]]:
    """`with unchanged():` the block leaves the database row for row as it found it."""
    @contextmanager
    def check() -> Iterator[None]:
        before = snapshot(engine)
        yield
        assert snapshot(engine) == before, "a refused operation left a trace"
    return check


@pytest.fixture
def refused(call, unchanged) -> Callable[..., NapflowError]:
    """refused(Forbidden, "viewer", service.fire, ...): the operation raises exactly that error,
    and the database is row for row what it was before (no state, version, review or event)."""
    def run(expected: type[NapflowError], name: str, operation: Callable[..., Any],
            *args: Any, **kwargs: Any) -> NapflowError:
        with unchanged(), pytest.raises(NapflowError) as info:
            call(name, operation, *args, **kwargs)
        err = info.value
        assert type(err) is expected, f"{name}: expected {expected.__name__}, got {err!r}"
        assert (err.status, err.code) == (expected.status, expected.code)
        return err
    return run


@pytest.fixture
def plan_row(session_factory) -> Callable[[int], Plan]:
    def read(plan_id: int) -> Plan:
        with session_factory() as session:
            return session.get(Plan, plan_id)
    return read
