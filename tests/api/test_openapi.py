"""GET /openapi.json: the API describes itself from the same schemas that validate requests."""

import pytest

from api import create_app, schemas
from workflow.content import OBLIGATIONS, MeasureSchema

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
    "/status": {"get"},
    "/me/tasks": {"get"},
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


def test_every_operation_is_documented_and_needs_a_bearer_token(spec):
    assert spec["components"]["securitySchemes"]["bearer"] == {"type": "http",
                                                               "scheme": "bearer"}
    assert spec["security"] == [{"bearer": []}]
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            if method != "parameters":
                assert operation.get("summary"), (method, path)


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
            ("Status", {"plans", "waiting", "overdue_reviews"}),
            ("OverdueReview", {"plan_id", "country", "reviewer", "required", "due",
                               "in_review_since"})]:
        assert set(components[component]["required"]) == required, component
    assert spec["paths"]["/api/v1/me/tasks"]["get"]["operationId"] == "list_my_tasks"
    assert spec["paths"]["/api/v1/status"]["get"]["operationId"] == "get_status"
