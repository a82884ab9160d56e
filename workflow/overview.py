"""The overview: counts of plans, whom they wait on, overdue reviews, and a caller's tasks."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, false, func, or_, select
from sqlalchemy.orm import Session

from models import (
    AuditEvent,
    ContentVersion,
    Plan,
    Review,
    ReviewerAssignment,
    User,
    as_utc,
    isoformat,
)
from workflow.access import visible_plans
from workflow.engine import default_registry
from workflow.guards import Assignment, PlanFacts


def review_states() -> list[str]:
    return sorted({s.name for w in default_registry() for s in w.states.values()
                   if s.reviews_open})


def waiting_on(role: str) -> ColumnElement[bool]:
    """The SQL condition matching the plans that wait on `role` (see Workflow.waiting_on)."""
    clauses = [and_(Plan.workflow == w.key,
                    Plan.state.in_([s for s in w.states if role in w.waiting_on(s)]))
               for w in default_registry()]
    return or_(*clauses) if clauses else false()


def _undecided() -> ColumnElement[bool]:
    """No decision by the assigned reviewer on the plan's current content version."""
    return ~select(Review.id).where(
        Review.plan_id == Plan.id, Review.user_id == ReviewerAssignment.user_id,
        Review.revision == Plan.revision,
        Review.content_version == Plan.content_version).exists()


def _entered_review():
    """When the plan last entered review: a lookup in its own events (by the plan_id, seq
    index), so the cost does not grow with the rest of the log."""
    states = review_states()
    return (select(func.max(AuditEvent.at))
            .where(AuditEvent.plan_id == Plan.id, AuditEvent.to_state.in_(states),
                   AuditEvent.from_state.not_in(states))
            .scalar_subquery())


def status(session: Session, user: User, today: date) -> dict[str, Any]:
    """Visible plans by country and state, how many wait on each role, and the reviews whose
    due day is before `today` with no decision on the current version."""
    counts = session.execute(
        select(Plan.country, Plan.workflow, Plan.state, func.count()).where(visible_plans(user))
        .group_by(Plan.country, Plan.workflow, Plan.state)).all()
    by_state: dict[tuple[str, str], int] = {}
    waiting: dict[tuple[str, str], int] = {}
    for country, key, state, n in counts:
        by_state[country, state] = by_state.get((country, state), 0) + n
        workflow = default_registry().get(key)
        for role in workflow.waiting_on(state) if workflow else ():
            waiting[country, role] = waiting.get((country, role), 0) + n
    overdue = session.execute(
        select(Plan.id, Plan.country, User.username, ReviewerAssignment.required,
               ReviewerAssignment.due, _entered_review())
        .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
        .join(User, User.id == ReviewerAssignment.user_id)
        # Who has yet to review is national business: the Committee does not see reviewers.
        .where(visible_plans(user, nationally=True), Plan.state.in_(review_states()),
               ReviewerAssignment.due < today, _undecided())
        .order_by(ReviewerAssignment.due, Plan.id, User.username)).all()
    return {
        "plans": [{"country": c, "state": s, "count": n}
                  for (c, s), n in sorted(by_state.items())],
        "waiting": [{"country": c, "role": r, "count": n}
                    for (c, r), n in sorted(waiting.items())],
        "overdue_reviews": [{"plan_id": p, "country": c, "reviewer": r, "required": req,
                             "due": due, "in_review_since": at}
                            for p, c, r, req, due, at in overdue],
    }


# -- a caller's tasks --------------------------------------------------------------------
def _holds(user: User, role: str) -> ColumnElement[bool]:
    """Plans on which `user` holds `role` by grant (assigned reviewers are checked apart)."""
    if role in ("committee", "admin"):
        return visible_plans(user) if user.holds(role) else false()
    countries = sorted({g.country for g in user.grants if g.role == role})
    return Plan.country.in_(countries) if countries else false()


def _assigned(user: User) -> ColumnElement[bool]:
    return select(ReviewerAssignment.id).where(
        ReviewerAssignment.plan_id == Plan.id, ReviewerAssignment.user_id == user.id).exists()


def _may_fire_forward(user: User) -> ColumnElement[bool]:
    """Plans in a state whose forward trigger one of the caller's roles may fire."""
    clauses = []
    for w in default_registry():
        for state in w.states:
            roles = [r for t in w.forward_from(state) for r in t.roles]
            held = [_holds(user, r) for r in roles if r != "assigned_reviewer"]
            if "assigned_reviewer" in roles:
                held.append(and_(_holds(user, "reviewer"), _assigned(user)))
            if held:
                clauses.append(and_(Plan.workflow == w.key, Plan.state == state, or_(*held)))
    return or_(*clauses) if clauses else false()


def _facts(session: Session, plans: list[Plan], user: User) -> dict[int, PlanFacts]:
    """PlanFacts (as service.plan_facts builds them) for many plans in four queries."""
    ids = [p.id for p in plans]
    assignments: dict[int, list[Assignment]] = {i: [] for i in ids}
    for plan_id, username, required in session.execute(
            select(ReviewerAssignment.plan_id, User.username, ReviewerAssignment.required)
            .join(User, User.id == ReviewerAssignment.user_id)
            .where(ReviewerAssignment.plan_id.in_(ids)).order_by(ReviewerAssignment.id)):
        assignments[plan_id].append(Assignment(username, required))
    decisions: dict[int, dict[str, str]] = {i: {} for i in ids}
    for plan_id, username, decision in session.execute(
            select(Review.plan_id, User.username, Review.decision)
            .join(User, User.id == Review.user_id).join(Plan, Plan.id == Review.plan_id)
            .where(Review.plan_id.in_(ids), Review.revision == Plan.revision,
                   Review.content_version == Plan.content_version).order_by(Review.id)):
        decisions[plan_id][username] = decision  # later reviews overwrite earlier ones
    authors: dict[int, set[str]] = {i: set() for i in ids}
    contents: dict[int, dict[str, Any]] = {}
    for plan_id, number, author, content, current in session.execute(
            select(ContentVersion.plan_id, ContentVersion.number, ContentVersion.author,
                   ContentVersion.content, Plan.content_version)
            .join(Plan, Plan.id == ContentVersion.plan_id)
            .where(ContentVersion.plan_id.in_(ids),
                   ContentVersion.number >= Plan.revision_first_version)):
        authors[plan_id].add(author)
        if number == current:
            contents[plan_id] = content
    return {p.id: PlanFacts(state=p.state, content=contents[p.id],
                            content_version=p.content_version,
                            assignments=tuple(assignments[p.id]), decisions=decisions[p.id],
                            authors=frozenset(authors[p.id]), actor=user.username)
            for p in plans}


def _state_since():
    """When the plan entered its current state (an edit or review is no change of state)."""
    return select(func.max(AuditEvent.at)).where(
        AuditEvent.plan_id == Plan.id, AuditEvent.to_state == Plan.state,
        or_(AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state),
    ).scalar_subquery()


def _fire_tasks(session: Session, user: User) -> list[dict[str, Any]]:
    rows = session.execute(select(Plan, _state_since()).where(
        visible_plans(user), _may_fire_forward(user))).all()
    facts = _facts(session, [plan for plan, _ in rows], user)
    tasks = []
    for plan, since in rows:
        assigned = any(a.username == user.username for a in facts[plan.id].assignments)
        ready = []
        for t in default_registry().get(plan.workflow).forward_from(plan.state):
            may = any(user.holds_exactly("reviewer", plan.country) and assigned
                      if r == "assigned_reviewer" else
                      user.holds(r) if r in ("committee", "admin") else
                      any(g.role == r and g.country == plan.country for g in user.grants)
                      for r in t.roles)
            if may and not t.plan_reasons(facts[plan.id]):
                ready.append({"trigger": t.trigger, "ready": True, "reasons": []})
        if ready:
            tasks.append({"kind": "transition", "plan": plan, "since": since,
                          "triggers": ready, "due": None, "overdue": False})
    return tasks


def _review_tasks(session: Session, user: User, today: date) -> list[dict[str, Any]]:
    countries = sorted({g.country for g in user.grants if g.role == "reviewer"})
    if not countries:
        return []
    rows = session.execute(
        select(Plan, ReviewerAssignment.due, ReviewerAssignment.assigned_at, _entered_review())
        .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
        .where(ReviewerAssignment.user_id == user.id, Plan.country.in_(countries),
               Plan.state.in_(review_states()), _undecided())).all()
    return [{"kind": "review", "plan": plan, "since": max(entered_at, _iso(assigned_at)),
             "triggers": [], "due": due, "overdue": due is not None and due < today}
            for plan, due, assigned_at, entered_at in rows]


def _iso(moment: datetime) -> str:
    return isoformat(as_utc(moment))


def my_tasks(session: Session, user: User, today: date) -> list[dict[str, Any]]:
    """What `user` can act on now, oldest first: plans whose forward trigger the caller may
    fire and whose guards hold, and reviews the caller owes on the current version."""
    tasks = _fire_tasks(session, user) + _review_tasks(session, user, today)
    return sorted(tasks, key=lambda t: (t["since"], t["plan"].id, t["kind"]))
