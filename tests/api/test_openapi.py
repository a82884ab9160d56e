"""GET /openapi.json: the API describes itself from the same schemas that validate requests."""

import ast
import copy
import inspect

import pytest

from api import schemas
from app import create_app
from tests.workflow.test_definitions import MEMO
from workflow import service, sign_in, users
from workflow.content import OBLIGATIONS, MeasureSchema
from workflow.countries import ISO3_CODES
from workflow.engine import default_registry
from workflow.vocabulary import PLAN_ACTIONS, USER_ACTIONS

# Every path and method of the contract's HTTP API table.
CONTRACT = {
    "/me": {"get"},
    "/workflows": {"get"},
    "/workflows/{key}": {"get"},
    "/plans": {"get", "post"},
    "/plans/{plan_id}": {"get", "patch"},
    "/plans/{plan_id}/transitions": {"post"},
    "/plans/{plan_id}/reviewers": {"get", "post"},
    "/plans/{plan_id}/reviewers/{username}": {"delete"},
    "/plans/{plan_id}/reviews": {"get", "post"},
    "/plans/{plan_id}/versions": {"get"},
    "/plans/{plan_id}/versions/{number}": {"get"},
    "/plans/{plan_id}/history": {"get"},
    "/plans/{plan_id}/history/verify": {"get"},
    "/audit": {"get"},
    "/audit/export": {"get"},
    "/status": {"get"},
    "/me/tasks": {"get"},
    "/reviews/overdue": {"get"},
    # issue 8: the health probes, outside /api/v1
    "/healthz": {"get"},
    "/readyz": {"get"},
}


@pytest.fixture(scope="module")
def spec(tmp_path_factory):
    """The document, fetched once: it depends on the code, not on the database's contents."""
    url = f"sqlite:///{tmp_path_factory.mktemp('openapi')}/napflow.db"
    app = create_app({"DATABASE_URL": url, "TESTING": True})
    response = app.test_client().get("/openapi.json")
    app.extensions["napflow.db"].engine.dispose()
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    return response.get_json()


def test_the_document_lists_every_path_of_the_contract(spec):
    assert spec["openapi"].startswith("3.")
    paths = {path.removeprefix("/api/v1"): {m for m in ops if m != "parameters"}
             for path, ops in spec["paths"].items()}
    assert paths == CONTRACT


def test_every_operation_is_documented_and_needs_a_bearer_token_but_the_probes(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                               "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary"), (method, path)
                probe = path in ("/healthz", "/readyz")
                assert (operation.get("security") == []) is probe, path
                assert ("401" in operation["responses"]) is not probe, path


@pytest.mark.parametrize(("component", "schema"), [
    ("Plan", schemas.PlanSchema),
    ("PlanSummary", schemas.PlanSummarySchema),
    ("PlanCreateArgs", schemas.PlanCreateArgs),
    ("PlanEditArgs", schemas.PlanEditArgs),
    ("TransitionArgs", schemas.TransitionArgs),
    ("ReviewerArgs", schemas.ReviewerArgs),
    ("ReviewArgs", schemas.ReviewArgs),
    ("AuditEvent", schemas.AuditEventSchema),
    ("Verify", schemas.VerifySchema),
    ("Measure", MeasureSchema),
])
def test_component_schemas_come_from_the_marshmallow_schemas(spec, component, schema):
    documented = spec["components"]["schemas"][component]
    assert set(documented["properties"]) == set(schema().fields)
    required = {name for name, field in schema().fields.items() if field.required}
    assert set(documented.get("required", [])) == required


def test_request_and_response_bodies_reference_those_schemas(spec):
    create = spec["paths"]["/api/v1/plans"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/PlanCreateArgs")
    assert create["responses"]["201"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/Plan")
    fire = spec["paths"]["/api/v1/plans/{plan_id}/transitions"]["post"]
    assert fire["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/TransitionArgs")
    listing = spec["paths"]["/api/v1/plans"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"country", "state", "workflow",
                                                           "cursor", "limit"}
    audit = spec["paths"]["/api/v1/audit"]["get"]
    assert {p["name"] for p in audit["parameters"]} >= {"country", "plan", "actor", "action",
                                                         "since", "until", "cursor", "limit"}


def enum_of(spec, schema: dict) -> list[str]:
    """The values of a named enum a property refers to."""
    return spec["components"]["schemas"][schema["$ref"].rpartition("/")[2]]["enum"]


def test_validation_rules_are_documented_as_the_schemas_enforce_them(spec):
    measure = spec["components"]["schemas"]["Measure"]["properties"]
    assert enum_of(spec, measure["obligation"]) == list(OBLIGATIONS)
    review = spec["components"]["schemas"]["ReviewArgs"]["properties"]
    assert enum_of(spec, review["decision"]) == ["approve", "request_changes"]
    limit = next(p for p in spec["paths"]["/api/v1/plans"]["get"]["parameters"]
                 if p["name"] == "limit")
    assert (limit["schema"]["minimum"], limit["schema"]["maximum"]) == (1, 500)
    assert limit["schema"]["default"] == 50


def test_errors_are_documented_as_problems(spec):
    problem = spec["components"]["schemas"]["Problem"]["properties"]
    assert {"type", "title", "status", "detail", "code", "errors", "reasons", "state",
            "allowed_triggers"} <= set(problem)


LIST_PLANS_PARAMETERS = [  # (query parameter of GET /plans, its enum or None)
    ("waiting_on", ["drafter", "reviewer", "approver", "submitter", "viewer", "committee",
                    "auditor", "admin"]),
    ("sort", ["id", "updated"]),
    ("updated_since", None),
    ("cursor", None),
]


def test_the_plan_filters_and_the_overview_are_documented(spec):
    parameters = {p["name"]: p for p in spec["paths"]["/api/v1/plans"]["get"]["parameters"]}
    for name, enum in LIST_PLANS_PARAMETERS:
        schema = parameters[name]["schema"]
        assert (enum_of(spec, schema) if "$ref" in schema else schema.get("enum")) == enum, name
    assert "updated_at" in parameters["cursor"]["description"]
    components = spec["components"]["schemas"]
    for component, required in [
            ("Task", {"kind", "plan", "since", "triggers", "due", "overdue"}),
            ("Status", {"plans", "waiting", "overdue"}),
            ("OverdueCount", {"country", "count"}),
            ("TaskPage", {"items", "next_cursor"}),
            ("OverdueReviewPage", {"items", "next_cursor"}),
            ("OverdueReview", {"plan_id", "country", "reviewer", "required", "due",
                               "in_review_since"})]:
        assert set(components[component]["required"]) == required, component
    assert spec["paths"]["/api/v1/me/tasks"]["get"]["operationId"] == "list_my_tasks"
    assert spec["paths"]["/api/v1/status"]["get"]["operationId"] == "get_status"
    overdue = {p["name"]: p for p in
               spec["paths"]["/api/v1/reviews/overdue"]["get"]["parameters"]}
    assert set(overdue) == {"country", "cursor", "limit"}
    assert overdue["country"]["schema"] == {"$ref": "#/components/schemas/Country"}
    for path in ("/api/v1/reviews/overdue", "/api/v1/me/tasks"):
        cursor = next(p for p in spec["paths"][path]["get"]["parameters"]
                      if p["name"] == "cursor")
        assert cursor["schema"]["pattern"] == r"^[0-9]+\.[0-9]+\.[0-9]+$", path


OPERATION_IDS = {  # (method, path under /api/v1): the operationId a person would name
    ("get", "/me"): "get_me", ("get", "/workflows"): "list_workflows",
    ("get", "/workflows/{key}"): "get_workflow", ("get", "/status"): "get_status",
    ("get", "/me/tasks"): "list_my_tasks", ("get", "/plans"): "list_plans",
    ("get", "/reviews/overdue"): "list_overdue_reviews",
    ("post", "/plans"): "create_plan", ("get", "/plans/{plan_id}"): "get_plan",
    ("patch", "/plans/{plan_id}"): "edit_plan",
    ("post", "/plans/{plan_id}/transitions"): "fire_transition",
    ("get", "/plans/{plan_id}/versions"): "list_versions",
    ("get", "/plans/{plan_id}/versions/{number}"): "get_version",
    ("get", "/plans/{plan_id}/reviewers"): "list_reviewers",
    ("post", "/plans/{plan_id}/reviewers"): "assign_reviewer",
    ("delete", "/plans/{plan_id}/reviewers/{username}"): "remove_reviewer",
    ("get", "/plans/{plan_id}/reviews"): "list_reviews",
    ("post", "/plans/{plan_id}/reviews"): "record_review",
    ("get", "/plans/{plan_id}/history"): "list_history",
    ("get", "/plans/{plan_id}/history/verify"): "verify_history",
    ("get", "/audit"): "list_audit_events",
    ("get", "/audit/export"): "export_audit_events",
    ("get", "/healthz"): "get_health", ("get", "/readyz"): "get_readiness",
}


def operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            if method != "parameters":
                yield method, path.removeprefix("/api/v1"), operation


def test_every_operation_has_the_operation_id_a_person_would_name(spec):
    assert {(m, p): op.get("operationId") for m, p, op in operations(spec)} == OPERATION_IDS


def resolve(spec, schema: dict) -> dict:
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rpartition("/")[2]]
    return schema


def objects_under(spec, schema: dict, seen: set[str]):
    """Every object schema a response can hold, following $refs, lists and anyOf."""
    name = schema.get("$ref", "").rpartition("/")[2]
    if name in seen:
        return
    if name:
        seen.add(name)
    schema = resolve(spec, schema)
    for sub in schema.get("anyOf", []) + ([schema["items"]] if "items" in schema else []):
        yield from objects_under(spec, sub, seen)
    if "properties" in schema:
        yield name, schema
        for sub in schema["properties"].values():
            yield from objects_under(spec, sub, seen)


def test_every_field_of_every_response_is_required(spec):
    checked = set()
    for _method, _path, operation in operations(spec):
        for status, response in operation["responses"].items():
            media = response.get("content", {}).get("application/json")
            if status.startswith("2") and media:
                for name, schema in objects_under(spec, media["schema"], checked):
                    if name != "PlanContent" and not name.startswith(("Measure", "Period")):
                        assert set(schema["required"]) == set(schema["properties"]), name
    assert {"Plan", "Submission", "AuditEvent", "Workflow", "WorkflowTransition",
            "Task", "Verify", "Me", "ReviewerPage"} <= checked


def test_content_is_the_one_plan_content_schema_everywhere(spec):
    schemas = spec["components"]["schemas"]
    for name in ("PlanCreateArgs", "PlanEditArgs", "Plan", "Version"):
        assert schemas[name]["properties"]["content"] == {
            "$ref": "#/components/schemas/PlanContent"}, name
    assert schemas["Plan"]["properties"]["submission"]["anyOf"] == [
        {"$ref": "#/components/schemas/Submission"}, {"type": "null"}]
    assert "additionalProperties" not in str(schemas["PlanContent"]) or \
        schemas["PlanContent"]["additionalProperties"] is False


def request_strings(spec):
    """Every string a request can carry: query parameters and body properties."""
    for _method, path, operation in operations(spec):
        for parameter in operation.get("parameters", []):
            if "$ref" not in parameter and parameter["in"] == "query":
                yield f"{path} {parameter['name']}", parameter["schema"]
    for name, schema in spec["components"]["schemas"].items():
        if name.endswith("Args") or name in ("PlanContent", "Measure", "Period",
                                             "TransitionData"):
            for field, prop in schema["properties"].items():
                yield f"{name}.{field}", prop


def test_every_string_a_request_carries_states_its_rule(spec):
    """A pattern, a format or an enum: a string with none would take NUL, which the server
    refuses (so would any blank title or cursor)."""
    for where, schema in request_strings(spec):
        schema = schema.get("anyOf", [schema])[0]
        types = schema.get("type", [])
        if "$ref" in schema or "string" not in (types if isinstance(types, list) else [types]):
            continue
        assert {"pattern", "format", "enum"} & set(schema), where


def test_the_workflows_names_are_enums_over_every_loaded_workflow(spec, tmp_path):
    states = enum_of(spec, {"$ref": "#/components/schemas/State"})
    assert "national_approval" in states and "circulated" not in states
    registry = default_registry()
    registry.register(copy.deepcopy(MEMO))
    try:
        app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path}/memo.db", "TESTING": True})
        with_memo = app.test_client().get("/openapi.json").get_json()
        app.extensions["napflow.db"].engine.dispose()
    finally:
        registry.unregister("memo")
    for name, added in [("State", {"circulated", "filed"}),
                        ("Trigger", {"circulate", "recall", "file"}), ("WorkflowKey", {"memo"}),
                        ("AuditAction", {"circulate", "recall", "file"})]:
        values = enum_of(with_memo, {"$ref": f"#/components/schemas/{name}"})
        assert set(values) - set(enum_of(spec, {"$ref": f"#/components/schemas/{name}"})) \
            == added, name
    assert enum_of(with_memo, {"$ref": "#/components/schemas/Country"}) == list(ISO3_CODES)
    assert len(ISO3_CODES) == 249


def test_every_audit_action_the_code_writes_is_in_the_enum(spec):
    """The actions written by name (not triggers) are read from the source, so a new one
    added without its place in the vocabulary fails here, not in a client."""
    written = set()
    for module in (service, users, sign_in):
        for node in ast.walk(ast.parse(inspect.getsource(module))):
            if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "append_event":
                action = next(k.value for k in node.keywords if k.arg == "action")
                if isinstance(action, ast.Constant):
                    written.add(action.value)
    assert written == set(PLAN_ACTIONS) | set(USER_ACTIONS)
    assert written <= set(enum_of(spec, {"$ref": "#/components/schemas/AuditAction"}))
