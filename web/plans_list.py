"""The plans list with its filters, and the form that creates a plan."""

from flask import abort, current_app, flash, redirect, render_template, request
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import DataRequired, Length

from runtime import db
from web.blueprint import bp
from web.listing import (
    CountryField,
    FilterForm,
    choice_field,
    listing,
    plan_url,
    storable,
)
from web.terms import name
from web.writes import answer_repeat, form_key_field, sent_before, write_once
from workflow import cursors, queries, service
from workflow.countries import country_name
from workflow.engine import default_registry
from workflow.errors import ValidationFailed
from workflow.vocabulary import states, workflow_keys

PAGE = 50
TITLE_LENGTH = 300  # the plans table's title column


def waiting_roles() -> list[str]:
    """The roles some plan can wait on, in the order the workflows first name them."""
    return list(dict.fromkeys(role for w in default_registry() for s in w.states
                              for role in w.waiting_on(s)))


def workflow_title(key: str) -> str:
    return default_registry().get(key).title


class PlanFilters(FilterForm):
    country = CountryField(_l("Country"))
    state = choice_field(_l("State"), states, lambda s: name("state", s), _l("Any state"),
                         _l("Choose a state from the list"))
    workflow = choice_field(_l("Workflow"), workflow_keys, workflow_title,
                            _l("Any workflow"), _l("Choose a workflow from the list"))
    waiting_on = choice_field(_l("Waiting on"), waiting_roles, lambda r: name("role", r),
                              _l("Anyone"), _l("Choose a role from the list"))


@bp.route("/plans")
def plans():
    form = PlanFilters()
    found = listing(cursors.BY_ID, lambda after: queries.list_plans(
        db.session(), current_user, after=after, limit=PAGE, **form.chosen()), form)
    page = render_template(
        "plans_list/index.html", form=form, listing=found, filtered=bool(form.chosen()),
        may_create=bool(current_user.countries_for("drafter")))
    return current_app.make_response((page, found.status))


def _stripped(text: str | None) -> str | None:
    return text.strip() if isinstance(text, str) else text


class NewPlanForm(FlaskForm):
    country = SelectField(_l("Country"),
                          invalid_choice_message=_l("Choose the country the plan is for"))
    title = StringField(_l("Title"), filters=[_stripped], validators=[
        DataRequired(_l("Enter a title for the plan")), storable,
        Length(max=TITLE_LENGTH, message=_l("Enter a title of %(max)d characters or fewer",
                                            max=TITLE_LENGTH))])
    form_key = form_key_field()


@bp.route("/plans/new", methods=["GET", "POST"])
def new_plan():
    countries = sorted(c for c in current_user.countries_for("drafter") if c)
    if not countries:
        abort(403)  # only a country's drafters create its plans
    if request.method == "POST" and (repeat := sent_before()):
        return repeat
    form = NewPlanForm()
    form.country.choices = [SelectChoice(c, f"{country_name(c)} ({c})") for c in countries]
    if not form.validate_on_submit():
        return _new_plan_page(form, 422 if form.is_submitted() else 200)
    try:
        # One transaction, run again whole if PostgreSQL abandons it, as every page action;
        # the same form sent twice makes one plan, and both sends land on it.
        written = write_once(form.form_key.data, lambda session: service.create_plan(
            session, current_user, country=form.country.data, title=form.title.data).id,
            plan_url)
    except ValidationFailed as refused:
        # What the operation refuses that the form did not (its rules may grow): shown at
        # the field it names, or above the form.
        for field, messages in refused.errors.items():
            target = form[field].errors if field in form else form.form_errors
            target.extend(messages)
        return _new_plan_page(form, 422)
    if written.repeated:
        return answer_repeat(written)
    flash(_l("Plan created. It is a draft: add its measures, then send it for review."),
          "success")
    return redirect(written.target)


def _new_plan_page(form: NewPlanForm, status: int):
    return current_app.make_response((render_template("plans_list/new.html", form=form),
                                      status))
