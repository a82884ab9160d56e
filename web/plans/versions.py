"""A plan's content versions: the list, and what changed between any two of them."""

from flask import current_app, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Form, SelectChoice, SelectField

from runtime import db
from web.blueprint import bp
from web.plans.forms import DOMAIN_NAMES, OBLIGATION_NAMES, STATUS_NAMES
from workflow import queries
from workflow.access import MAX_ID, committee_only, load_plan
from workflow.diff import content_diff

PAGE = 100


class CompareForm(Form):
    """Two versions to compare: a GET form (it changes nothing), so it needs no CSRF token."""

    start = SelectField(_l("From version"), name="from", validate_choice=False)
    end = SelectField(_l("To version"), name="to", validate_choice=False)


def _number(text: str | None) -> int | None:
    text = text or ""
    return int(text) if text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID else None


def _last_reviewed(session, plan) -> int | None:
    """The version this user last reviewed, when the plan has moved on since."""
    if committee_only(current_user, plan):
        return None
    last = queries.last_reviewed_version(session, current_user, plan)
    return last if last is not None and last != plan.content_version else None


@bp.route("/plans/<int:plan_id>/versions")
def plan_versions(plan_id: int, form: CompareForm | None = None):
    session = db.session()
    plan = load_plan(session, current_user, plan_id)
    found = queries.list_versions(session, current_user, plan,
                                  _number(request.args.get("after")), PAGE)
    numbers = [str(v.number) for v in found.items]
    if form is None:
        form = CompareForm(data={"start": numbers[-2] if len(numbers) > 1 else None,
                                 "end": numbers[-1] if numbers else None})
    form.start.choices = form.end.choices = [SelectChoice(n) for n in numbers]
    page = render_template(
        "plans/versions.html", plan=plan, versions=found.items, form=form,
        next_after=found.next_after, last_reviewed=_last_reviewed(session, plan))
    return current_app.make_response((page, 422 if form.errors else 200))


@bp.route("/plans/<int:plan_id>/versions/compare")
def plan_compare(plan_id: int):
    """The versions page's compare form (GET, no JavaScript): to the diff's own address."""
    load_plan(db.session(), current_user, plan_id)
    form = CompareForm(request.args)
    a, b = _number(form.start.data), _number(form.end.data)
    for field, number in ((form.start, a), (form.end, b)):
        if number is None:
            field.errors = [_("Choose a version to compare")]
    if a is None or b is None:
        return plan_versions(plan_id, form)
    return redirect(url_for("web.plan_diff", plan_id=plan_id, a=a, b=b))


@bp.route("/plans/<int:plan_id>/versions/<int:a>/diff/<int:b>")
def plan_diff(plan_id: int, a: int, b: int):
    session = db.session()
    plan = load_plan(session, current_user, plan_id)
    old = queries.get_version(session, current_user, plan, a)
    new = queries.get_version(session, current_user, plan, b)
    return render_template(
        "plans/diff.html", plan=plan, old=old, new=new,
        diff=content_diff(old.content, new.content), obligation_names=OBLIGATION_NAMES,
        domain_names=DOMAIN_NAMES, status_names=STATUS_NAMES,
        last_reviewed=_last_reviewed(session, plan))
