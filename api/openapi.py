"""The OpenAPI document's refusals, headers and links: what every operation can answer.

The request pipeline refuses the same way for every operation (401, 404, 400, 422, 409, 503),
so those are documented here by rule; a view documents the refusals of its own logic (403,
412, 428) with `@blp.alt_response`. There is no catch-all `default` response: a status the API
gives but does not declare is a documentation bug, and the fuzzer (tests/fuzz) reports it.
"""

from http import HTTPStatus
from typing import Any

from apispec import APISpec, BasePlugin
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow import Schema, fields

from api.fields import Cursor, Pattern, iso3
from api.schemas import TransitionDataSchema
from runtime.logs import SANE_REQUEST_ID
from workflow.access import MAX_ID
from workflow.content import MeasureSchema, PeriodSchema, PlanContentSchema
from workflow.terms import NON_BLANK_CHARACTER, Term, not_blank
from workflow.vocabulary import term

PROBLEM_JSON = "application/problem+json"
WRITES = frozenset({"post", "put", "patch", "delete"})
PLAN_PATH = "/api/v1/plans/{plan_id}"

# The problem `code`s each status carries (the contract's error table).
CODES = {
    400: "`bad_request`: the body is not JSON, or not an object",
    401: "`unauthenticated`: no token, or a wrong, expired or revoked one",
    403: "`forbidden`: the caller sees the plan but its role may not do this",
    404: "`not_found`: no such resource, or the caller may not see it",
    405: "`method_not_allowed`",
    409: "`invalid_transition`, `not_editable`, `idempotency_key_in_use`, or `conflict` "
         "(a concurrent request changed the same data)",
    412: "`precondition_failed`: If-Match does not match the plan's ETag",
    422: "`validation_error` (field errors in `errors`), `unknown_trigger`, `guard_failed` "
         "(unmet conditions in `reasons`) or `idempotency_key_reused`",
    428: "`precondition_required`: If-Match is missing",
    503: "`unavailable`: the database is busy or unreachable, or `statement_timeout`: it took "
         "longer than NAPFLOW_STATEMENT_TIMEOUT; retry after Retry-After",
}
HEADERS = {
    401: {"WWW-Authenticate": {"description": "`Bearer realm=\"napflow\"`", "required": True,
                               "schema": {"type": "string"}}},
    503: {"Retry-After": {"description": "Seconds to wait before retrying", "required": True,
                          "schema": {"type": "integer"}}},
}
# Every response carries the request's id. A request (or a proxy) may send its own in an
# X-Request-ID header: it is kept when sane, else replaced (not documented as a parameter of
# every operation: it is the transport's, like Traceparent, not the operation's).
REQUEST_ID_HEADER = {"X-Request-ID": {
    "description": "The request's id: the X-Request-ID the request sent, if 1 to 128 of "
                   "`A-Za-z0-9._:/+=@-`, else a new UUID", "required": True,
    "schema": {"type": "string", "pattern": f"^{SANE_REQUEST_ID.pattern}$"}}}
ETAG = {"ETag": {"description": "The plan's entity tag, for If-Match", "required": True,
                 "schema": {"type": "string"}}}
LOCATION = {"Location": {"description": "The new plan's URL", "required": True,
                         "schema": {"type": "string"}}}
# Every string a request carries is refused with a NUL character (PostgreSQL text cannot
# hold one), and those that must not be blank need one character that is not whitespace.
NUL_FREE = r"^[^\x00]*$"
NON_BLANK = r"^[^\x00]*{}[^\x00]*$".format(NON_BLANK_CHARACTER.replace("[^", r"[^\x00", 1))
IDEMPOTENCY_KEY = {
    "in": "header", "name": "Idempotency-Key", "required": False,
    "description": "A repeat with the same key and body returns the first response again",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255,
               "pattern": NON_BLANK},
}
# Request bodies' schemas besides the …Args: those nested in them.
NESTED_ARGS = (PlanContentSchema, MeasureSchema, PeriodSchema, TransitionDataSchema)


def problem_response(status: HTTPStatus, schema: Any) -> dict[str, Any]:
    """A response component for an error status: problem+json with napflow's `code`."""
    description = status.phrase + (f": {CODES[status]}" if status in CODES else "")
    return {"description": description, "content": {PROBLEM_JSON: {"schema": schema}},
            "headers": {**REQUEST_ID_HEADER, **HEADERS.get(status, {})}}


def if_match(required: bool) -> dict[str, Any]:
    return {"in": "header", "name": "If-Match", "required": required,
            "description": "The ETag the change was based on" + ("" if required else
                                                                  " (optional)"),
            "schema": {"type": "string"}}


def _op_ref(path: str, method: str) -> str:
    return "#/paths/" + path.replace("~", "~0").replace("/", "~1") + "/" + method


def _links(path: str, method: str, status: str) -> dict[str, Any]:
    """OpenAPI links: where a response's values lead, so a stateful fuzzer can chain calls."""
    if path == "/api/v1/plans" and method == "post" and status == "201":
        plan_id = "$response.body#/id"
    elif path.startswith(PLAN_PATH) and path.count("{") == 1 and status in ("200", "201"):
        plan_id = "$request.path.plan_id"
    else:
        return {}
    to_plan = {
        "GetPlan": (PLAN_PATH, "get"),
        "EditPlan": (PLAN_PATH, "patch"),
        "FireTrigger": (PLAN_PATH + "/transitions", "post"),
        "ListVersions": (PLAN_PATH + "/versions", "get"),
        "ListReviewers": (PLAN_PATH + "/reviewers", "get"),
        "AssignReviewer": (PLAN_PATH + "/reviewers", "post"),
        "ListReviews": (PLAN_PATH + "/reviews", "get"),
        "RecordReview": (PLAN_PATH + "/reviews", "post"),
        "History": (PLAN_PATH + "/history", "get"),
        "VerifyHistory": (PLAN_PATH + "/history/verify", "get"),
    }
    links: dict[str, Any] = {
        name: {"operationRef": _op_ref(target, verb), "parameters": {"plan_id": plan_id}}
        for name, (target, verb) in to_plan.items()}
    if status == "200" or (method == "post" and path == "/api/v1/plans"):
        links["EditPlan"]["parameters"]["header.If-Match"] = "$response.header.ETag"
        links["GetVersion"] = {"operationRef": _op_ref(PLAN_PATH + "/versions/{number}", "get"),
                               "parameters": {"plan_id": plan_id,
                                              "number": "$response.body#/content_version"}}
    if path.endswith("/reviewers") and method == "post":
        links["RemoveReviewer"] = {
            "operationRef": _op_ref(PLAN_PATH + "/reviewers/{username}", "delete"),
            "parameters": {"plan_id": plan_id, "username": "$response.body#/username"}}
    if path.endswith("/reviewers") or path.endswith("/reviews"):
        # Their bodies are not plans: no ETag, no content_version to follow.
        links = {name: link for name, link in links.items()
                 if name not in ("EditPlan", "GetVersion")} | {
            "EditPlan": {"operationRef": _op_ref(PLAN_PATH, "patch"),
                         "parameters": {"plan_id": plan_id}}}
    return links


def term_ref(spec: APISpec, field: Term) -> dict[str, str]:
    """A $ref to the term's enum component, registered the first time it is named."""
    values = list(field.values)
    known = spec.components.schemas.get(field.component)
    if known is None:
        spec.components.schema(field.component, {"type": "string", "enum": values})
    elif known["enum"] != values:
        raise ValueError(f"two sets of values are both called {field.component}")
    return {"$ref": f"#/components/schemas/{field.component}"}


def _is_request(field: fields.Field) -> bool:
    root = field.root if isinstance(field.root, Schema) else None
    return isinstance(root, NESTED_ARGS) or type(root).__name__.endswith("Args")


def napflow_field2properties(self, field: fields.Field, ret: dict, **kwargs) -> dict:
    """apispec attribute function: the rules of napflow's own fields and validators.

    Run after apispec's own; a term replaces what they said (`type`, `enum`) by its $ref.
    """
    if isinstance(field, Term) or iso3 in field.validators:
        ref = term_ref(self.spec, field if isinstance(field, Term) else term("Country"))
        kept = {name: ret[name] for name in ("description", "default") if name in ret}
        ret.clear()
        return {**({"anyOf": [ref, {"type": "null"}]} if field.allow_none else ref), **kept}
    found = [v.pattern for v in field.validators if isinstance(v, Pattern)]
    if isinstance(field, Cursor):
        found.append(field.pattern)
    elif not_blank in field.validators:
        found.append(NON_BLANK)
    elif type(field) is fields.String and _is_request(field):
        found.append(NUL_FREE)
    return {"pattern": found[0]} if found else {}


class RefusalsPlugin(BasePlugin):
    """Adds to each operation the refusals of the request pipeline, and the links; and
    teaches the marshmallow plugin napflow's fields."""

    def init_spec(self, spec: APISpec) -> None:
        self.spec = spec
        converter = next(p for p in spec.plugins if isinstance(p, MarshmallowPlugin)).converter
        converter.add_attribute_function(napflow_field2properties)

    def path_helper(self, path=None, operations=None, parameters=None, **kwargs):
        for parameter in parameters or []:
            schema = parameter.get("schema", {}) if isinstance(parameter, dict) else {}
            if parameter.get("in") == "path" and schema.get("type") == "integer":
                # Ids and version numbers count from 1 and are database INTEGERs.
                schema.update(minimum=1, maximum=MAX_ID)
            if parameter.get("in") == "path" and parameter.get("name") == "key":
                parameter["schema"] = term_ref(self.spec, term("WorkflowKey"))

    def operation_helper(self, path=None, operations=None, **kwargs):
        for method, operation in (operations or {}).items():
            responses = {str(status): response for status, response
                         in operation.get("responses", {}).items()}
            operation["responses"] = responses
            # The health probes need no token and document their own 503 (/readyz only).
            statuses = [] if operation.get("security") == [] else [401, 503]
            if "{" in (path or ""):
                statuses.append(404)
            if "requestBody" in operation or method in ("post", "put", "patch"):
                statuses += [400, 422]
            if any(p.get("in") == "query" for p in operation.get("parameters", [])
                   if isinstance(p, dict)):
                statuses.append(422)
            if method in WRITES:
                statuses.append(409)
            if method == "post":
                statuses.append(422)
                operation.setdefault("parameters", []).append(dict(IDEMPOTENCY_KEY))
            if "412" in responses:
                operation.setdefault("parameters", []).append(if_match("428" in responses))
            for status in statuses:
                responses.setdefault(str(status), HTTPStatus(status).name)
            for status, response in responses.items():
                if isinstance(response, dict):  # the others are refs to problem_response's
                    response["headers"] = {**REQUEST_ID_HEADER, **response.get("headers", {})}
                if isinstance(response, dict) and status.startswith("2"):
                    links = _links(path, method, status)
                    if links:
                        response["links"] = links
