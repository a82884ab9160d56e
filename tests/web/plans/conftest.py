"""Fixtures for the plan pages' tests: what a page says, operations done behind the pages'
back, and proof that a refusal left no trace."""

import html
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from models import AuditEvent
from models.db import write_session
from tests.workflow.conftest import snapshot
from workflow import users

SUBMISSION = {"reference": "NV/THA/2026/0321", "publication_consent": "yes"}


def text(response) -> str:
    """The page's main content as a reader sees it: tags dropped, spaces collapsed."""
    page = response.get_data(as_text=True)
    main = page[page.index("<main"):page.index("</main>")]
    inline = re.sub(r"</?(span|ins|del)\b[^>]*>", "", main)  # no space where a mark begins
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", inline))).strip()


def actions_of(db: Session, plan_id: int) -> list[tuple[str, str]]:
    """The plan's audit events as (actor, action), oldest first."""
    db.rollback()  # a new snapshot: the page wrote in its own transaction
    return [(e.actor, e.action) for e in db.scalars(
        select(AuditEvent).where(AuditEvent.plan_id == plan_id).order_by(AuditEvent.seq))]


@contextmanager
def unchanged(engine: Engine) -> Iterator[None]:
    """`with unchanged(engine):` the block leaves every table row for row as it was: no
    state, version, review or audit event."""
    before = snapshot(engine)
    yield
    assert snapshot(engine) == before, "a refused page action left a trace"


@pytest.fixture
def call(session_factory, people) -> Callable[..., Any]:
    """call("drafter", service.fire, plan_id, "endorse"): one committed operation as a member
    of the cast, done behind the pages' back (as the API or another browser would)."""
    def run(who: str, operation: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        with write_session(session_factory) as session:
            return operation(session, users.get_user(session, people[who].username), *args,
                             **kwargs)
    return run
