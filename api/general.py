"""The caller, the workflows napflow knows, and the status overview."""

from datetime import timedelta

from flask import current_app
from flask.views import MethodView
from flask_smorest import Blueprint

from api import db
from api.auth import current_user
from api.schemas import MeSchema, StatusSchema
from models import utcnow
from workflow import queries
from workflow.engine import default_registry
from workflow.errors import NotFound

blp = Blueprint("general", __name__, url_prefix="/api/v1",
                description="Caller, workflows and status")


@blp.route("/me")
class Me(MethodView):
    @blp.response(200, MeSchema)
    def get(self):
        """The caller's username and grants."""
        user = current_user()
        return {"username": user.username, "grants": user.grant_strings()}


@blp.route("/workflows")
class Workflows(MethodView):
    @blp.response(200)
    def get(self):
        """Every workflow: states and transitions (trigger, source, dest, roles, guards)."""
        return {"items": [w.describe() for w in default_registry()], "next_cursor": None}


@blp.route("/workflows/<string:key>")
class WorkflowByKey(MethodView):
    @blp.response(200)
    def get(self, key):
        """One workflow's lifecycle."""
        workflow = default_registry().get(key)
        if workflow is None:
            raise NotFound(f"no workflow {key!r}")
        return workflow.describe()


@blp.route("/status")
class Status(MethodView):
    @blp.response(200, StatusSchema)
    def get(self):
        """Visible plans counted by country and state, and overdue required reviews."""
        days = current_app.config["REVIEW_OVERDUE_DAYS"]
        return queries.status(db.session(), current_user(), utcnow() - timedelta(days=days))
