"""A caller's tasks: what it can act on now, oldest first, cut into pages by index scans."""

import heapq
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import ColumnElement, String, and_, case, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, aliased
from sqlalchemy.sql.functions import FunctionElement

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
from workflow import queries
from workflow.access import visible_plans
from workflow.engine import default_registry
from workflow.guards import Assignment, PlanFacts
from workflow.overview import entered_review, review_states, undecided
from workflow.vocabulary import TASK_KINDS

# At the same moment on the same plan a review comes before a transition (by name, as it did
# when tasks were sorted in Python); a kind's index here is its place in the task cursor.
KINDS = tuple(sorted(TASK_KINDS))
REVIEW, TRANSITION = KINDS.index("review"), KINDS.index("transition")

# A candidate task: (since, plan id, kind, due); since an aware datetime.
Row = tuple[datetime, int, int, date | None]


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


def firing_sources(user: User) -> list[ColumnElement[bool]]:
    """One condition for each state whose forward trigger one of the caller's roles may fire,
    matching the visible plans there. Each is read apart, in (state_since, id) order: the
    plans of one state (and country) are one range of the indexes on (workflow, state,
    state_since, id), so the page is cut by the scan and no candidate is sorted. A state
    none of whose roles the user holds has no source (SQLite would walk it for nothing)."""
    sources = []
    for w in default_registry():
        for state in w.states:
            roles = [r for t in w.forward_from(state) for r in t.roles]
            held = [_holds(user, r) for r in roles if r != "assigned_reviewer"]
            if "assigned_reviewer" in roles and _holds(user, "reviewer") is not None:
                held.append(and_(_holds(user, "reviewer"), _assigned(user)))
            held = [clause for clause in held if clause is not None]
            if held:
                sources.append(and_(Plan.workflow == w.key, Plan.state == state,
                                    visible_plans(user), or_(*held)))
    return sources


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


def firing_query(source, after: tuple[datetime, int, int] | None, batch: int):
    """The next `batch` plans of one firing source after the position `after`, by (since, id)."""
    query = select(Plan.state_since, Plan.id).where(source)
    if after is not None:
        since, plan_id, kind = after
        key, position = tuple_(Plan.state_since, Plan.id), tuple_(since, plan_id)
        # the same plan at the same moment: its transition comes after a review (kind 0)
        query = query.where(key >= position if kind < TRANSITION else key > position)
    return query.order_by(Plan.state_since, Plan.id).limit(batch)


def _reviews(session: Session, user: User, after: tuple[datetime, int, int] | None,
             batch: int) -> list[Row]:
    """The next `batch` reviews the caller owes after `after`: each since the later of the
    plan entering review and the assignment. A reviewer's own assignments are few, so these
    are sorted in SQL (a plan's entry into review is read from its latest events)."""
    countries = sorted({g.country for g in user.grants if g.role == "reviewer"})
    if not countries:
        return []
    entered, assigned = entered_review(), utc_text(ReviewerAssignment.assigned_at)
    since = case((entered > assigned, entered), else_=assigned)
    query = (select(since, Plan.id, ReviewerAssignment.due)
             .join(ReviewerAssignment, ReviewerAssignment.plan_id == Plan.id)
             .where(ReviewerAssignment.user_id == user.id, Plan.country.in_(countries),
                    Plan.state.in_(review_states()), undecided()))
    if after is not None:
        at, plan_id, _ = after  # a review is kind 0: one at the same plan and moment is past
        query = query.where(or_(since > isoformat(at),
                                and_(since == isoformat(at), Plan.id > plan_id)))
    rows = session.execute(query.order_by(since, Plan.id).limit(batch))
    return [(datetime.fromisoformat(at), plan_id, REVIEW, due) for at, plan_id, due in rows]


def _candidates(session: Session, user: User, after: tuple[datetime, int, int] | None,
                batch: int) -> list[Row]:
    """The next `batch` candidate tasks after `after`, in (since, plan, kind) order: the first
    `batch` of each source, merged (the first `batch` of all are among them)."""
    found = [[(as_utc(since), plan_id, TRANSITION, None) for since, plan_id
              in session.execute(firing_query(source, after, batch))]
             for source in firing_sources(user)]
    found.append(_reviews(session, user, after, batch))
    return list(heapq.merge(*found, key=lambda row: row[:3]))[:batch]


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


def _tasks(session: Session, user: User, today: date, rows: list[Row]) -> list[dict[str, Any]]:
    """The tasks among candidate `rows`, in their order: facts for their plans only."""
    plans = {p.id: p for p in session.scalars(
        select(Plan).where(Plan.id.in_({plan_id for _, plan_id, _, _ in rows})))}
    firing = [plans[plan_id] for _, plan_id, kind, _ in rows if kind == TRANSITION]
    facts = _facts(session, firing, user) if firing else {}
    tasks = []
    for since, plan_id, kind, due in rows:
        plan = plans[plan_id]
        triggers = _ready(user, plan, facts[plan_id]) if kind == TRANSITION else []
        if triggers or kind == REVIEW:
            tasks.append({"kind": KINDS[kind], "plan": plan, "since": isoformat(since),
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

    Only a page's worth of candidates is read, and gets its facts built. A candidate whose
    guards do not hold is no task: the next candidates are then read, in batches twice as
    large each time (so skipping n costs log n round trips), until the page is full or none
    are left.
    """
    tasks: list[dict[str, Any]] = []
    position = None if after is None else (after[0].astimezone(UTC), *after[1:])
    batch = limit + 1
    while len(tasks) <= limit:
        rows = _candidates(session, user, position, batch)
        tasks += _tasks(session, user, today, rows) if rows else []
        if len(rows) < batch:
            break
        position, batch = rows[-1][:3], 2 * batch
    more, tasks = len(tasks) > limit, tasks[:limit]
    return queries.Page(tasks, task_key(tasks[-1]) if more else None)


def handed_over(session: Session, plan_ids: set[int]) -> dict[int, tuple[str, str]]:
    """Who put each plan into the state it waits in, and when: the actor and time of its
    latest event that changed its state (or created it), the person waiting on the task.
    Each plan's own events are read newest first by the (plan_id, seq) index, stopping at
    the first such event, as overview's lookups of a plan's latest events do."""
    if not plan_ids:
        return {}
    step = aliased(AuditEvent)  # the outer query reads the event found, by id
    latest = (select(step.id).where(
        step.plan_id == Plan.id, or_(step.from_state.is_(None), step.from_state != step.to_state))
        .order_by(step.seq.desc()).limit(1).correlate(Plan).scalar_subquery())
    rows = session.execute(select(Plan.id, AuditEvent.actor, AuditEvent.at)
                           .join(AuditEvent, AuditEvent.id == latest)
                           .where(Plan.id.in_(sorted(plan_ids))))
    return {plan_id: (actor, at) for plan_id, actor, at in rows}
