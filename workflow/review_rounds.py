"""Whether each reviewer owes a decision now (ReviewerAssignment.round_open), kept exact.

A round is open when the plan is in a state with reviews open and the reviewer has no
decision on its current revision and content version. What can change that is a transition
into or out of such a state, a review recorded, a new content version or revision, and an
assignment added; each of those operations (workflow/service.py) calls `refresh_rounds` in
its own transaction, after its writes. The rule lives in one statement so that every caller,
and the tests that recompute it from scratch (`open_rounds`), read the same definition. A
database made before the flag got its open rounds from migration 0003 (this rule, in SQL).
"""

from functools import cache

from sqlalchemy import ColumnElement, Update, and_, bindparam, false, or_, select, update
from sqlalchemy.orm import Session

from models import Plan, Review, ReviewerAssignment
from workflow.engine import default_registry

ASSIGNMENTS, REVIEWS = ReviewerAssignment.__table__, Review.__table__


def _decided(revision, content_version) -> ColumnElement[bool]:
    # The assignment (and plan) are the enclosing statement's, however deep it nests this.
    return select(REVIEWS.c.id).where(
        REVIEWS.c.plan_id == ASSIGNMENTS.c.plan_id, REVIEWS.c.user_id == ASSIGNMENTS.c.user_id,
        REVIEWS.c.revision == revision, REVIEWS.c.content_version == content_version,
    ).correlate_except(REVIEWS).exists()


@cache
def _reopen() -> Update:
    # Only the rows whose flag is wrong are written (open although decided, or the reverse),
    # so the count triggers see no change where there is none.
    decided = _decided(bindparam("revision"), bindparam("content_version"))
    return (update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.plan_id == bindparam("plan"), ASSIGNMENTS.c.round_open == decided)
            .values(round_open=~decided))


@cache
def _close() -> Update:
    return (update(ASSIGNMENTS)
            .where(ASSIGNMENTS.c.plan_id == bindparam("plan"), ASSIGNMENTS.c.round_open)
            .values(round_open=false()))


def reviews_open(plan: Plan) -> bool:
    workflow = default_registry().get(plan.workflow)
    return bool(workflow and plan.state in workflow.states
                and workflow.states[plan.state].reviews_open)


def refresh_rounds(session: Session, plan: Plan) -> None:
    """Set the plan's assignments' round_open from its state, revision and content version
    as they are now in this transaction (pending ORM writes are flushed first)."""
    session.flush()
    if reviews_open(plan):
        session.connection().execute(_reopen(), {
            "plan": plan.id, "revision": plan.revision, "content_version": plan.content_version})
    else:
        session.connection().execute(_close(), {"plan": plan.id})


def open_rounds() -> ColumnElement[bool]:
    """The definition from scratch, as an SQL condition on ReviewerAssignment joined to its
    Plan: for tests and checks that the kept flag equals it."""
    states = [and_(Plan.workflow == w.key, Plan.state.in_(
        [s.name for s in w.states.values() if s.reviews_open])) for w in default_registry()]
    return and_(or_(*states) if states else false(),
                ~_decided(Plan.revision, Plan.content_version))
