"""The overview: counts of plans, whom they wait on, and overdue reviews (tasks: tasks.py)."""

from datetime import date
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true, tuple_
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    OpenReviewCount,
    Plan,
    PlanCount,
    Review,
    ReviewerAssignment,
    User,
)
from workflow import queries
from workflow.access import national_countries, visible_plans
from workflow.engine import default_registry


def review_states() -> list[str]:
    return sorted({s.name for w in default_registry() for s in w.states.values()
                   if s.reviews_open})


def waiting_on(role: str) -> ColumnElement[bool]:
    """The SQL condition matching the plans that wait on `role` (see Workflow.waiting_on)."""
    clauses = [and_(Plan.workflow == w.key,
                    Plan.state.in_([s for s in w.states if role in w.waiting_on(s)]))
               for w in default_registry()]
    return or_(*clauses) if clauses else false()


def undecided() -> ColumnElement[bool]:
    """No decision by the assigned reviewer on the plan's current content version."""
    return ~select(Review.id).where(
        Review.plan_id == Plan.id, Review.user_id == ReviewerAssignment.user_id,
        Review.revision == Plan.revision,
        Review.content_version == Plan.content_version).exists()


def _last_at(*conditions: ColumnElement[bool]):
    """When the plan's newest event matching `conditions` happened: its own events read
    newest first by the unique (plan_id, seq) index, stopping at the first match, so the
    cost is that of its latest events, not of its whole history nor of the log (max(at)
    read them all: the Committee's tasks at a million events took seconds)."""
    return (select(AuditEvent.at).where(AuditEvent.plan_id == Plan.id, *conditions)
            .order_by(AuditEvent.seq.desc()).limit(1).scalar_subquery())


def entered_review():
    """When the plan last entered review."""
    states = review_states()
    return _last_at(AuditEvent.to_state.in_(states), AuditEvent.from_state.not_in(states))


def _visible_counts(user: User) -> ColumnElement[bool]:
    """visible_plans for the kept counts (models/counts.py): the Committee sees the plans
    it was given, counted apart (PlanCount.committee)."""
    countries = national_countries(user)
    if None in countries:
        return true()
    clauses = []
    if countries:
        clauses.append(PlanCount.country.in_(sorted(countries)))
    if user.holds("committee"):
        clauses.append(PlanCount.committee == true())
    return or_(*clauses) if clauses else false()


def _overdue_counts(session: Session, user: User, today: date) -> list[tuple[str, int]]:
    """Open review rounds past their due day, by country, from the counts kept per due day:
    their rows grow with the days that have open reviews, not with the reviews. Who has yet
    to review is national business, so never the Committee's (no query for it)."""
    countries = national_countries(user)
    if not countries:
        return []
    query = (select(OpenReviewCount.country, func.sum(OpenReviewCount.count))
             .where(OpenReviewCount.due < today))
    if None not in countries:
        query = query.where(OpenReviewCount.country.in_(sorted(countries)))
    found = session.execute(query.group_by(OpenReviewCount.country)
                            .order_by(OpenReviewCount.country)).all()
    return [(country, int(n)) for country, n in found if n]


def status(session: Session, user: User, today: date) -> dict[str, Any]:
    """Visible plans by country and state, how many wait on each role, and how many reviews
    are overdue in each country (the reviews themselves: overdue_reviews). Read from the
    counts the database keeps (models/counts.py): the cost follows the countries and states
    that have plans, not the plans."""
    counts = session.execute(
        select(PlanCount.country, PlanCount.workflow, PlanCount.state, PlanCount.count)
        .where(_visible_counts(user), PlanCount.count != 0)).all()
    by_state: dict[tuple[str, str], int] = {}
    waiting: dict[tuple[str, str], int] = {}
    roles: dict[tuple[str, str], tuple[str, ...]] = {}  # by (workflow, state): 193 times over
    for country, key, state, n in counts:
        by_state[country, state] = by_state.get((country, state), 0) + n
        if (key, state) not in roles:
            workflow = default_registry().get(key)
            roles[key, state] = workflow.waiting_on(state) if workflow else ()
        for role in roles[key, state]:
            waiting[country, role] = waiting.get((country, role), 0) + n
    overdue = _overdue_counts(session, user, today)
    return {
        "plans": [{"country": c, "state": s, "count": n}
                  for (c, s), n in sorted(by_state.items())],
        "waiting": [{"country": c, "role": r, "count": n}
                    for (c, r), n in sorted(waiting.items())],
        "overdue": [{"country": c, "count": n} for c, n in overdue],
    }


def overdue_query(user: User, today: date, *, country: str | None = None,
                  after: tuple[date, int, int] | None = None, limit: int = 50) -> Select:
    """The ids of one page of the overdue reviews (open rounds past their due day) in page
    order, one more than `limit`: for a caller who sees every country, a range of
    ix_reviewer_assignments_open_due from `after` on; for a country, its plans' open rounds
    (tests/workflow/test_overdue_plans.py explains both on both databases)."""
    key = (ReviewerAssignment.due, ReviewerAssignment.plan_id, ReviewerAssignment.id)
    if country is None and None in national_countries(user):
        query = select(ReviewerAssignment.id).where(ReviewerAssignment.round_open == true())
    else:
        # A country's open rounds are few (90 of the world's 16,644 at a million events):
        # they are gathered from its plans and sorted. The flag is wrapped so that no planner
        # walks the world's open rounds by the index, probing each one's plan for its country
        # (SQLite did: 15 ms for a page of 50).
        query = (select(ReviewerAssignment.id)
                 .join(Plan, Plan.id == ReviewerAssignment.plan_id)
                 .where(visible_plans(user, nationally=True),
                        func.coalesce(ReviewerAssignment.round_open, false()) == true()))
    query = query.where(ReviewerAssignment.due < today)
    if country is not None:
        query = query.where(Plan.country == country)
    if after is not None:
        query = query.where(tuple_(*key) > tuple_(*after))
    return query.order_by(*key).limit(limit + 1)


def overdue_reviews(session: Session, user: User, today: date, *, country: str | None = None,
                    after: tuple[date, int, int] | None = None,
                    limit: int = 50) -> "queries.Page":
    """One page of the overdue reviews, most overdue first: by (due, plan, assignment), the
    key `after` names. The Committee's page is empty, as its overdue counts are (and is not
    asked for)."""
    if not national_countries(user):
        return queries.Page([], None)
    key = (ReviewerAssignment.due, ReviewerAssignment.plan_id, ReviewerAssignment.id)
    # The page is cut first: when each entered review is then looked up for its rows only.
    page = overdue_query(user, today, country=country, after=after, limit=limit).subquery()
    rows = session.execute(
        select(Plan.id, Plan.country, User.username, ReviewerAssignment.required,
               ReviewerAssignment.due, entered_review(), ReviewerAssignment.id)
        .join(Plan, Plan.id == ReviewerAssignment.plan_id)
        .join(User, User.id == ReviewerAssignment.user_id)
        .where(ReviewerAssignment.id.in_(select(page.c.id))).order_by(*key)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return queries.Page(
        [{"plan_id": p, "country": c, "reviewer": r, "required": req, "due": due,
          "in_review_since": at} for p, c, r, req, due, at, _ in rows],
        (rows[-1].due, rows[-1].id, rows[-1][-1]) if more else None)
