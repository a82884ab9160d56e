"""What the guards read about one plan: gathered in one query, kept while the plan holds still."""

from dataclasses import replace
from functools import cache
from typing import Any

from sqlalchemy import (
    CompoundSelect,
    bindparam,
    case,
    cast,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from models import ContentVersion, Plan, Review, ReviewerAssignment, User
from workflow.guards import Assignment, PlanFacts
from workflow.versions import current_content

FACTS_CACHE = "napflow.facts"


@cache
def _facts_query() -> CompoundSelect:
    """Reviewer assignments, the decisions on the current version and the versions of the
    current revision (authors; content of the current one), as one UNION ALL: one round trip
    instead of four. Built once; the plan's numbers are bound per call."""
    plan_id, revision = bindparam("plan_id"), bindparam("revision")
    version, first = bindparam("content_version"), bindparam("first_version")
    no_text, no_flag = null(), null()
    # PostgreSQL types an untyped NULL as text, which a union cannot match with JSON.
    no_content = cast(null(), ContentVersion.content.type)
    assignments = (
        select(literal("assignment").label("kind"), User.username.label("name"),
               ReviewerAssignment.required.label("required"), no_text.label("decision"),
               ReviewerAssignment.id.label("ordinal"), no_content.label("content"))
        .join(User, ReviewerAssignment.user_id == User.id)
        .where(ReviewerAssignment.plan_id == plan_id))
    decisions = (
        select(literal("decision"), User.username, no_flag, Review.decision, Review.id,
               no_content)
        .join(User, Review.user_id == User.id)
        .where(Review.plan_id == plan_id, Review.revision == revision,
               Review.content_version == version))
    versions = (
        select(literal("version"), ContentVersion.author, no_flag, no_text,
               ContentVersion.number,
               case((ContentVersion.number == version, ContentVersion.content)))
        .where(ContentVersion.plan_id == plan_id, ContentVersion.number >= first))
    query = union_all(assignments, decisions, versions)
    return query.order_by(query.selected_columns.kind, query.selected_columns.ordinal)


def facts_key(plan: Plan) -> tuple[int, ...]:
    # Whatever changes what the guards read appends an event, so audit_seq moves with it.
    return (plan.audit_seq, plan.revision, plan.content_version, plan.revision_first_version)


def plan_facts(session: Session, plan: Plan, actor: User) -> PlanFacts:
    """What the guards read about `plan`, built once per state of the plan in a session."""
    cache_ = session.info.setdefault(FACTS_CACHE, {})
    cached = cache_.get(plan.id)
    if cached is not None and cached[0] == facts_key(plan):
        return replace(cached[1], state=plan.state, actor=actor.username)
    assignments: list[Assignment] = []
    decisions: dict[str, str] = {}
    authors: set[str] = set()
    content: dict[str, Any] | None = None
    # Sent with Core: its rows are plain values, and the ORM's execution around them cost
    # about a fifth of the query. The flush stands in for the ORM's autoflush, so the guards
    # read what the operation wrote (operations flush already: this one finds nothing to do).
    session.flush()
    for kind, name, required, decision, number, version_content in session.connection().execute(
            _facts_query(), {"plan_id": plan.id, "revision": plan.revision,
                             "content_version": plan.content_version,
                             "first_version": plan.revision_first_version}):
        if kind == "assignment":
            assignments.append(Assignment(name, required))
        elif kind == "decision":
            decisions[name] = decision  # ordered by review: later ones overwrite earlier ones
        else:
            authors.add(name)
            if number == plan.content_version:
                content = version_content
    if content is None:  # no such version: let the one reader of versions say so (NotFound)
        content = current_content(session, plan)
    facts = PlanFacts(state=plan.state, content=content, content_version=plan.content_version,
                      assignments=tuple(assignments), decisions=decisions,
                      authors=frozenset(authors), actor=actor.username)
    cache_[plan.id] = (facts_key(plan), facts)
    return facts


def shown_content(session: Session, plan: Plan) -> dict[str, Any]:
    """The plan's current content, from this request's facts when they were built already."""
    cached = session.info.get(FACTS_CACHE, {}).get(plan.id)
    if cached is not None and cached[0] == facts_key(plan):
        return cached[1].content
    return current_content(session, plan)


def carry_facts(session: Session, plan: Plan, before: tuple[int, ...]) -> None:
    """After a firing whose only change is the state and its own event, the facts hold still."""
    cache_ = session.info.get(FACTS_CACHE, {})
    cached = cache_.get(plan.id)
    if cached is None or cached[0] != before:
        return
    if before[1:] == facts_key(plan)[1:] and plan.audit_seq == before[0] + 1:
        cache_[plan.id] = (facts_key(plan), cached[1])
    else:
        cache_.pop(plan.id)
