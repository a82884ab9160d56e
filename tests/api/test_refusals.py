"""Order of refusals: when several apply, the first of 401, 404, 400, 422, 403, 409, 412, 422
guard_failed answers; and a refused request changes nothing at all."""

import pytest

from tests.api.api_support import MEASURE, assert_problem

NOT_JSON = "{not json"
STALE = '"1.0"'

# (who, state of the Thai plan, method, path, body, If-Match, status, code, what also applies).
# `{id}` is the Thai plan, `{vnm}` a Vietnamese one; who=None sends no token.
ORDER = [
    (None, "draft", "POST", "/plans/{vnm}/transitions", NOT_JSON, STALE, 401,
     "unauthenticated", "404, 400, 412"),
    ("drafter", "draft", "POST", "/plans/{vnm}/transitions", NOT_JSON, STALE, 404,
     "not_found", "400, 412"),
    ("drafter", "draft", "PATCH", "/plans/{vnm}", {"colour": "red"}, None, 404,
     "not_found", "422, 428"),
    ("viewer", "draft", "PATCH", "/plans/{id}", NOT_JSON, STALE, 400,
     "bad_request", "403, 412"),
    ("viewer", "approved", "POST", "/plans/{id}/transitions", "[1]", None, 400,
     "bad_request", "403, 409"),
    ("viewer", "approved", "PATCH", "/plans/{id}", {"content": {"measures": [{}]}}, STALE, 422,
     "validation_error", "403, 409, 412"),
    ("viewer", "draft", "POST", "/plans/{id}/transitions", {"trigger": "to_submitted"}, STALE,
     422, "unknown_trigger", "403, 412"),
    ("viewer", "draft", "POST", "/plans/{id}/transitions", {"trigger": "endorse", "x": 1}, STALE,
     422, "validation_error", "403, 409, 412"),
    ("viewer", "draft", "POST", "/plans/{id}/reviewers", {"username": "viewer"}, None, 422,
     "validation_error", "403"),
    ("reviewer", "national_approval", "POST", "/plans/{id}/reviews", {"decision": "maybe"},
     None, 422, "validation_error", "409"),
    ("viewer", "approved", "POST", "/plans/{id}/transitions", {"trigger": "endorse"}, STALE, 403,
     "forbidden", "409, 412"),
    ("approver", "approved", "PATCH", "/plans/{id}", {"title": "x"}, STALE, 403,
     "forbidden", "409, 412"),
    ("reviewer2", "approved", "POST", "/plans/{id}/reviews", {"decision": "approve"}, None, 403,
     "forbidden", "409"),
    ("approver", "draft", "POST", "/plans/{id}/reviewers", {"username": "reviewer"}, None, 403,
     "forbidden", "guard"),
    ("drafter", "approved", "POST", "/plans/{id}/transitions", {"trigger": "endorse"}, STALE,
     409, "invalid_transition", "412"),
    ("drafter", "approved", "PATCH", "/plans/{id}", {"title": "x"}, STALE, 409,
     "not_editable", "412"),
    ("drafter", "stakeholder_review", "PATCH", "/plans/{id}", {"title": "x"}, None, 409,
     "not_editable", "428"),
    ("drafter", "draft", "POST", "/plans/{id}/transitions", {"trigger": "submit_for_review"},
     STALE, 412, "precondition_failed", "422 guard_failed"),
    ("drafter", "draft", "POST", "/plans/{id}/transitions", {"trigger": "submit_for_review"},
     None, 422, "guard_failed", ""),
]


@pytest.mark.parametrize(("who", "state", "method", "path", "body", "if_match", "status", "code",
                          "also"), ORDER, ids=[f"{r[6]}-{r[7]}-over-{r[8]}" for r in ORDER])
def test_the_first_refusal_in_the_contracts_order_answers(
        api, make_plan, who, state, method, path, body, if_match, status, code, also):
    plan_id, vnm_id = make_plan(state), make_plan("draft", country="VNM")
    before = api.snapshot(plan_id), api.snapshot(vnm_id, "vnm_drafter")
    sent = {"data": body, "content_type": "application/json"} if isinstance(body, str) else {
        "json": body}
    response = api.request(method, path.format(id=plan_id, vnm=vnm_id), who,
                           headers={"If-Match": if_match} if if_match else {}, **sent)
    assert_problem(response, status, code)
    assert (api.snapshot(plan_id), api.snapshot(vnm_id, "vnm_drafter")) == before


# A sample of refusals, one per kind of change: afterwards the plan, its versions, reviewers,
# reviews and history are exactly as before.
REFUSALS = [
    ("draft", "drafter", "PATCH", "/plans/{id}", {"content": {"measures": [MEASURE, {}]}},
     "current", 422),
    ("draft", "drafter", "PATCH", "/plans/{id}", {"content": {"measures": [MEASURE]}}, STALE,
     412),
    ("draft", "drafter", "PATCH", "/plans/{id}", {"content": {"measures": [MEASURE]}}, None, 428),
    ("stakeholder_review", "drafter", "DELETE", "/plans/{id}/reviewers/reviewer", None, None,
     409),
    ("stakeholder_review", "drafter", "POST", "/plans/{id}/transitions",
     {"trigger": "endorse"}, None, 422),
    ("stakeholder_review", "reviewer2", "POST", "/plans/{id}/reviews", {"decision": "approve"},
     None, 403),
    ("national_approval", "approver", "POST", "/plans/{id}/transitions",
     {"trigger": "return"}, None, 422),
    ("approved", "submitter", "POST", "/plans/{id}/transitions",
     {"trigger": "submit_to_committee", "data": {"reference": "NV/1"}}, None, 422),
    ("submitted", "drafter", "POST", "/plans/{id}/transitions",
     {"trigger": "withdraw", "comment": "too late"}, None, 409),
    ("acknowledged", "drafter", "POST", "/plans/{id}/reviewers", {"username": "reviewer2"},
     None, 409),
]


@pytest.mark.parametrize(("state", "who", "method", "path", "body", "if_match", "status"),
                         REFUSALS)
def test_a_refused_request_changes_nothing(api, make_plan, state, who, method, path, body,
                                           if_match, status):
    plan_id = make_plan(state)
    before = api.snapshot(plan_id)
    tag = before["etag"] if if_match == "current" else if_match
    response = api.request(method, path.format(id=plan_id), who, json=body,
                           headers={"If-Match": tag} if tag else {})
    assert response.status_code == status, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert api.snapshot(plan_id) == before
    verified = api.get(f"/plans/{plan_id}/history/verify", "auditor").get_json()
    assert verified["valid"] and verified["events"] == len(before["history"])
