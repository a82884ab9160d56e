"""The one place where every error becomes an RFC 9457 problem+json response with a `code`."""

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, json
from flask_smorest import Api
from flask_smorest.utils import prepare_response
from marshmallow import Schema, fields, validate
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

from api.openapi import RefusalsPlugin, problem_response
from runtime.db import timed_out
from runtime.logs import SANE_REQUEST_ID, current_request_id
from workflow.content import flatten_errors
from workflow.errors import NapflowError
from workflow.terms import Term
from workflow.vocabulary import term

PROBLEM_JSON = "application/problem+json"
log = logging.getLogger(__name__)

# Codes for HTTP errors raised by Flask or webargs rather than by napflow itself.
HTTP_CODES = {
    400: "bad_request", 401: "unauthenticated", 403: "forbidden", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 409: "conflict", 412: "precondition_failed",
    413: "payload_too_large", 415: "unsupported_media_type", 422: "validation_error",
    428: "precondition_required", 429: "too_many_requests", 503: "unavailable",
}


def problem_codes() -> list[str]:
    """Every `code` a problem can carry: napflow's refusals and the HTTP errors'."""
    from api.health import READINESS_CODES

    found = (set(HTTP_CODES.values()) | {"internal_error", "error", "statement_timeout"}
             | set(READINESS_CODES))
    classes: list[type[NapflowError]] = [NapflowError]
    while classes:
        cls = classes.pop()
        found.add(cls.code)
        classes += cls.__subclasses__()
    return sorted(found)


class ProblemSchema(Schema):
    """An RFC 9457 problem, with napflow's machine-readable `code` and its extensions."""

    type = fields.String(required=True)
    title = fields.String(required=True)
    status = fields.Integer(required=True, validate=validate.Range(400, 599))
    detail = fields.String(required=True)
    code = Term("ProblemCode", problem_codes, required=True)
    errors = fields.Dict(keys=fields.String(), values=fields.List(fields.String()), metadata={
        "description": "validation_error: the messages of each field, by field path"})
    reasons = fields.List(fields.String(), metadata={
        "description": "guard_failed: each condition that does not hold"})
    state = term("State", metadata={"description": "invalid_transition: the plan's state"})
    allowed_triggers = fields.List(term("Trigger"), metadata={
        "description": "invalid_transition: the triggers of that state"})
    triggers = fields.List(term("Trigger"), metadata={
        "description": "unknown_trigger: the workflow's triggers"})
    request_id = fields.String(validate=validate.Regexp(f"^{SANE_REQUEST_ID.pattern}$"), metadata={
        "description": "The request's id, as in its X-Request-ID response header (quote it "
                       "when reporting a problem; the server's log line for it carries it)"})


def problem(status: int, code: str, title: str, detail: str,
            headers: dict[str, str] | None = None, **extra: Any):
    body = {"type": f"https://napflow.example/problems/{code}", "title": title,
            "status": status, "detail": detail, "code": code, **extra}
    request_id = current_request_id()
    if request_id is not None:
        body["request_id"] = request_id
    response = Flask.response_class(json.dumps(body), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def render_napflow_error(error: NapflowError):
    headers = {"WWW-Authenticate": 'Bearer realm="napflow"'} if error.status == 401 else None
    return problem(error.status, error.code, error.title, error.detail, headers, **error.extra)


class ProblemApi(Api):
    """flask-smorest's Api, with HTTP errors (webargs' 422s included) as problem+json."""

    ERROR_SCHEMA = ProblemSchema
    # No catch-all: each operation declares the statuses it can answer (see api/openapi.py).
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _init_spec(self, *, extra_plugins=None, **options):
        super()._init_spec(extra_plugins=[*(extra_plugins or ()), RefusalsPlugin()], **options)

    def _register_responses(self):
        """Each status as a lazily registered response; errors are problem+json."""
        for status in HTTPStatus:
            if status >= 400:
                response = problem_response(status, self.ERROR_SCHEMA)
            else:
                response = {"description": status.phrase}
                prepare_response(response, self.spec, self.DEFAULT_RESPONSE_CONTENT_TYPE)
            self.spec.components.response(status.name, response, lazy=True)

    def handle_http_exception(self, error: HTTPException):
        status = error.code or 500
        code = HTTP_CODES.get(status, "internal_error" if status >= 500 else "error")
        data = getattr(error, "data", None) or {}
        extra: dict[str, Any] = {}
        detail = error.description or error.name
        if status == 422 and "messages" in data:
            # webargs: {"json": {"content": {"measures": {"0": ...}}}, "query": {...}}
            errors: dict[str, list[str]] = {}
            for located in data["messages"].values():
                errors.update(flatten_errors(located, ""))
            extra["errors"] = errors
            detail = "The request has invalid fields"
        # Werkzeug's own headers (Allow on a 405...), but the body is ours.
        headers = {name: value for name, value in error.get_headers()
                   if name.lower() != "content-type"}
        headers.update(data.get("headers") or {})
        title = "Validation error" if code == "validation_error" else error.name
        return problem(status, code, title, detail, headers, **extra)


def init_app(app: Flask) -> None:
    app.register_error_handler(NapflowError, render_napflow_error)

    @app.errorhandler(StaleDataError)
    def _stale(_error):
        # The row version moved between our read and our write: someone else changed it.
        return problem(409, "conflict", "Conflict",
                       "the plan was changed by another request; reload and retry")

    @app.errorhandler(OperationalError)
    def _database_busy(error):
        if timed_out(error):
            log.warning("statement timeout: %s", error.orig)
            return problem(503, "statement_timeout", "Service unavailable",
                           "the database took too long to answer; retry shortly",
                           {"Retry-After": "1"})
        log.warning("database unavailable: %s", error)
        return problem(503, "unavailable", "Service unavailable",
                       "the database is busy or unreachable; retry shortly",
                       {"Retry-After": "1"})

    @app.errorhandler(Exception)
    def _unexpected(error):
        if isinstance(error, HTTPException):
            return app.extensions["napflow.api"].handle_http_exception(error)
        log.exception("unhandled error")
        return problem(500, "internal_error", "Internal error", "an unexpected error occurred")
