"""Health probes for load balancers and orchestrators: /healthz (the process answers) and
/readyz (the database answers and its schema is at the migrations' head). No token: a probe
holds none, and neither answer says anything about plans or users."""

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import DBAPIError

from api.errors import PROBLEM_JSON, ProblemSchema, problem
from api.openapi import HEADERS
from runtime import schema
from runtime.db import database

blp = Blueprint("health", __name__, url_prefix="/",
                description="Whether this process, and the database it uses, can serve")

# Seconds a load balancer should wait before asking again when the database is not ready.
RETRY_AFTER = "5"
# Why /readyz is 503: each a problem `code` (api/errors.py lists them in ProblemCode).
READINESS_CODES = {
    "database_unreachable": "the database does not answer",
    "schema_not_at_head": "the database's schema is not at the migrations' head "
                          "(run `napflow db upgrade`)",
}


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok"]))


class ReadySchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ready"]))
    schema_revision = fields.String(
        required=True, validate=validate.Regexp(r"^[0-9]{4}$"),
        metadata={"description": "The migration the database is at (the head)"})


NOT_READY = "Service Unavailable: not ready; " + "; ".join(
    f"`{code}`: {why}" for code, why in READINESS_CODES.items())


@blp.route("/healthz")
class Health(MethodView):
    @blp.doc(operationId="get_health", security=[])
    @blp.response(200, HealthSchema)
    def get(self):
        """The process is up and answering (it does not touch the database)."""
        return {"status": "ok"}


@blp.route("/readyz")
class Ready(MethodView):
    @blp.doc(operationId="get_readiness", security=[])
    @blp.response(200, ReadySchema)
    @blp.alt_response(503, schema=ProblemSchema, content_type=PROBLEM_JSON,
                      description=NOT_READY, headers=HEADERS[503])
    def get(self):
        """The database answers and its schema is at the head this napflow needs: ready to
        serve. Otherwise 503, its `code` saying which."""
        head = schema.head()
        try:
            with database().engine.connect() as connection:
                at = schema.current(connection)
        except DBAPIError as err:
            return not_ready("database_unreachable",
                             f"the database does not answer ({type(err.orig).__name__})")
        if at != head:
            return not_ready("schema_not_at_head",
                             f"the database is at {at or 'no migration'}, this napflow needs "
                             f"{head}: run `napflow db upgrade`")
        return {"status": "ready", "schema_revision": head}


def not_ready(code: str, detail: str):
    return problem(503, code, "Service unavailable", detail, {"Retry-After": RETRY_AFTER})
