"""The overview: counts of plans, whom they wait on, overdue reviews, and a caller's tasks."""

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Date,
    String,
    and_,
    case,
    cast,
    false,
    func,
    literal_column,
    null,
    or_,
    select,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from models import (
    AuditEvent,
    ContentVersion,
    Plan,
    Review,
    ReviewerAssignment,
    User,
    isoformat,
)
from workflow import queries
from workflow.access import visible_plans
from workflow.engine import default_registry
from workflow.guards import Assignment, PlanFacts
from workflow.vocabulary import TASK_KINDS


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


def _last_at(*conditions: ColumnElement[bool]):
    """When the plan's newest event matching `conditions` happened: its own events read
    newest first by the unique (plan_id, seq) index, stopping at the first match, so the
    cost is that of its latest events, not of its whole history nor of the log (max(at)
    read them all: the Committee's tasks at a million events took seconds)."""
    return (select(AuditEvent.at).where(AuditEvent.plan_id == Plan.id, *conditions)
            .order_by(AuditEvent.seq.desc()).limit(1).scalar_subquery())


def _entered_review():
    """When the plan last entered review."""
    states = review_states()
    return _last_at(AuditEvent.to_state.in_(states), AuditEvent.from_state.not_in(states))


def _overdue(user: User, today: date) -> ColumnElement[bool]:
    """Reviews past their due day with no decision on the current version, on plans the
    caller sees nationally: who has yet to review is national business, so never the
    Committee's (the query must join ReviewerAssignment to the plan)."""
    return and_(visible_plans(user, nationally=True), Plan.state.in_(review_states()),
                ReviewerAssignment.due < today, _undecided())


def status(session: Session, user: User, today: date) -> dict[str, Any]:
    """Visible plans by country and state, how many wait on each role, and how many reviews
    are overdue in each country (the reviews themselves: overdue_reviews)."""
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
        select(Plan.country, func.count())
        .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
        .where(_overdue(user, today)).group_by(Plan.country).order_by(Plan.country)).all()
    return {
        "plans": [{"country": c, "state": s, "count": n}
                  for (c, s), n in sorted(by_state.items())],
        "waiting": [{"country": c, "role": r, "count": n}
                    for (c, r), n in sorted(waiting.items())],
        "overdue": [{"country": c, "count": n} for c, n in overdue],
    }


def overdue_reviews(session: Session, user: User, today: date, *, country: str | None = None,
                    after: tuple[date, int, int] | None = None,
                    limit: int = 50) -> "queries.Page":
    """One page of the overdue reviews, most overdue first: by (due, plan, assignment), the
    key `after` names. The Committee's page is empty, as its overdue counts are."""
    key = (ReviewerAssignment.due, Plan.id, ReviewerAssignment.id)
    query = (select(ReviewerAssignment.id)
             .join(Plan, Plan.id == ReviewerAssignment.plan_id).where(_overdue(user, today)))
    if country is not None:
        query = query.where(Plan.country == country)
    if after is not None:
        due, plan_id, assignment_id = after
        query = query.where(or_(
            ReviewerAssignment.due > due,
            and_(ReviewerAssignment.due == due, or_(
                Plan.id > plan_id,
                and_(Plan.id == plan_id, ReviewerAssignment.id > assignment_id)))))
    # The page is cut first: when each entered review is then looked up for its rows only.
    page = query.order_by(*key).limit(limit + 1).subquery()
    rows = session.execute(
        select(Plan.id, Plan.country, User.username, ReviewerAssignment.required,
               ReviewerAssignment.due, _entered_review(), ReviewerAssignment.id)
        .join(Plan, Plan.id == ReviewerAssignment.plan_id)
        .join(User, User.id == ReviewerAssignment.user_id)
        .where(ReviewerAssignment.id.in_(select(page.c.id))).order_by(*key)).all()
    more, rows = len(rows) > limit, rows[:limit]
    return queries.Page(
        [{"plan_id": p, "country": c, "reviewer": r, "required": req, "due": due,
          "in_review_since": at} for p, c, r, req, due, at, _ in rows],
        (rows[-1].due, rows[-1].id, rows[-1][-1]) if more else None)


# -- a caller's tasks --------------------------------------------------------------------
def _holds(user: User, role: str) -> ColumnElement[bool] | None:
    """Plans on which `user` holds `role` by grant (assigned reviewers are checked apart);
    None when it holds it nowhere."""
    if role in ("committee", "admin"):
        return visible_plans(user) if user.holds(role) else None
    countries = sorted({g.country for g in user.grants if g.role == role})
    return Plan.country.in_(countries) if countries else None


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
            if "assigned_reviewer" in roles and _holds(user, "reviewer") is not None:
                held.append(and_(_holds(user, "reviewer"), _assigned(user)))
            # A state none of whose roles the user holds is left out, not `AND 0 = 1`:
            # SQLite would still walk that state's plans by the state index.
            held = [clause for clause in held if clause is not None]
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
    return _last_at(AuditEvent.to_state == Plan.state, or_(
        AuditEvent.from_state.is_(None), AuditEvent.from_state != AuditEvent.to_state))


class utc_text(FunctionElement):
    """A timestamp column as the text the audit log keeps (models.isoformat), so that it
    orders with AuditEvent.at in SQL."""

    type = String()
    inherit_cache = True


@compiles(utc_text)
def _utc_text_sqlite(element, compiler, **kw):
    # SQLite keeps a DateTime as "YYYY-MM-DD HH:MM:SS.ffffff" in UTC (models.as_utc).
    return f"(replace({compiler.process(element.clauses, **kw)}, ' ', 'T') || 'Z')"


@compiles(utc_text, "postgresql")
def _utc_text_postgresql(element, compiler, **kw):
    column = compiler.process(element.clauses, **kw)
    return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')"""


# At the same moment on the same plan a review comes before a transition (by name, as it did
# when tasks were sorted in Python); a kind's index here is its place in the task cursor.
KINDS = tuple(sorted(TASK_KINDS))


def _candidates(user: User):
    """Every possible task as (plan_id, since, kind, due), kind an index in KINDS: each
    review the caller owes, and each plan with a forward trigger the caller may fire, whose
    guards are checked in Python on the page's plans only."""
    fire = (select(Plan.id.label("plan_id"), _state_since().label("since"),
                   literal_column(str(KINDS.index("transition"))).label("kind"),
                   cast(null(), Date).label("due"))
            .where(visible_plans(user), _may_fire_forward(user)))
    countries = sorted({g.country for g in user.grants if g.role == "reviewer"})
    entered, assigned = _entered_review(), utc_text(ReviewerAssignment.assigned_at)
    review = (select(Plan.id, case((entered > assigned, entered), else_=assigned),
                     literal_column(str(KINDS.index("review"))), ReviewerAssignment.due)
              .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
              .where(ReviewerAssignment.user_id == user.id, Plan.country.in_(countries),
                     Plan.state.in_(review_states()), _undecided()))
    return fire.union_all(review).subquery("task") if countries else fire.subquery("task")


def _ready(user: User, plan: Plan, facts: PlanFacts) -> list[dict[str, Any]]:
    """The forward triggers `user` may fire on `plan` now, guards holding."""
    assigned = any(a.username == user.username for a in facts.assignments)
    ready = []
    for t in default_registry().get(plan.workflow).forward_from(plan.state):
        may = any(user.holds_exactly("reviewer", plan.country) and assigned
                  if r == "assigned_reviewer" else
                  user.holds(r) if r in ("committee", "admin") else
                  any(g.role == r and g.country == plan.country for g in user.grants)
                  for r in t.roles)
        if may and not t.plan_reasons(facts):
            ready.append({"trigger": t.trigger, "ready": True, "reasons": []})
    return ready


def _tasks(session: Session, user: User, today: date, rows) -> list[dict[str, Any]]:
    """The tasks among candidate `rows`, in their order: facts for their plans only."""
    plans = {p.id: p for p in session.scalars(
        select(Plan).where(Plan.id.in_({row.plan_id for row in rows})))}
    firing = [plans[row.plan_id] for row in rows if KINDS[row.kind] == "transition"]
    facts = _facts(session, firing, user) if firing else {}
    tasks = []
    for plan_id, since, kind, due in rows:
        plan = plans[plan_id]
        triggers = _ready(user, plan, facts[plan_id]) if KINDS[kind] == "transition" else []
        if triggers or KINDS[kind] == "review":
            tasks.append({"kind": KINDS[kind], "plan": plan, "since": since,
                          "triggers": triggers, "due": due,
                          "overdue": due is not None and due < today})
    return tasks


def task_key(task: dict[str, Any]) -> tuple[datetime, int, int]:
    """Where a task stands in the order of my_tasks: (since, plan id, kind)."""
    return datetime.fromisoformat(task["since"]), task["plan"].id, KINDS.index(task["kind"])


def my_tasks(session: Session, user: User, today: date, *,
             after: tuple[datetime, int, int] | None = None, limit: int = 50) -> "queries.Page":
    """What `user` can act on now, oldest first, one page after the task `after` names:
    plans whose forward trigger the caller may fire and whose guards hold, and reviews the
    caller owes on the current version.

    The candidates are ordered and cut in SQL; only a page's worth get their facts built.
    A candidate whose guards do not hold is no task: the next candidates are then read, in
    batches twice as large each time (so skipping n costs log n round trips), until the
    page is full or none are left.
    """
    task = _candidates(user)
    key = (task.c.since, task.c.plan_id, task.c.kind)
    tasks: list[dict[str, Any]] = []
    position = None if after is None else (isoformat(after[0]), *after[1:])
    batch = limit + 1
    while len(tasks) <= limit:
        query = select(task)
        if position is not None:
            since, plan_id, kind = position
            query = query.where(or_(task.c.since > since, and_(task.c.since == since, or_(
                task.c.plan_id > plan_id, and_(task.c.plan_id == plan_id, task.c.kind > kind)))))
        rows = session.execute(query.order_by(*key).limit(batch)).all()
        tasks += _tasks(session, user, today, rows) if rows else []
        if len(rows) < batch:
            break
        last = rows[-1]
        position, batch = (last.since, last.plan_id, last.kind), 2 * batch
    more, tasks = len(tasks) > limit, tasks[:limit]
    return queries.Page(tasks, task_key(tasks[-1]) if more else None)
