"""My tasks, the landing page: what the signed-in user can act on now, oldest first."""

from flask import current_app, render_template
from flask_login import current_user

from runtime import db
from runtime.clock import today
from web.blueprint import bp
from web.listing import listing
from workflow import cursors, queries, tasks

PAGE = 25


@bp.route("/")
def home():
    session = db.session()
    found = listing(cursors.TASKS, lambda after: tasks.my_tasks(
        session, current_user, today(), after=after, limit=PAGE))
    # A reviewer asked to review again goes straight to what changed since their last review.
    reviewed = queries.last_reviewed_versions(
        session, current_user, {t["plan"].id for t in found.items if t["kind"] == "review"})
    page = render_template(
        "tasks/index.html", listing=found, reviewed=reviewed,
        waiting=tasks.handed_over(session, {task["plan"].id for task in found.items}))
    return current_app.make_response((page, found.status))
