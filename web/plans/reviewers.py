"""Reviewers on the plan page: the drafter assigns and removes them, a reviewer decides."""

from datetime import date

from flask import flash, redirect, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import SelectChoice

from runtime import db
from web.blueprint import bp
from web.plans.forms import AssignForm, FireForm, ReviewForm
from web.plans.page import render_plan
from web.plans.refusals import show_refusal
from web.writes import answer_repeat, sent_before, write_once
from workflow import queries, service
from workflow.access import load_plan
from workflow.errors import NapflowError, NotFound


def parse_date(field) -> date | None:
    """An optional ISO date (2027-06-30) from a text field; a wrong one is the field's error."""
    text = (field.data or "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        field.errors = [_("Enter a real date, for example 2027-06-30")]
        return None


def _reviewers(plan_id: int):
    """Where a reviewer's change is seen: the plan page's reviewers."""
    target = url_for("web.plan", plan_id=plan_id, _anchor="reviewers")
    return lambda _result: target


@bp.route("/plans/<int:plan_id>/reviewers", methods=["POST"])
def plan_assign_reviewer(plan_id: int):
    session = db.session()
    plan = load_plan(session, current_user, plan_id)
    if repeat := sent_before():
        return repeat
    form = AssignForm()
    # The choices are whom the operation accepts now; it checks them again when assigning.
    form.username.choices = [SelectChoice("", ""), *map(
        SelectChoice, queries.assignable_reviewers(session, current_user, plan))]
    due = parse_date(form.due) if form.validate_on_submit() else None
    if form.errors:
        return render_plan(plan_id, status=422, assign_form=form)
    try:
        written = write_once(form.form_key.data, lambda session: service.assign_reviewer(
            session, current_user, plan_id, username=form.username.data,
            required=form.required.data, due=due), _reviewers(plan_id))
    except NapflowError as err:
        show_refusal(form, err, {"username": form.username, "due": form.due})
        return render_plan(plan_id, status=err.status, assign_form=form)
    if written.repeated:
        return answer_repeat(written)
    flash(_("%(name)s is now a reviewer of this plan.", name=form.username.data), "success")
    return redirect(url_for("web.plan", plan_id=plan_id, _anchor="reviewers"))


@bp.route("/plans/<int:plan_id>/reviewers/<username>/remove", methods=["POST"])
def plan_remove_reviewer(plan_id: int, username: str):
    if "\x00" in username:  # no one is called so, and PostgreSQL text cannot hold it
        raise NotFound(f"{username!r} is not a reviewer of plan {plan_id}")
    if repeat := sent_before():
        return repeat
    form = FireForm()  # its key only; it carries a refusal to the page's error summary
    try:
        written = write_once(form.form_key.data, lambda session: service.remove_reviewer(
            session, current_user, plan_id, username), _reviewers(plan_id))
    except NapflowError as err:
        show_refusal(form, err)
        return render_plan(plan_id, status=err.status, fire_form=form)
    if written.repeated:
        return answer_repeat(written)
    flash(_("%(name)s is no longer a reviewer of this plan.", name=username), "success")
    return redirect(url_for("web.plan", plan_id=plan_id, _anchor="reviewers"))


@bp.route("/plans/<int:plan_id>/reviews", methods=["POST"])
def plan_review(plan_id: int):
    load_plan(db.session(), current_user, plan_id)
    if repeat := sent_before():
        return repeat
    form = ReviewForm()
    if not form.validate_on_submit():
        return render_plan(plan_id, status=422, review_form=form)
    try:
        # Sent twice, the decision is recorded once (each review is a record of its own).
        written = write_once(form.form_key.data, lambda session: service.record_review(
            session, current_user, plan_id, decision=form.decision.data,
            comment=(form.comment.data or "").strip() or None), _reviewers(plan_id))
    except NapflowError as err:
        show_refusal(form, err, {"decision": form.decision, "comment": form.comment})
        return render_plan(plan_id, status=err.status, review_form=form)
    if written.repeated:
        return answer_repeat(written)
    flash(_("Your decision is recorded.") if form.decision.data == "approve"
          else _("Your request for changes is recorded."), "success")
    return redirect(url_for("web.plan", plan_id=plan_id, _anchor="reviewers"))
