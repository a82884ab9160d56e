"""The audit log: a plan's history, its verification, and the whole visible log."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from api import db
from api.auth import current_user
from api.plans import listing, plan_listing
from api.schemas import AuditEventSchema, AuditListArgs, PageArgs, VerifySchema, page_of
from workflow import queries
from workflow.access import load_plan
from workflow.audit import verify_chain

blp = Blueprint("audit", __name__, url_prefix="/api/v1",
                description="The hash-chained, append-only audit log")


@blp.route("/plans/<int:plan_id>/history")
class History(MethodView):
    @blp.doc(operationId="list_history")
    @blp.arguments(PageArgs, location="query", unknown=RAISE)
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, args, plan_id):
        """The plan's audit events, oldest first."""
        return plan_listing(queries.history, args, plan_id)


@blp.route("/plans/<int:plan_id>/history/verify")
class HistoryVerify(MethodView):
    @blp.doc(operationId="verify_history")
    @blp.response(200, VerifySchema)
    def get(self, plan_id):
        """Re-check the plan's hash chain and its stored head."""
        session = db.session()
        plan = load_plan(session, current_user(), plan_id)
        return verify_chain(session, plan.id).as_dict()


@blp.route("/audit")
class Audit(MethodView):
    @blp.doc(operationId="list_audit_events")
    @blp.arguments(AuditListArgs, location="query", unknown=RAISE)
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, args):
        """Every audit event the caller may see, with filters."""
        after, limit = args.pop("cursor", None), args.pop("limit")
        return listing(queries.audit_events(db.session(), current_user(), after=after,
                                            limit=limit, **args))
