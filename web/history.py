"""A plan's history: its audit events as a timeline, and whether its hash chain verifies."""

from flask import current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField

from runtime import db
from web.blueprint import bp
from web.events import shown
from web.i18n import number_filter
from web.listing import FilterForm, listing
from web.words import ngettext
from workflow import cursors, queries
from workflow.access import load_plan
from workflow.audit import verify_chain

PAGE = 50


class HistoryOptions(FilterForm):
    order = SelectField(_l("Show"), default="oldest",
                        choices=[SelectChoice("oldest", _l("Oldest first")),
                                 SelectChoice("newest", _l("Newest first"))],
                        invalid_choice_message=_l("Choose oldest or newest first"))


@bp.route("/plans/<int:plan_id>/history")
def plan_history(plan_id: int):
    session = db.session()
    # Another country's plan, or one the Committee has not been sent: "Page not found".
    plan = load_plan(session, current_user, plan_id)
    form = HistoryOptions()
    # What the Committee sees of it is decided there, as for GET .../history.
    found = listing(cursors.BY_ID, lambda after: queries.history(
        session, current_user, plan, after, PAGE, newest_first=form.order.data == "newest"),
        form)
    # Checked on every request, as GET .../history/verify does: the badge is never stale.
    chain = verify_chain(session, plan.id)
    verified = ngettext(
        "Each of its %(count)s event is linked to the one before by its hash, and none has "
        "been changed, removed or reordered.",
        "Each of its %(count)s events is linked to the one before by its hash, and none has "
        "been changed, removed or reordered.", chain.events, count=number_filter(chain.events))
    page = render_template(
        "history/index.html", form=form, plan=plan, listing=found,
        events=[shown(e) for e in found.items], chain=chain, verified=verified,
        export={fmt: url_for("web.audit_export", plan=plan.id, format=fmt)
                for fmt in ("jsonl", "csv")})
    return current_app.make_response((page, found.status))
