"""Editing a draft: title, summary, period and measures, under the API's If-Match rule."""

from collections.abc import Iterator
from typing import Any

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Field

from runtime import db
from web.blueprint import bp
from web.plans.forms import EditForm, MeasureForm
from web.plans.refusals import show_refusal
from web.writes import answer_repeat, sent_before, write_once
from workflow import service
from workflow.access import load_plan
from workflow.errors import NapflowError, PreconditionFailed, ValidationFailed
from workflow.versions import current_content

# The operation's messages for a missing or blank field, said as GOV.UK says them: what to do.
ASK = {
    "title": _l("Enter a title"),
    "obligation": _l("Choose the obligation this measure implements"),
    "description": _l("Enter a description of the measure"),
    "lead_agency": _l("Enter the lead agency"),
}
MISSING = frozenset({"Missing data for required field.", "Must not be blank.",
                     "Field may not be null."})


class FlatErrors:
    """The form as the error summary reads it (`errors`, `form_errors`, fields with an `id`
    and `errors`), with each measure's fields in place of the list that holds them: so every
    message links to the field it is about."""

    def __init__(self, form: EditForm):
        self.form = form
        self.form_errors = form.form_errors

    def __iter__(self) -> Iterator[Field]:
        for field in self.form:
            if field.name == "measures":
                for row in field.entries:
                    yield from row.form
            else:
                yield field

    @property
    def errors(self) -> bool:
        return bool(self.form_errors) or any(field.errors for field in self)


def _fill(form: EditForm, title: str, content: dict[str, Any]) -> None:
    period = content.get("period") or {}
    form.process(data={
        "title": title, "summary": content.get("summary", ""),
        "period_start": period.get("start", ""), "period_end": period.get("end", ""),
        "measures": [{**m, "due": m.get("due") or "", "domains": m.get("domains") or []}
                     for m in content.get("measures") or []]})


def _content(form: EditForm) -> tuple[dict[str, Any], dict[int, MeasureForm]]:
    """The content the form describes, and which row each of its measures came from."""
    content: dict[str, Any] = {}
    if (form.summary.data or "").strip():
        content["summary"] = form.summary.data.strip()
    start, end = (form.period_start.data or "").strip(), (form.period_end.data or "").strip()
    if start or end:
        content["period"] = {k: v for k, v in (("start", start), ("end", end)) if v}
    measures, rows = [], {}
    for entry in form.measures.entries:
        row = entry.form
        if row.remove.data or row.is_blank():
            continue
        measure = {"obligation": row.obligation.data or None,
                   "description": row.description.data or "",
                   "lead_agency": row.lead_agency.data or "",
                   "assistance_needed": bool(row.assistance_needed.data),
                   "status": row.status.data or "planned"}
        if (row.due.data or "").strip():
            measure["due"] = row.due.data.strip()
        if row.domains.data:
            measure["domains"] = list(row.domains.data)
        rows[len(measures)] = row
        measures.append(measure)
    content["measures"] = measures
    return content, rows


def _fields(form: EditForm, rows: dict[int, MeasureForm]) -> dict[str, Field]:
    """The operation's field paths (content.measures.0.description) -> the form's fields."""
    found = {"title": form.title, "content.summary": form.summary,
             "content.period": form.period_start, "content.period.start": form.period_start,
             "content.period.end": form.period_end}
    for index, row in rows.items():
        for field in row:
            found[f"content.measures.{index}.{field.short_name}"] = field
    return found


def _asked(err: ValidationFailed) -> ValidationFailed:
    """The refusal with a missing or blank field's message said as a request to fill it."""
    errors = {}
    for path, messages in err.errors.items():
        ask = ASK.get(path.rpartition(".")[2])
        errors[path] = [str(ask) if ask and m in MISSING else m for m in messages]
    return ValidationFailed(errors)


def _number(text: str | None) -> int | None:
    """The version number a form carried back; a hidden field can be altered: None then."""
    return int(text) if text and text.isdigit() and len(text) < 10 else None


def _page(form: EditForm, plan, status: int = 200, conflict: dict | None = None):
    page = render_template("plans/edit.html", form=form, summary=FlatErrors(form), plan=plan,
                           conflict=conflict)
    return current_app.make_response((page, status))


@bp.route("/plans/<int:plan_id>/edit", methods=["GET", "POST"])
def plan_edit(plan_id: int):
    session = db.session()
    plan = load_plan(session, current_user, plan_id)
    if request.method == "POST" and (repeat := sent_before()):
        return repeat
    state = service.workflow_of(plan).states[plan.state]
    if not (state.editable and current_user.holds_exactly("drafter", plan.country)):
        flash(_("Only a drafter of %(country)s can edit this plan, and only in draft.",
                country=plan.country), "important")
        return redirect(url_for("web.plan", plan_id=plan_id))
    form = EditForm()
    if request.method == "GET":
        _fill(form, plan.title, current_content(session, plan))
        if not form.measures.entries:
            form.measures.append_entry()
        form.etag.data, form.from_version.data = plan.etag, str(plan.content_version)
        return _page(form, plan)
    if form.add_measure.data:  # "Add another measure": the same form with one more blank row
        form.measures.append_entry()
        return _page(form, plan)
    if not form.validate_on_submit():  # a choice that is not one (a hand-made request)
        return _page(form, plan, 422)
    content, rows = _content(form)
    try:
        # Save pressed twice saves once; the second send is not taken for someone else's
        # save (the conflict its old ETag would meet).
        written = write_once(form.form_key.data, lambda session: service.edit_plan(
            session, current_user, plan_id, title=form.title.data, content=content,
            if_match=form.etag.data, require_if_match=True).content_version,
            lambda _version: url_for("web.plan", plan_id=plan_id))
    except PreconditionFailed:
        return _conflict(form, plan_id)
    except NapflowError as err:
        if isinstance(err, ValidationFailed):
            err = _asked(err)
        show_refusal(form, err, _fields(form, rows))
        # The list of measures reports its rows' errors as validating it would, so that the
        # form counts as refused (the layout's title says "Error:").
        row_errors = [entry.errors for entry in form.measures.entries]
        form.measures.errors = row_errors if any(row_errors) else []
        return _page(form, load_plan(db.session(), current_user, plan_id), err.status)
    if written.repeated:
        return answer_repeat(written)
    version = written.result
    if version != _number(form.from_version.data):
        flash(_("Your changes are saved as version %(number)d.", number=version), "success")
    else:
        flash(_("Your changes are saved."), "success")
    return redirect(url_for("web.plan", plan_id=plan_id))


def _conflict(form: EditForm, plan_id: int):
    """Someone else saved first: nothing of this form was saved. It is shown again as typed,
    now carrying the plan's new ETag, so that saving again is a choice made knowing it."""
    plan = load_plan(db.session(), current_user, plan_id)
    started = _number(form.from_version.data)
    diff = None
    if started and started != plan.content_version:
        diff = url_for("web.plan_diff", plan_id=plan_id, a=started, b=plan.content_version)
    form.etag.data, form.from_version.data = plan.etag, str(plan.content_version)
    return _page(form, plan, 409, conflict={"diff": diff, "history": url_for(
        "web.plan", plan_id=plan_id)})

