"""The audit log: a plan's history, its verification, and the whole visible log."""

from flask import Response
from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import RAISE

from api.auth import current_user
from api.plans import listing, plan_listing
from api.schemas import (
    AuditEventSchema,
    AuditExportArgs,
    AuditListArgs,
    PageArgs,
    VerifySchema,
    page_of,
)
from runtime import db
from workflow import audit_search, queries
from workflow.access import load_plan
from workflow.audit import verify_chain

MEDIA_TYPES = audit_search.EXPORT_MEDIA_TYPES
EXPORT_DOC = {
    "operationId": "export_audit_events",
    "responses": {"200": {
        "description": "Every matching event, streamed: JSON Lines (one event per line, as "
                       "GET /audit shows it) or CSV (a header row of the event's fields, then "
                       "a row per event, `data` as canonical JSON, an empty cell for null)",
        "headers": {"Content-Disposition": {
            "description": "`attachment; filename=\"napflow-audit.jsonl\"` (or `.csv`)",
            "required": True, "schema": {"type": "string"}}},
        "content": {MEDIA_TYPES["jsonl"]: {"schema": {"type": "string"}},
                    MEDIA_TYPES["csv"]: {"schema": {"type": "string"}}}}},
}

blp = Blueprint("audit", __name__, url_prefix="/api/v1",
                description="The hash-chained, append-only audit log")


@blp.route("/plans/<int:plan_id>/history")
class History(MethodView):
    @blp.doc(operationId="list_history")
    @blp.arguments(PageArgs(), location="query", unknown=RAISE)
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
    @blp.arguments(AuditListArgs(), location="query", unknown=RAISE)
    @blp.response(200, page_of(AuditEventSchema))
    def get(self, args):
        """Every audit event the caller may see, oldest first, with filters."""
        query = audit_search.search(current_user(), audit_search.AuditFilters.of(args))
        return listing(audit_search.page(db.session(), query, args.get("cursor"),
                                         args["limit"]))


@blp.route("/audit/export")
class AuditExport(MethodView):
    @blp.arguments(AuditExportArgs(), location="query", unknown=RAISE)
    @blp.response(200)
    @blp.doc(**EXPORT_DOC)
    def get(self, args):
        """Stream every audit event the caller may see, with GET /audit's filters and order."""
        query = audit_search.search(current_user(), audit_search.AuditFilters.of(args))
        # A database that fails answers with a problem, before any of the stream is sent.
        body = audit_search.export_body(db.database().sessions, query, args["format"])
        return Response(body, mimetype=MEDIA_TYPES[args["format"]], headers={
            "Content-Disposition": f'attachment; filename="napflow-audit.{args["format"]}"'})
