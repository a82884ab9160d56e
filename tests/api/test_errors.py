"""Errors: problem+json with a `code`, 401 and 400 first, and never a 500."""

from datetime import timedelta

from sqlalchemy import event

import workflow.users
from models import utcnow
from tests.api.api_support import assert_problem

WRITES = [
    ("POST", "/plans"),
    ("PATCH", "/plans/{id}"),
    ("POST", "/plans/{id}/transitions"),
    ("POST", "/plans/{id}/reviewers"),
    ("POST", "/plans/{id}/reviews"),
]


# -- 401 ---------------------------------------------------------------------------------
AUTHORIZATIONS = [None, "", "Bearer", "Bearer ", "Basic ZHJhZnRlcjpzZWNyZXQ=",
                  "Bearer not-a-token", "Token abc", "Bearer abc def"]
NO_BEARER_TOKEN = [a for a in AUTHORIZATIONS if a not in ("Bearer not-a-token", "Bearer abc def")]


def test_a_missing_or_wrong_token_is_401_with_www_authenticate(api, make_plan):
    plan_id = make_plan("draft")
    for authorization in AUTHORIZATIONS:
        headers = {} if authorization is None else {"Authorization": authorization}
        for method, path in [("GET", "/me"), ("GET", f"/plans/{plan_id}"), ("GET", "/plans/9"),
                             ("POST", f"/plans/{plan_id}/transitions"), ("GET", "/audit")]:
            response = api.request(method, path, headers=headers, data="not json")
            assert_problem(response, 401, "unauthenticated")
            assert response.headers["WWW-Authenticate"].startswith("Bearer"), authorization


def test_a_write_without_a_bearer_token_takes_no_database_connection(app, api, make_plan):
    """Refused from its headers: no transaction begins (on SQLite it would take the write
    lock, tests/crash/test_sqlite_busy.py); a token, right or wrong, is read in one."""
    plan_id = make_plan("draft")
    checkouts = []

    def checkout(*_args):
        checkouts.append(1)

    engine = app.extensions["napflow.db"].engine
    event.listen(engine, "checkout", checkout)
    try:
        for authorization in NO_BEARER_TOKEN:
            headers = {} if authorization is None else {"Authorization": authorization}
            for method, path in [*WRITES, ("DELETE", "/plans/{id}/reviewers/reviewer")]:
                response = api.request(method, path.format(id=plan_id), headers=headers,
                                       json={"title": "x"})
                assert_problem(response, 401, "unauthenticated")
        assert checkouts == []
        assert_problem(api.request("POST", f"/plans/{plan_id}/transitions", json={},
                                   headers={"Authorization": "Bearer not-a-token"}),
                       401, "unauthenticated")
        assert checkouts == [1]
    finally:
        event.remove(engine, "checkout", checkout)


def test_an_expired_token_is_401_on_its_next_use(api, make_user, monkeypatch):
    person = make_user("short-lived", "viewer:THA", expires="1h")
    assert api.get("/me", person).status_code == 200
    later = utcnow() + timedelta(hours=1, seconds=1)
    monkeypatch.setattr(workflow.users, "utcnow", lambda: later)
    response = api.get("/me", person)
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_a_revoked_token_is_401_on_its_next_use(api, people, revoke_tokens):
    assert api.get("/me", "drafter").status_code == 200
    revoke_tokens("drafter")
    assert_problem(api.get("/me", "drafter"), 401, "unauthenticated")
    assert api.get("/me", "drafter2").status_code == 200


# -- 400 ---------------------------------------------------------------------------------
NOT_AN_OBJECT = [  # (body, Content-Type)
    ("{not json", "application/json"),
    ("[1, 2]", "application/json"),
    ('"a string"', "application/json"),
    ("null", "application/json"),
    ("42", "application/json"),
    ("", "application/json"),
    ('{"title": "x"}', "text/plain"),
    ("country=THA", "application/x-www-form-urlencoded"),
]


def test_a_body_that_is_not_a_json_object_is_400(api, make_plan):
    plan_id = make_plan("draft")
    before = api.snapshot(plan_id)
    for data, content_type in NOT_AN_OBJECT:
        for method, path in WRITES:
            response = api.request(method, path.format(id=plan_id), "drafter", data=data,
                                   content_type=content_type,
                                   headers={"If-Match": before["etag"]})
            assert_problem(response, 400, "bad_request")
    assert api.snapshot(plan_id) == before


# -- every code of the contract's table is a problem ---------------------------------------
def test_each_error_code_is_a_problem_with_its_status(api, make_plan):
    draft, review = make_plan("draft"), make_plan("stakeholder_review")
    etag = api.etag(draft)
    cases = {
        ("bad_request", 400): api.post("/plans", "drafter", data="x",
                                       content_type="application/json"),
        ("unauthenticated", 401): api.get("/me"),
        ("forbidden", 403): api.fire(draft, "submit_for_review", "viewer"),
        ("not_found", 404): api.get("/plans/999", "drafter"),
        ("invalid_transition", 409): api.fire(draft, "endorse", "drafter"),
        ("not_editable", 409): api.delete(f"/plans/{review}/reviewers/reviewer", "drafter"),
        ("precondition_failed", 412): api.patch(f"/plans/{draft}", "drafter",
                                                json={"title": "x"}, headers={"If-Match": '"0"'}),
        ("precondition_required", 428): api.patch(f"/plans/{draft}", "drafter",
                                                  json={"title": "x"}),
        ("validation_error", 422): api.post("/plans", "drafter", json={"country": "XX"}),
        ("guard_failed", 422): api.fire(draft, "submit_for_review", "drafter"),
        ("unknown_trigger", 422): api.fire(draft, "to_submitted", "drafter"),
    }
    for (code, status), response in cases.items():
        body = assert_problem(response, status, code)
        assert body["type"].endswith(code)
    assert api.etag(draft) == etag


MALFORMED = [
    ("GET", "/plans/99999999999999999999"),
    ("GET", "/plans/-1"),
    ("GET", "/plans/abc"),
    ("GET", "/plans?limit=abc"),
    ("GET", "/plans?cursor=%FF%FE"),
    ("GET", "/plans?country=%00"),
    ("GET", "/plans?state=" + "x" * 5000),
    ("GET", "/audit?since=yesterday"),
    ("GET", "/plans?cursor=eyJhZnRlciI6IDEwMDAwMDAwMDAwMDAwMDAwMDAwMH0"),  # not digits
    ("GET", "/audit?plan=99999999999999999999"),
    ("GET", "/plans/1/versions/99999999999999999999"),
    ("GET", "/plans/1/reviewers?limit=-5"),
    ("DELETE", "/plans/1/reviewers/%E2%98%83"),
    ("PUT", "/plans/1"),
    ("DELETE", "/plans/1"),
    ("GET", "/nowhere"),
]


def test_no_request_however_malformed_gets_a_500(api, make_plan):
    make_plan("draft")
    for method, path in MALFORMED:
        response = api.request(method, path, "drafter")
        assert 400 <= response.status_code < 500, (path, response.get_data(True))
        assert response.mimetype == "application/problem+json"
        assert response.get_json()["code"]


MALFORMED_FIELDS = [
    {"country": "THA", "title": "x" * 100_000},
    {"country": "THA", "title": "t", "content": {"measures": [{"obligation": None}]}},
    {"country": "THA", "title": "t", "content": {"measures": "many"}},
    {"country": "THA", "title": "t", "content": {"period": {"start": "2026-02-30",
                                                            "end": "2026-03-01"}}},
    {"country": "THA", "title": "t\u0000"},
    {"country": ["THA"], "title": {"a": 1}},
    {"country": "THA", "title": "t", "workflow": None},
]


def test_malformed_fields_are_422_not_500(api):
    for body in MALFORMED_FIELDS:
        assert_problem(api.post("/plans", "drafter", json=body), 422, "validation_error")
    assert api.get("/plans", "drafter").get_json()["items"] == []


NUL = "a\u0000b"


WITH_NUL = [  # (method, path, who, body, headers)
    ("POST", "/plans", "drafter", {"country": "THA", "title": NUL}, {}),
    ("POST", "/plans", "drafter", {"country": "THA", "title": "t", "content": {"summary": NUL}},
     {}),
    ("POST", "/plans/{draft}/transitions", "drafter", {"trigger": "withdraw", "comment": NUL}, {}),
    ("POST", "/plans/{draft}/reviewers", "drafter", {"username": NUL}, {}),
    ("POST", "/plans/{review}/reviews", "reviewer",
     {"decision": "request_changes", "comment": NUL}, {}),
    ("POST", "/plans/{draft}/transitions", "drafter", {"trigger": "withdraw", "comment": "x"},
     {"Idempotency-Key": NUL}),
    ("GET", "/plans?state=a%00b", "drafter", None, {}),
    ("GET", "/plans?workflow=a%00b", "drafter", None, {}),
    ("GET", "/audit?actor=a%00b", "drafter", None, {}),
    ("DELETE", "/plans/{draft}/reviewers/a%00b", "drafter", None, {}),
]


def test_a_nul_character_is_refused_not_a_500(api, make_plan):
    # PostgreSQL text cannot hold NUL: napflow refuses it on both databases alike.
    plans = {"draft": make_plan("draft"), "review": make_plan("stakeholder_review")}
    before = api.snapshot(plans["draft"]), api.snapshot(plans["review"])
    for method, path, who, body, headers in WITH_NUL:
        response = api.request(method, path.format(**plans), who, json=body, headers=headers)
        if method == "DELETE":
            assert_problem(response, 404, "not_found")
        else:
            assert_problem(response, 422, "validation_error")
    assert len(api.get("/plans", "drafter").get_json()["items"]) == 2
    assert (api.snapshot(plans["draft"]), api.snapshot(plans["review"])) == before
