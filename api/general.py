"""The caller, the workflows napflow knows, the status overview, tasks and overdue reviews."""

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from api.auth import current_user
from api.plans import listing
from api.schemas import (
    MeSchema,
    OverdueListArgs,
    StatusSchema,
    TaskListArgs,
    WorkflowSchema,
    overdue_page,
    page_of,
    task_page,
)
from runtime import db
from runtime.clock import today
from workflow import overview, tasks
from workflow.engine import default_registry
from workflow.errors import NotFound

blp = Blueprint("general", __name__, url_prefix="/api/v1",
                description="Caller, workflows and status")


@blp.route("/me")
class Me(MethodView):
    @blp.doc(operationId="get_me")
    @blp.response(200, MeSchema)
    def get(self):
        """The caller's username and grants."""
        user = current_user()
        return {"username": user.username, "grants": user.grant_strings()}


@blp.route("/workflows")
class Workflows(MethodView):
    @blp.doc(operationId="list_workflows")
    @blp.response(200, page_of(WorkflowSchema))
    def get(self):
        """Every workflow: states and transitions (trigger, source, dest, roles, guards)."""
        return {"items": [w.describe() for w in default_registry()], "next_cursor": None}


@blp.route("/workflows/<string:key>")
class WorkflowByKey(MethodView):
    @blp.doc(operationId="get_workflow")
    @blp.response(200, WorkflowSchema)
    def get(self, key):
        """One workflow's lifecycle."""
        workflow = default_registry().get(key)
        if workflow is None:
            raise NotFound(f"no workflow {key!r}")
        return workflow.describe()


@blp.route("/status")
class Status(MethodView):
    @blp.doc(operationId="get_status")
    @blp.response(200, StatusSchema)
    def get(self):
        """Visible plans counted by country and state and by the role they wait on, and
        reviews past their due day counted by country."""
        # The database writes the body in StatusSchema's shape (flask-smorest passes a
        # Response through): per row, marshmallow's dump, or even building dicts and
        # encoding them, cost more than the database takes to read the world's ~2,300 rows
        # (tests/api/test_overview.py holds the body to the schema on both databases).
        body = overview.status_json(db.session(), current_user(), today())
        return current_app.response_class(body + "\n", mimetype="application/json")


@blp.route("/reviews/overdue")
class OverdueReviews(MethodView):
    @blp.doc(operationId="list_overdue_reviews")
    @blp.arguments(OverdueListArgs(), location="query", unknown=RAISE)
    @blp.response(200, overdue_page())
    def get(self, args):
        """Reviews past their due day with no decision on the current version, most overdue
        first, on plans the caller sees nationally (none for the Committee)."""
        return listing(overview.overdue_reviews(
            db.session(), current_user(), today(), country=args.get("country"),
            after=args.get("cursor"), limit=args["limit"]))


@blp.route("/me/tasks")
class MyTasks(MethodView):
    @blp.doc(operationId="list_my_tasks")
    @blp.arguments(TaskListArgs(), location="query", unknown=RAISE)
    @blp.response(200, task_page())
    def get(self, args):
        """What the caller can act on now, oldest first: plans whose forward trigger it may
        fire and whose guards hold, and the reviews it owes on the current version."""
        return listing(tasks.my_tasks(db.session(), current_user(), today(),
                                         after=args.get("cursor"), limit=args["limit"]))
