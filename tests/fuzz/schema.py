"""The API's own OpenAPI document as schemathesis reads it, with the checks configured."""

import schemathesis
from schemathesis.config import SchemathesisConfig
from schemathesis.core.parameters import ParameterLocation

from app import create_app
from tests.fuzz import steering

# A request valid for the schema must succeed, except for what the request cannot show: the
# rest of the answer is decided by the database (does the plan exist, may this caller see it,
# its state, its ETag, who holds which grant, which users exist), by the clock or by the
# fuzzer's own earlier requests. Per operation, the statuses that remain, and why:
#   403  the caller's grants: callers are drawn from the cast, not every role may do it;
#   404  the plan, version or reviewer named does not exist, or the caller may not see it;
#   409  the plan's state does not allow it (not_editable, invalid_transition);
#   412  the If-Match given is not the plan's current ETag;
#   422  only with the codes and fields of REFUSALS_422 below.
# Everything else (a 401, a 428, a 422 on any other field) is a rule missing from the document.
ACCEPTED_WITH = {
    "get_me": [], "list_workflows": [], "get_workflow": [], "get_status": [],
    "list_my_tasks": [], "list_plans": [], "list_audit_events": [],
    "create_plan": ["403", "422"],
    "get_plan": ["404"], "list_versions": ["404"], "get_version": ["404"],
    "list_history": ["404"], "verify_history": ["404"],
    "list_reviewers": ["403", "404"], "list_reviews": ["403", "404"],
    "edit_plan": ["403", "404", "409", "412", "422"],
    "fire_transition": ["403", "404", "409", "412", "422"],
    "assign_reviewer": ["403", "404", "409", "422"],
    "remove_reviewer": ["403", "404", "409"],
    "record_review": ["403", "404", "409", "422"],
}
# A valid request's 422: the problem codes it may carry, and the only fields a
# validation_error may name. `content.period.end`: a period may not end before it starts (a
# rule across two fields); `data.*`: a trigger takes only the data its guards read (a rule
# across fields); `username`: the user must exist and review for the plan's country;
# `due`: today or later (the clock); a review's `comment`: needed with request_changes (a
# rule across two fields). Every POST: `idempotency_key_reused`, the fuzzer sending
# one Idempotency-Key again with another body.
REFUSALS_422 = {
    "create_plan": ({"validation_error", "idempotency_key_reused"}, {"content.period.end"}),
    "edit_plan": ({"validation_error"}, {"content.period.end"}),
    "fire_transition": ({"guard_failed", "unknown_trigger", "validation_error",
                         "idempotency_key_reused"}, {"data.reference", "data.publication_consent"}),
    "assign_reviewer": ({"validation_error", "idempotency_key_reused"}, {"username", "due"}),
    "record_review": ({"validation_error", "idempotency_key_reused"}, {"comment"}),
}

CONFIG = SchemathesisConfig.from_dict({
    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx"]}},
    "operations": [
        {"include-operation-id": operation_id,
         "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", *statuses]}}}
        for operation_id, statuses in ACCEPTED_WITH.items() if statuses],
})


@schemathesis.check
def valid_data_refused_only_for_a_reason_the_schema_cannot_state(ctx, response, case):
    """A 422 to a valid request names only a rule the document cannot state (REFUSALS_422)."""
    meta = case.meta
    if response.status_code != 422 or meta is None or not meta.generation.mode.is_positive:
        return None
    codes, field_paths = REFUSALS_422.get(case.operation.definition.raw.get("operationId"),
                                          (set(), set()))
    body = response.json()
    if body["code"] not in codes or not set(body.get("errors", {})) <= field_paths:
        raise AssertionError(f"A valid request was refused with {body['code']} "
                             f"{body.get('errors', '')}: a rule the document does not state")
    return None


def load_schema() -> schemathesis.schemas.BaseSchema:
    """The document is the same whatever the database: it is read once, from a bare app."""
    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True})
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=CONFIG)
    schema.hook(steering.flatmap_path_parameters)
    schema.hook(steering.flatmap_body)
    return schema


def sent_without_token(case: schemathesis.Case) -> bool:
    """A negative example that leaves the required Authorization header out goes out without
    one (and must be refused with 401): giving it the caller's token would make it valid."""
    header = case.meta.components.get(ParameterLocation.HEADER) if case.meta else None
    return (header is not None and not header.mode.is_positive
            and "Authorization" not in (case.headers or {}))
