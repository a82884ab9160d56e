"""Operations on plans: each checks, changes and appends its audit event; callers commit.

Every operation runs inside the caller's transaction and only flushes. Checks come in the
contract's order of refusals (404, 422 validation / unknown trigger, 403, 409, 412, 422 guard),
all before the first write, so a refusal leaves nothing behind even before the rollback.
"""

from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from models import ContentVersion, Plan, Review, ReviewerAssignment, User, utcnow
from workflow.access import committee_only, holds_transition_role, is_assigned, load_plan
from workflow.audit import append_event, next_link
from workflow.content import normalize_content
from workflow.countries import is_iso3
from workflow.effects import EFFECTS, default_due
from workflow.engine import TransitionDef, Workflow, WorkflowRegistry, default_registry
from workflow.errors import (
    Forbidden,
    NotEditable,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    ValidationFailed,
)

# shown_content is read from here by workflow/queries.py.
from workflow.facts import carry_facts, facts_key, plan_facts, shown_content  # noqa: F401
from workflow.guards import REQUEST_DATA_FIELDS, FiringRequest
from workflow.plan_write import write_plan
from workflow.review_rounds import refresh_rounds, reviews_open
from workflow.versions import current_content

UNSET: Any = object()


def workflow_of(plan: Plan, registry: WorkflowRegistry | None = None) -> Workflow:
    workflow = (registry or default_registry()).get(plan.workflow)
    if workflow is None:  # a definition was removed while plans still follow it
        raise RuntimeError(f"plan {plan.id} follows unknown workflow {plan.workflow!r}")
    return workflow


def etag_matches(if_match: str, etag: str) -> bool:
    """RFC 9110 If-Match: a list of entity tags or `*`; weak tags never match (strong compare)."""
    tags = [tag.strip() for tag in if_match.split(",")]
    return "*" in tags or etag in tags


def _check_if_match(plan: Plan, if_match: str | None, *, required: bool = False) -> None:
    if if_match is None and required:
        raise PreconditionRequired(f"this change needs If-Match: {plan.etag}")
    if if_match is not None and not etag_matches(if_match, plan.etag):
        raise PreconditionFailed(f"the plan has changed: its ETag is now {plan.etag}")


def _require_drafter(actor: User, plan: Plan, doing: str) -> None:
    if not actor.holds_exactly("drafter", plan.country):
        raise Forbidden(f"only a drafter for {plan.country} may {doing}")


# -- plans and content -----------------------------------------------------------------
def create_plan(session: Session, actor: User, *, country: str, title: str,
                content: dict[str, Any] | None = None, workflow: str = "nap-1540",
                registry: WorkflowRegistry | None = None) -> Plan:
    errors: dict[str, list[str]] = {}
    if not is_iso3(country):
        errors["country"] = ["Not an upper-case ISO 3166-1 alpha-3 country code."]
    if not isinstance(title, str) or not title.strip():
        errors["title"] = ["Must not be blank."]
    wf = (registry or default_registry()).get(workflow)
    if wf is None:
        errors["workflow"] = [f"Unknown workflow {workflow!r}."]
    try:
        normal = normalize_content(content if content is not None else {})
    except ValidationFailed as err:
        errors.update(err.errors)
    if errors:
        raise ValidationFailed(errors)
    if not actor.holds_exactly("drafter", country):
        raise Forbidden(f"only a drafter for {country} may create its plans")

    plan = Plan(country=country, title=title.strip(), workflow=workflow, state=wf.initial,
                revision=1, content_version=1, revision_first_version=1,
                created_by=actor.username)
    session.add(plan)
    session.flush()
    session.add(ContentVersion(plan_id=plan.id, number=1, revision=1, content=normal,
                               author=actor.username))
    append_event(session, plan=plan, actor=actor.username, action="create",
                 to_state=plan.state, content_version=1,
                 data={"country": country, "title": plan.title, "workflow": workflow})
    session.flush()
    return plan


def edit_plan(session: Session, actor: User, plan_id: int, *, title: Any = UNSET,
              content: Any = UNSET, if_match: str | None = None,
              require_if_match: bool = False) -> Plan:
    """Change the title and/or replace the content; a real content change is a new version."""
    plan = load_plan(session, actor, plan_id, lock=True)
    errors: dict[str, list[str]] = {}
    if title is not UNSET and (not isinstance(title, str) or not title.strip()):
        errors["title"] = ["Must not be blank."]
    normal = UNSET
    if content is not UNSET:
        try:
            normal = normalize_content(content)
        except ValidationFailed as err:
            errors.update(err.errors)
    if errors:
        raise ValidationFailed(errors)
    _require_drafter(actor, plan, "edit it")
    if not workflow_of(plan).states[plan.state].editable:
        raise NotEditable(f"plan content can be changed only in an editable state, not in "
                          f"'{plan.state}'")
    _check_if_match(plan, if_match, required=require_if_match)

    changed: dict[str, Any] = {}
    if title is not UNSET and title.strip() != plan.title:
        plan.title = changed["title"] = title.strip()
    if normal is not UNSET and normal != current_content(session, plan):
        plan.content_version += 1
        session.add(ContentVersion(plan_id=plan.id, number=plan.content_version,
                                   revision=plan.revision, content=normal,
                                   author=actor.username))
        changed["content_version"] = plan.content_version
    if changed:
        append_event(session, plan=plan, actor=actor.username, action="edit",
                     from_state=plan.state, to_state=plan.state,
                     content_version=plan.content_version, data=changed)
        session.flush()
        if "content_version" in changed and reviews_open(plan):  # earlier decisions stop counting
            refresh_rounds(session, plan)
    return plan


# -- reviewers and reviews -------------------------------------------------------------
def _hide_reviewers_from_committee(actor: User, plan: Plan) -> None:
    # The Committee may not see who reviews a plan, so it must not learn it from how a change
    # of reviewers is refused either ("already assigned", "not a reviewer of this plan"):
    # it is refused before any assignment is looked at.
    if committee_only(actor, plan):
        raise Forbidden("the Committee does not see or manage a plan's reviewers")


def assign_reviewer(session: Session, actor: User, plan_id: int, *, username: str,
                    required: bool = True, due: date | None = None) -> ReviewerAssignment:
    """Assign a reviewer; without `due`, the review is due the workflow's review_due_days
    after the plan enters review (or after now, when it is in review already)."""
    plan = load_plan(session, actor, plan_id, lock=True)
    if not isinstance(required, bool):
        raise ValidationFailed({"required": ["Must be true or false."]})
    if due is not None and (not isinstance(due, date) or due < utcnow().date()):
        raise ValidationFailed({"due": ["Must be a date, today or later."]})
    if not isinstance(username, str):
        raise ValidationFailed({"username": ["Must be a string."]})
    _hide_reviewers_from_committee(actor, plan)
    reviewer = session.scalars(select(User).where(User.username == username)
                               .options(joinedload(User.grants))).unique().one_or_none()
    if reviewer is None or not reviewer.holds_exactly("reviewer", plan.country):
        raise ValidationFailed({"username": [f"{username!r} does not hold reviewer for "
                                             f"{plan.country}."]})
    if is_assigned(session, reviewer, plan):
        raise ValidationFailed({"username": [f"{username!r} is already assigned."]})
    _require_drafter(actor, plan, "assign reviewers")
    if workflow_of(plan).states[plan.state].reviewers not in ("assign", "assign_remove"):
        raise NotEditable(f"reviewers cannot be assigned in '{plan.state}'")

    in_review = workflow_of(plan).states[plan.state].reviews_open
    assignment = ReviewerAssignment(plan_id=plan.id, user=reviewer, required=required,
                                    assigned_by=actor.username, due_given=due is not None,
                                    due=due or (default_due(plan) if in_review else None))
    session.add(assignment)
    append_event(session, plan=plan, actor=actor.username, action="assign_reviewer",
                 from_state=plan.state, to_state=plan.state,
                 content_version=plan.content_version,
                 data={"username": username, "required": required,
                       **({"due": due.isoformat()} if due else {})})
    session.flush()
    if in_review:  # the reviewer owes a decision, unless one on this version was given before
        refresh_rounds(session, plan)
    return assignment


def remove_reviewer(session: Session, actor: User, plan_id: int, username: str) -> None:
    plan = load_plan(session, actor, plan_id, lock=True)
    _hide_reviewers_from_committee(actor, plan)
    assignment = session.scalars(
        select(ReviewerAssignment).join(User, ReviewerAssignment.user_id == User.id)
        .where(ReviewerAssignment.plan_id == plan.id, User.username == username)
    ).one_or_none()
    if assignment is None:
        raise NotFound(f"{username!r} is not a reviewer of plan {plan.id}")
    _require_drafter(actor, plan, "remove reviewers")
    if workflow_of(plan).states[plan.state].reviewers != "assign_remove":
        raise NotEditable(f"reviewers cannot be removed in '{plan.state}': no one removes a "
                          "dissenting reviewer mid-review")
    session.delete(assignment)
    append_event(session, plan=plan, actor=actor.username, action="remove_reviewer",
                 from_state=plan.state, to_state=plan.state,
                 content_version=plan.content_version, data={"username": username})
    session.flush()


def record_review(session: Session, actor: User, plan_id: int, *, decision: str,
                  comment: str | None = None) -> Review:
    plan = load_plan(session, actor, plan_id, lock=True)
    if decision not in ("approve", "request_changes"):
        raise ValidationFailed({"decision": ["Must be one of: approve, request_changes."]})
    if comment is not None and not isinstance(comment, str):
        raise ValidationFailed({"comment": ["Must be a string."]})
    if decision == "request_changes" and not (comment or "").strip():
        raise ValidationFailed({"comment": ["A comment is required to request changes."]})
    if not (actor.holds_exactly("reviewer", plan.country) and is_assigned(session, actor, plan)):
        raise Forbidden("only a reviewer assigned to this plan may review it")
    if not workflow_of(plan).states[plan.state].reviews_open:
        raise NotEditable(f"reviews are recorded only in stakeholder review, not in "
                          f"'{plan.state}'")
    review = Review(plan_id=plan.id, user_id=actor.id, revision=plan.revision,
                    content_version=plan.content_version, decision=decision, comment=comment)
    session.add(review)
    append_event(session, plan=plan, actor=actor.username, action="review",
                 from_state=plan.state, to_state=plan.state,
                 content_version=plan.content_version, comment=comment,
                 data={"decision": decision})
    session.flush()
    refresh_rounds(session, plan)
    return review


# -- transitions -------------------------------------------------------------------------
def _check_request_data(taken: list[TransitionDef], data: dict[str, Any]) -> None:
    allowed: dict[str, type] = {}
    for t in taken:
        for guard in t.requires:
            allowed.update(REQUEST_DATA_FIELDS.get(guard, {}))
    errors = {}
    for name, value in data.items():
        if name not in allowed:
            errors[f"data.{name}"] = ["Unknown field."]
        elif value is not None and not isinstance(value, allowed[name]):
            errors[f"data.{name}"] = [f"Must be a {allowed[name].__name__}."]
    if errors:
        raise ValidationFailed(errors)


# session.info key: the (workflow, trigger) of each transition fired in the session's current
# transaction, for whoever counts them once it commits (runtime/metrics.py).
FIRED = "napflow.fired"


def fire(session: Session, actor: User, plan_id: int, trigger: str, *,
         comment: str | None = None, data: dict[str, Any] | None = None,
         if_match: str | None = None) -> Plan:
    """Fire `trigger` on the plan: state, effects and the audit event in one transaction."""
    plan = load_plan(session, actor, plan_id, lock=True)
    workflow = workflow_of(plan)
    candidates = workflow.check_trigger(trigger)
    # Guards read these and must never raise, so a wrong type is refused before they run.
    if comment is not None and not isinstance(comment, str):
        raise ValidationFailed({"comment": ["Must be a string."]})
    if data is not None and not isinstance(data, dict):
        raise ValidationFailed({"data": ["Must be an object."]})
    data = data or {}
    _check_request_data(candidates, data)
    taken = workflow.transition(trigger, plan.state)
    roles = taken.roles if taken else tuple(r for t in candidates for r in t.roles)
    if not holds_transition_role(session, actor, plan, roles):
        raise Forbidden(f"'{trigger}' may be fired only by: {', '.join(roles)}")
    if taken is None:
        raise workflow.refusal(trigger, plan.state)
    _check_if_match(plan, if_match)
    request = FiringRequest(comment=comment, data=data)
    before = facts_key(plan)
    taken = workflow.fire(plan.state, trigger, plan_facts(session, plan, actor), request)

    moment = utcnow()
    changes = {"state": taken.dest}
    if taken.dest != plan.state:
        changes["state_since"] = moment
    for effect in taken.effects:
        changes.update(EFFECTS[effect](session, plan, request))
    # Rounds open or close only where reviews are open before or after (the flags of a plan
    # outside review are all closed already): the other transitions pay nothing for them.
    rounds = reviews_open(plan)
    write_plan(session, plan, changes, next_link(
        plan.id, plan.audit_seq, plan.audit_head, moment, actor=actor.username, action=trigger,
        from_state=plan.state, to_state=taken.dest, content_version=plan.content_version,
        comment=comment, data=data or None))
    if rounds or reviews_open(plan):
        refresh_rounds(session, plan)
    carry_facts(session, plan, before)
    session.info.setdefault(FIRED, []).append((plan.workflow, trigger))
    return plan


def available_triggers(session: Session, actor: User, plan: Plan) -> list[dict[str, Any]]:
    """Each trigger the actor's roles may fire from the plan's state, ready or not and why."""
    workflow, facts, found = workflow_of(plan), None, []
    for t in workflow.transitions_from(plan.state):
        if not holds_transition_role(session, actor, plan, t.roles):
            continue
        facts = facts or plan_facts(session, plan, actor)
        reasons = t.plan_reasons(facts)
        found.append({"trigger": t.trigger, "ready": not reasons, "reasons": reasons})
    return found
