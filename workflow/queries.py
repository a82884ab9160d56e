"""Read-side queries: what each caller may see of plans, versions, reviews and the audit log."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session

from models import AuditEvent, ContentVersion, Plan, Review, ReviewerAssignment, User, isoformat
from workflow.access import committee_only, sees_all, visible_plans
from workflow.engine import default_registry
from workflow.errors import Forbidden, NotFound
from workflow.service import available_triggers, shown_content
from workflow.versions import version_of

# Events the Committee never sees, even after submission: national drafting and reviewing.
NATIONAL_ACTIONS = ("create", "edit", "assign_reviewer", "remove_reviewer", "review",
                    "request_changes")


@dataclass
class Page:
    items: list[Any]
    next_after: int | None


def page(session: Session, query: Select, key, after: int | None, limit: int) -> Page:
    """Keyset pagination on an increasing integer `key`: stable under concurrent inserts."""
    if after is not None:
        query = query.where(key > after)
    rows = list(session.scalars(query.order_by(key).limit(limit + 1)))
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
               after: int | None = None, limit: int = 50) -> Page:
    query = select(Plan).where(visible_plans(user))
    for column, value in ((Plan.country, country), (Plan.state, state),
                          (Plan.workflow, workflow)):
        if value is not None:
            query = query.where(column == value)
    return page(session, query, Plan.id, after, limit)


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


# -- audit -------------------------------------------------------------------------------
def _committee_events(plan: Plan):
    return and_(AuditEvent.seq >= plan.committee_from_seq,
                AuditEvent.action.not_in(NATIONAL_ACTIONS))


def history(session: Session, user: User, plan: Plan, after: int | None, limit: int) -> Page:
    query = select(AuditEvent).where(AuditEvent.plan_id == plan.id)
    if committee_only(user, plan):
        query = query.where(_committee_events(plan))
    return page(session, query, AuditEvent.seq, after, limit)


def audit_events(session: Session, user: User, *, country: str | None = None,
                 plan: int | None = None, actor: str | None = None, action: str | None = None,
                 since: datetime | None = None, until: datetime | None = None,
                 after: int | None = None, limit: int = 50) -> Page:
    """Every audit event the caller may see, oldest first, with the contract's filters."""
    national = [g.country for g in user.grants if g.role in
                ("drafter", "reviewer", "approver", "submitter", "viewer", "auditor")]
    visible = [AuditEvent.plan_id.in_(select(Plan.id).where(Plan.country.in_(national)))]
    if sees_all(user):
        visible = [AuditEvent.plan_id.is_not(None)]
    if user.holds("committee"):
        visible.append(and_(Plan.committee_from_seq.is_not(None),
                            AuditEvent.seq >= Plan.committee_from_seq,
                            AuditEvent.action.not_in(NATIONAL_ACTIONS)))
    if sees_all(user) or user.holds("admin"):
        visible.append(AuditEvent.plan_id.is_(None))  # users, grants and tokens
    query = (select(AuditEvent).outerjoin(Plan, Plan.id == AuditEvent.plan_id)
             .where(or_(*visible)))
    if country is not None:
        query = query.where(Plan.country == country)
    if plan is not None:
        query = query.where(AuditEvent.plan_id == plan)
    if actor is not None:
        query = query.where(AuditEvent.actor == actor)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if since is not None:
        query = query.where(AuditEvent.at >= isoformat(since))
    if until is not None:
        query = query.where(AuditEvent.at < isoformat(until))
    return page(session, query, AuditEvent.id, after, limit)


# -- status ------------------------------------------------------------------------------
def status(session: Session, user: User, overdue_before: datetime) -> dict[str, Any]:
    """Counts of visible plans by country and state, and required reviews still missing on
    plans that entered review before `overdue_before`."""
    counts = session.execute(
        select(Plan.country, Plan.state, func.count()).where(visible_plans(user))
        .group_by(Plan.country, Plan.state).order_by(Plan.country, Plan.state)).all()
    review_states = sorted({s.name for w in default_registry() for s in w.states.values()
                            if s.reviews_open})
    entered = (select(AuditEvent.plan_id, func.max(AuditEvent.at).label("at"))
               .where(AuditEvent.to_state.in_(review_states),
                      AuditEvent.from_state.not_in(review_states))
               .group_by(AuditEvent.plan_id).subquery())
    decided = select(Review.id).where(
        Review.plan_id == Plan.id, Review.user_id == ReviewerAssignment.user_id,
        Review.revision == Plan.revision, Review.content_version == Plan.content_version)
    overdue = session.execute(
        select(Plan.id, Plan.country, User.username, entered.c.at)
        .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
        .join(User, User.id == ReviewerAssignment.user_id)
        .join(entered, entered.c.plan_id == Plan.id)
        # Who has yet to review is national business: the Committee does not see reviewers.
        .where(visible_plans(user, nationally=True), Plan.state.in_(review_states),
               ReviewerAssignment.required.is_(True), ~decided.exists(),
               entered.c.at < isoformat(overdue_before))
        .order_by(entered.c.at, Plan.id)).all()
    return {
        "plans": [{"country": c, "state": s, "count": n} for c, s, n in counts],
        "overdue_reviews": [{"plan_id": p, "country": c, "reviewer": r, "in_review_since": at}
                            for p, c, r, at in overdue],
    }
