"""The plan page: content, reviewers and their decisions, the actions this user may take now."""

from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import current_app, render_template
from flask_login import current_user
from sqlalchemy.orm import Session
from wtforms import SelectChoice

from models import Plan, Review, ReviewerAssignment
from runtime import db
from web.blueprint import bp
from web.plans import lifecycle as diagram
from web.plans.forms import (
    DECISION_NAMES,
    DOMAIN_NAMES,
    OBLIGATION_NAMES,
    STATUS_NAMES,
    AssignForm,
    FireForm,
    ReviewForm,
)
from web.terms import name
from web.writes import new_key
from workflow import queries, service
from workflow.access import committee_only, is_assigned, load_plan
from workflow.countries import country_name
from workflow.engine import Workflow

# A plan has a handful of reviewers and reviews per round; the page reads them whole.
WHOLE = 500


@dataclass(frozen=True)
class Standing:
    """A reviewer and the latest decision they gave on this plan, if any."""

    username: str
    required: bool
    due: date | None
    decision: str | None
    version: int | None
    comment: str | None
    # The decision counts: given on the plan's current content version in this revision.
    current: bool


def standings(plan: Plan, assignments: list[ReviewerAssignment],
              reviews: list[Review]) -> list[Standing]:
    """Each assigned reviewer with their latest decision, marked outdated unless it was given
    on the version under review now (as the guards count it: this revision, this version)."""
    latest = {review.user_id: review for review in reviews}  # in id order: the last one wins
    found = []
    for a in assignments:
        review = latest.get(a.user_id)
        found.append(Standing(
            a.username, a.required, a.due, review.decision if review else None,
            review.content_version if review else None, review.comment if review else None,
            bool(review) and review.revision == plan.revision
            and review.content_version == plan.content_version))
    return found


def _whole(list_of, session: Session, plan: Plan) -> list[Any]:
    items, after = [], None
    while True:
        found = list_of(session, current_user, plan, after, WHOLE)
        items += found.items
        if found.next_after is None:
            return items
        after = found.next_after


def measures_by_obligation(content: dict[str, Any]) -> list[tuple[str, list[dict]]]:
    """The measures grouped under their obligation, in the resolution's order (OP1, OP2,
    OP3 a-d), each group in the plan's own order."""
    groups: dict[str, list[dict]] = {key: [] for key in OBLIGATION_NAMES}
    for measure in content.get("measures") or []:
        groups.setdefault(measure["obligation"], []).append(measure)
    return [(key, found) for key, found in groups.items() if found]


def lifecycle(workflow: Workflow, state: str) -> list[dict[str, Any]]:
    """The workflow's states in the order the definition gives them, the current one marked."""
    return [{"text": name("state", s), "current": s == state} for s in workflow.states]


def actions(session: Session, plan: Plan, workflow: Workflow) -> list[dict[str, Any]]:
    """The triggers this user may fire now (service.available_triggers), each with what it
    asks for (`needs`: the request guards of its transition, a comment or the submission's
    reference and consent) and the state it leads to (`dest`), both read from the definition:
    the page asks for the one and says the other ("Request changes" by a reviewer sends the
    plan back to draft, which a review's decision of the same name does not)."""
    found = []
    for available in service.available_triggers(session, current_user, plan):
        transition = workflow.transition(available["trigger"], plan.state)
        found.append({**available, "needs": transition.requires if transition else (),
                      "dest": transition.dest if transition else plan.state})
    return found


def render_plan(plan_id: int, *, status: int = 200, fire_form: FireForm | None = None,
                review_form: ReviewForm | None = None, assign_form: AssignForm | None = None):
    """The plan page; a form refused on it comes back with its errors (`status` then says
    why: 422, 409...)."""
    session = db.session()
    plan = load_plan(session, current_user, plan_id)
    view = queries.plan_view(session, current_user, plan)
    workflow = service.workflow_of(plan)
    state = workflow.states[plan.state]
    national = not committee_only(current_user, plan)
    reviewers, assignable, last_reviewed, reviewing = [], [], None, False
    if national:
        reviewers = standings(plan, _whole(queries.list_reviewers, session, plan),
                              _whole(queries.list_reviews, session, plan))
        if current_user.holds_exactly("drafter", plan.country) and state.reviewers != "none":
            assignable = queries.assignable_reviewers(session, current_user, plan)
        reviewing = (state.reviews_open and current_user.holds_exactly("reviewer", plan.country)
                     and is_assigned(session, current_user, plan))
        last_reviewed = queries.last_reviewed_version(session, current_user, plan)
    if assign_form is None and assignable:
        assign_form = AssignForm()
    if assign_form is not None:
        assign_form.username.choices = [SelectChoice("", ""), *map(SelectChoice, assignable)]
    page = render_template(
        "plans/show.html", plan=view, etag=plan.etag, country=country_name(plan.country),
        workflow_title=workflow.title,
        groups=measures_by_obligation(view["content"]), obligation_names=OBLIGATION_NAMES,
        domain_names=DOMAIN_NAMES, status_names=STATUS_NAMES, decision_names=DECISION_NAMES,
        steps=lifecycle(workflow, plan.state), actions=actions(session, plan, workflow),
        national=national, reviewers=reviewers, can_remove=state.reviewers == "assign_remove"
        and current_user.holds_exactly("drafter", plan.country),
        assign_form=assign_form, fire_form=fire_form or FireForm(),
        review_form=review_form or (ReviewForm() if reviewing else None),
        mine=next((r for r in reviewers if r.username == current_user.username), None),
        last_reviewed=last_reviewed, form_key=new_key, diagram=diagram.dot_program() is not None,
        editable=state.editable
        and current_user.holds_exactly("drafter", plan.country))
    return current_app.make_response((page, status))


@bp.route("/plans/<int:plan_id>")
def plan(plan_id: int):
    return render_plan(plan_id)
