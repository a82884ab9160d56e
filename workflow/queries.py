"""Read-side queries: what each caller may see of plans, versions, reviews and the audit log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    ContentVersion,
    Grant,
    Plan,
    Review,
    ReviewerAssignment,
    User,
    as_utc,
)
from workflow import overview
from workflow.access import committee_only, visible_plans
from workflow.errors import Forbidden, NotFound
from workflow.service import available_triggers, shown_content
from workflow.versions import version_of

# Events the Committee never sees, even after submission: national drafting and reviewing
# (in a plan's history here, and in audit search, workflow/audit_search.py).
NATIONAL_ACTIONS = ("create", "edit", "assign_reviewer", "remove_reviewer", "review",
                    "request_changes")


@dataclass
class Page:
    items: list[Any]
    next_after: int | None


def page(session: Session, query: Select, key, after: int | None, limit: int, *,
         descending: bool = False) -> Page:
    """Keyset pagination on an increasing integer `key`: stable under concurrent inserts
    (`descending`: largest first, `after` then the smallest key of the previous page)."""
    if after is not None:
        query = query.where(key < after if descending else key > after)
    rows = list(session.scalars(
        query.order_by(key.desc() if descending else key).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, getattr(rows[-1], key.key) if more and rows else None)


# -- plans -----------------------------------------------------------------------------
def shown_version(session: Session, user: User, plan: Plan) -> ContentVersion:
    """The content version this caller sees: the Committee sees only what was submitted."""
    if committee_only(user, plan):
        return session.scalars(select(ContentVersion).where(
            ContentVersion.plan_id == plan.id, ContentVersion.submitted.is_(True))
            .order_by(ContentVersion.number.desc()).limit(1)).one()
    return version_of(session, plan, plan.content_version)


def plan_view(session: Session, user: User, plan: Plan) -> dict[str, Any]:
    triggers = available_triggers(session, user, plan)  # builds the facts, content included
    if committee_only(user, plan):
        version = shown_version(session, user, plan)
        number, content = version.number, version.content
    else:
        number, content = plan.content_version, shown_content(session, plan)
    return {
        "id": plan.id, "country": plan.country, "title": plan.title, "workflow": plan.workflow,
        "state": plan.state, "revision": plan.revision, "content_version": number,
        "content": content, "submission": plan.submission,
        "available_triggers": triggers,
        "created_by": plan.created_by, "created_at": plan.created_at,
        "updated_at": plan.updated_at,
    }


def list_plans(session: Session, user: User, *, country: str | None = None,
               state: str | None = None, workflow: str | None = None,
               waiting_on: str | None = None, updated_since: datetime | None = None,
               sort: str = "id", after: Any = None, limit: int = 50) -> Page:
    """Visible plans by id, or with sort="updated" least recently updated first; `after` is
    then the (updated_at, id) of the last plan of the previous page."""
    query = select(Plan).where(visible_plans(user))
    for column, value in ((Plan.country, country), (Plan.state, state),
                          (Plan.workflow, workflow)):
        if value is not None:
            query = query.where(column == value)
    if waiting_on is not None:
        query = query.where(overview.waiting_on(waiting_on))
    if updated_since is not None:
        query = query.where(Plan.updated_at >= updated_since)
    if sort != "updated":
        return page(session, query, Plan.id, after, limit)
    if after is not None:
        at, last = after
        query = query.where(or_(Plan.updated_at > at,
                                and_(Plan.updated_at == at, Plan.id > last)))
    rows = list(session.scalars(query.order_by(Plan.updated_at, Plan.id).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, (as_utc(rows[-1].updated_at), rows[-1].id) if more and rows else None)


def list_versions(session: Session, user: User, plan: Plan, after: int | None,
                  limit: int) -> Page:
    query = select(ContentVersion).where(ContentVersion.plan_id == plan.id)
    if committee_only(user, plan):
        query = query.where(ContentVersion.submitted.is_(True))
    return page(session, query, ContentVersion.number, after, limit)


def get_version(session: Session, user: User, plan: Plan, number: int) -> ContentVersion:
    version = version_of(session, plan, number)
    if committee_only(user, plan) and not version.submitted:
        raise NotFound(f"plan {plan.id} has no content version {number}")
    return version


def _national_only(user: User, plan: Plan, what: str) -> None:
    if committee_only(user, plan):
        raise Forbidden(f"the Committee does not see a plan's {what}")


def list_reviewers(session: Session, user: User, plan: Plan, after: int | None,
                   limit: int) -> Page:
    _national_only(user, plan, "reviewers")
    query = select(ReviewerAssignment).where(ReviewerAssignment.plan_id == plan.id)
    return page(session, query, ReviewerAssignment.id, after, limit)


def list_reviews(session: Session, user: User, plan: Plan, after: int | None,
                 limit: int) -> Page:
    _national_only(user, plan, "reviews")
    return page(session, select(Review).where(Review.plan_id == plan.id), Review.id, after,
                limit)


def assignable_reviewers(session: Session, user: User, plan: Plan) -> list[str]:
    """Usernames holding `reviewer` for the plan's country and not assigned to it yet, by
    name: whom the drafter may choose from (assign_reviewer refuses anyone else)."""
    _national_only(user, plan, "reviewers")
    assigned = select(ReviewerAssignment.user_id).where(ReviewerAssignment.plan_id == plan.id)
    return list(session.scalars(
        select(User.username).join(Grant, Grant.user_id == User.id)
        .where(Grant.role == "reviewer", Grant.country == plan.country,
               User.id.not_in(assigned))
        .order_by(User.username)))


def last_reviewed_version(session: Session, user: User, plan: Plan) -> int | None:
    """The content version `user` last gave a decision on, in any revision: where the
    reviewer's "changes since the version I last reviewed" starts. None if it never did."""
    return session.scalar(select(Review.content_version)
                          .where(Review.plan_id == plan.id, Review.user_id == user.id)
                          .order_by(Review.id.desc()).limit(1))


def last_reviewed_versions(session: Session, user: User, plan_ids: set[int]) -> dict[int, int]:
    """last_reviewed_version of each of `plan_ids` the user ever reviewed, in one query (My
    tasks: a page of review tasks)."""
    if not plan_ids:
        return {}
    latest = (select(func.max(Review.id)).where(Review.user_id == user.id,
                                                Review.plan_id.in_(plan_ids))
              .group_by(Review.plan_id))
    return dict(session.execute(select(Review.plan_id, Review.content_version)
                                .where(Review.id.in_(latest))).all())


# -- audit -------------------------------------------------------------------------------
def _committee_events(plan: Plan):
    return and_(AuditEvent.seq >= plan.committee_from_seq,
                AuditEvent.action.not_in(NATIONAL_ACTIONS))


def history(session: Session, user: User, plan: Plan, after: int | None, limit: int, *,
            newest_first: bool = False) -> Page:
    query = select(AuditEvent).where(AuditEvent.plan_id == plan.id)
    if committee_only(user, plan):
        query = query.where(_committee_events(plan))
    return page(session, query, AuditEvent.seq, after, limit, descending=newest_first)
