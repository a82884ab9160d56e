"""An independent model of a plan's lifecycle: what each operation should do or refuse.

It reads only the workflow *definition* (states, transitions, roles, guard and effect names)
and gives each guard and effect name its meaning from the contract, so a new guard without a
meaning here fails loudly. Errors are predicted in the contract's order of refusals.
"""

from dataclasses import dataclass, field

from tests.model.cast import CAST, COMPLETE
from workflow.engine import TransitionDef, Workflow
from workflow.errors import (
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NapflowError,
    NotEditable,
    NotFound,
    PreconditionFailed,
    PreconditionRequired,
    UnknownTrigger,
    ValidationFailed,
)

Outcome = type[NapflowError] | None  # the error expected, or None for success
NATIONAL_ROLES = ("drafter", "reviewer", "approver", "submitter", "viewer", "auditor")
# The `data` fields each request guard reads, with their JSON types (contract, Submission).
DATA_FIELDS = {"submission_data": {"reference": str, "publication_consent": bool}}


@dataclass
class PlanModel:
    id: int
    country: str
    title: str
    state: str
    versions: list[tuple[str, str]]  # (meaning, author) of content versions 1, 2, ...
    revision: int = 1
    # Who wrote a version of this revision; a revision starts from the version it carries over.
    revision_authors: set[str] = field(default_factory=set)
    assignments: dict[str, bool] = field(default_factory=dict)  # username -> required
    # (revision, content version) -> reviewer -> latest decision on that version
    decisions: dict[tuple[int, int], dict[str, str]] = field(default_factory=dict)
    reviews: int = 0
    events: int = 1
    submitted: bool = False  # ever submitted: the Committee sees it from then on
    etags: list[str] = field(default_factory=list)  # every ETag seen, oldest first
    etag_events: int = -1  # events the plan had when its latest ETag was seen

    @property
    def content_version(self) -> int:
        return len(self.versions)

    @property
    def meaning(self) -> str:
        return self.versions[-1][0]

    def current_decisions(self) -> dict[str, str]:
        return self.decisions.get((self.revision, self.content_version), {})


# -- who is who -------------------------------------------------------------------------------
def holds(user: str, role: str, country: str) -> bool:
    return (role, country) in CAST.get(user, ())


def sees(user: str, plan: PlanModel | None) -> bool:
    if plan is None:
        return False
    grants = CAST[user]
    national = any(role in NATIONAL_ROLES and country in (plan.country, None)
                   for role, country in grants)
    return national or (("committee", None) in grants and plan.submitted)


def may_fire(user: str, plan: PlanModel, roles: tuple[str, ...]) -> bool:
    for role in roles:
        if role == "assigned_reviewer":
            if holds(user, "reviewer", plan.country) and user in plan.assignments:
                return True
        elif role in ("committee", "admin"):
            if (role, None) in CAST[user]:
                return True
        elif holds(user, role, plan.country):
            return True
    return False


# -- what guards and effects mean --------------------------------------------------------------
def endorsable(plan: PlanModel) -> bool:
    decisions = plan.current_decisions()
    return (all(decisions.get(user) != "request_changes" for user in plan.assignments)
            and all(decisions.get(user) == "approve"
                    for user, required in plan.assignments.items() if required))


PLAN_GUARDS = {
    "content_complete": lambda plan, actor: plan.meaning in COMPLETE,
    "has_required_reviewer": lambda plan, actor: any(plan.assignments.values()),
    "required_reviews_approve_current_version": lambda plan, actor: endorsable(plan),
    "approver_not_author": lambda plan, actor: actor not in plan.revision_authors,
}


def _comment_given(comment: object, data: dict) -> bool:
    return isinstance(comment, str) and bool(comment.strip())


def _submission_given(comment: object, data: dict) -> bool:
    reference = data.get("reference")
    return (isinstance(reference, str) and bool(reference.strip())
            and isinstance(data.get("publication_consent"), bool))


REQUEST_GUARDS = {"comment": _comment_given, "submission_data": _submission_given}


def _record_submission(plan: PlanModel) -> None:
    plan.submitted = True


def _start_revision(plan: PlanModel) -> None:
    plan.revision += 1
    plan.revision_authors = {plan.versions[-1][1]}


def _set_review_due(plan: PlanModel) -> None:
    """Due days decide no guard and no refusal: the lifecycle does not depend on them
    (tests/api/test_overview.py checks them)."""


EFFECTS = {"record_submission": _record_submission, "start_revision": _start_revision,
           "set_review_due": _set_review_due}


def guards_hold(t: TransitionDef, plan: PlanModel, actor: str) -> bool:
    return all(PLAN_GUARDS[name](plan, actor) for name in t.guards)


# -- predictions ---------------------------------------------------------------------------------
def if_match_outcome(plan: PlanModel, if_match: str | None) -> Outcome:
    if if_match is None:
        return None
    tags = [tag.strip() for tag in if_match.split(",")]
    return None if "*" in tags or plan.etags[-1] in tags else PreconditionFailed


def predict_create(actor: str, country_ok: bool, country: str, title_ok: bool,
                   content_ok: bool, workflow_ok: bool) -> Outcome:
    if not (country_ok and title_ok and content_ok and workflow_ok):
        return ValidationFailed
    return None if holds(actor, "drafter", country) else Forbidden


def predict_edit(wf: Workflow, actor: str, plan: PlanModel | None, *, title_ok: bool,
                 content_ok: bool, if_match: str | None, require_if_match: bool) -> Outcome:
    if not sees(actor, plan):
        return NotFound
    if not (title_ok and content_ok):
        return ValidationFailed
    if not holds(actor, "drafter", plan.country):
        return Forbidden
    if not wf.states[plan.state].editable:
        return NotEditable
    if if_match is None and require_if_match:
        return PreconditionRequired
    return if_match_outcome(plan, if_match)


def predict_assign(wf: Workflow, actor: str, plan: PlanModel | None, username: str,
                   required: object) -> Outcome:
    if not sees(actor, plan):
        return NotFound
    if (not isinstance(required, bool) or not holds(username, "reviewer", plan.country)
            or username in plan.assignments):
        return ValidationFailed
    if not holds(actor, "drafter", plan.country):
        return Forbidden
    if wf.states[plan.state].reviewers not in ("assign", "assign_remove"):
        return NotEditable
    return None


def predict_remove(wf: Workflow, actor: str, plan: PlanModel | None, username: str) -> Outcome:
    if not sees(actor, plan) or username not in plan.assignments:
        return NotFound
    if not holds(actor, "drafter", plan.country):
        return Forbidden
    return None if wf.states[plan.state].reviewers == "assign_remove" else NotEditable


def predict_review(wf: Workflow, actor: str, plan: PlanModel | None, decision: object,
                   comment: object) -> Outcome:
    if not sees(actor, plan):
        return NotFound
    if (decision not in ("approve", "request_changes")
            or (comment is not None and not isinstance(comment, str))
            or (decision == "request_changes" and not (comment or "").strip())):
        return ValidationFailed
    if not (holds(actor, "reviewer", plan.country) and actor in plan.assignments):
        return Forbidden
    return None if wf.states[plan.state].reviews_open else NotEditable


def _data_valid(candidates: list[TransitionDef], data: object) -> bool:
    if data is None:
        return True
    if not isinstance(data, dict):
        return False
    allowed: dict[str, type] = {}
    for t in candidates:
        for name in t.requires:
            allowed.update(DATA_FIELDS.get(name, {}))
    return all(name in allowed and (value is None or isinstance(value, allowed[name]))
               for name, value in data.items())


def predict_fire(wf: Workflow, actor: str, plan: PlanModel | None, trigger: str,
                 comment: object, data: object, if_match: str | None) -> Outcome:
    if not sees(actor, plan):
        return NotFound
    candidates = [t for t in wf.transitions if t.trigger == trigger]
    if not candidates:
        return UnknownTrigger
    if comment is not None and not isinstance(comment, str):
        return ValidationFailed
    if not _data_valid(candidates, data):
        return ValidationFailed
    taken = next((t for t in candidates if plan.state in t.source), None)
    roles = taken.roles if taken else tuple(r for t in candidates for r in t.roles)
    if not may_fire(actor, plan, roles):
        return Forbidden
    if taken is None:
        return InvalidTransition
    if if_match_outcome(plan, if_match):
        return PreconditionFailed
    request_ok = all(REQUEST_GUARDS[name](comment, data or {}) for name in taken.requires)
    return None if guards_hold(taken, plan, actor) and request_ok else GuardFailed


def apply_fire(wf: Workflow, plan: PlanModel, trigger: str) -> None:
    taken = next(t for t in wf.transitions if t.trigger == trigger and plan.state in t.source)
    plan.state = taken.dest
    for name in taken.effects:
        EFFECTS[name](plan)
    plan.events += 1


def expected_available(wf: Workflow, actor: str, plan: PlanModel) -> list[tuple[str, bool]]:
    """available_triggers as the model sees it: (trigger, ready) in definition order."""
    return [(t.trigger, guards_hold(t, plan, actor)) for t in wf.transitions
            if plan.state in t.source and may_fire(actor, plan, t.roles)]
