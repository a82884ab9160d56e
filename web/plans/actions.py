"""Firing a plan's triggers from the pages: a button, or a step asking what the workflow needs."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from runtime import db
from web.blueprint import bp
from web.plans.forms import FireForm, SubmissionForm
from web.plans.page import render_plan
from web.plans.refusals import show_refusal
from web.terms import name
from web.writes import answer_repeat, sent_before, write_once
from workflow import service
from workflow.access import load_plan
from workflow.errors import NapflowError, NotFound, UnknownTrigger

CONSENT = {"yes": True, "no": False}


def needs_of(plan, trigger: str) -> tuple[str, ...]:
    """The request guards of `trigger` in the plan's workflow (from any state it leaves): what
    its step must ask for. An unknown trigger raises UnknownTrigger."""
    return tuple(dict.fromkeys(
        need for t in service.workflow_of(plan).check_trigger(trigger) for need in t.requires))


def _form_for(needs: tuple[str, ...]) -> FireForm:
    form = SubmissionForm() if "submission_data" in needs else FireForm()
    if request.method == "GET":  # a "Change" link from the answers to check comes back here
        form.process(data={k: v for k, v in request.args.items()
                           if k in ("reference", "publication_consent", "comment")})
    return form


def _asked(form: FireForm, needs: tuple[str, ...]) -> bool:
    """The form's own check of what the step asks for (the operation checks again)."""
    if "comment" in needs and not (form.comment.data or "").strip():
        form.comment.errors = [_("Enter a comment: this action needs one")]
    if isinstance(form, SubmissionForm):
        if not (form.reference.data or "").strip():
            form.reference.errors = [_("Enter the note verbale or letter reference")]
        if form.publication_consent.data not in CONSENT:
            form.publication_consent.errors = [
                _("Choose whether the Committee may publish this plan")]
    return not form.errors


def _step(plan, trigger: str, form: FireForm, needs: tuple[str, ...], status: int = 200,
          template: str = "plans/action.html"):
    page = render_template(template, plan=plan, trigger=trigger, form=form, needs=needs,
                           action_name=name("trigger", trigger))
    return page, status


@bp.route("/plans/<int:plan_id>/actions/<trigger>", methods=["GET", "POST"])
def plan_action(plan_id: int, trigger: str):
    """GET: the step of a trigger that needs a comment or the submission's details. POST:
    fire it, from that step or from the plan page's button."""
    plan = load_plan(db.session(), current_user, plan_id)
    if request.method == "POST" and (repeat := sent_before()):
        return repeat
    try:
        needs = needs_of(plan, trigger)
    except UnknownTrigger as err:
        if request.method == "GET":
            raise NotFound(str(err)) from None
        form = FireForm()
        show_refusal(form, err)
        return render_plan(plan_id, status=err.status, fire_form=form)
    form = _form_for(needs)
    if request.method == "GET":
        if not needs:  # a button's trigger has no step of its own: its button is on the plan
            return redirect(url_for("web.plan", plan_id=plan_id))
        mine = {t["trigger"] for t in service.available_triggers(db.session(), current_user,
                                                                 plan)}
        if trigger not in mine:  # not a step to fill in only to be refused at its end
            flash(_("“%(action)s” is not yours to do on this plan now.",
                    action=name("trigger", trigger)), "important")
            return redirect(url_for("web.plan", plan_id=plan_id))
        form.etag.data = plan.etag
        return _step(plan, trigger, form, needs)
    valid = form.validate_on_submit()
    if not (_asked(form, needs) and valid):
        if not needs:
            return render_plan(plan_id, status=422, fire_form=form)
        return _step(plan, trigger, form, needs, 422)
    if isinstance(form, SubmissionForm) and not form.confirmed.data:
        form.confirmed.data = "1"
        return _step(plan, trigger, form, needs, template="plans/check_submission.html")
    data = None
    if isinstance(form, SubmissionForm):
        data = {"reference": form.reference.data,
                "publication_consent": CONSENT[form.publication_consent.data]}
    page = url_for("web.plan", plan_id=plan_id)
    try:
        # Sent twice, the form fires once: the second send lands on the plan with a note,
        # rather than on the refusal a fired trigger gets from its new state.
        written = write_once(form.form_key.data, lambda session: service.fire(
            session, current_user, plan_id, trigger, comment=form.comment.data or None,
            data=data, if_match=form.etag.data or None).state, lambda _state: page)
    except NapflowError as err:
        show_refusal(form, err, {"comment": form.comment})
        plan = load_plan(db.session(), current_user, plan_id)
        if not needs:
            return render_plan(plan_id, status=err.status, fire_form=form)
        if isinstance(form, SubmissionForm):
            form.confirmed.data = ""  # back to the answers, to be checked again
        return _step(plan, trigger, form, needs, err.status)
    if written.repeated:
        return answer_repeat(written)
    flash(_("Done: %(action)s. The plan is now in the state “%(state)s”.",
            action=name("trigger", trigger), state=name("state", written.result)), "success")
    return redirect(page)
