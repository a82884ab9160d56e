"""Idempotency-Key on POST: a repeat answers the first response again and changes nothing."""

from datetime import timedelta

import pytest
from sqlalchemy import select

from models import IdempotencyRecord, User, utcnow
from models.db import write_session
from tests.api.api_support import CONTENT, assert_problem

KEY = {"Idempotency-Key": "4f6c2a0e-create-plan"}


def audit_count(api, who="global_auditor"):
    return len(api.get("/audit?limit=500", who).get_json()["items"])


def test_a_replayed_create_returns_the_first_response_and_creates_nothing(api):
    body = {"country": "THA", "title": "NAP", "content": CONTENT}
    first = api.post("/plans", "drafter", json=body, headers=KEY)
    assert first.status_code == 201
    events = audit_count(api)
    again = api.post("/plans", "drafter", json=body, headers=KEY)
    assert again.status_code == 201
    assert again.get_json() == first.get_json()
    for header in ("ETag", "Location", "Content-Type"):
        assert again.headers[header] == first.headers[header]
    assert len(api.get("/plans", "drafter").get_json()["items"]) == 1
    assert audit_count(api) == events


# One POST of each kind, as (plan state, who, path, body).
POSTS = [
    ("draft", "drafter", "/plans/{id}/transitions", {"trigger": "withdraw", "comment": "gone"}),
    ("draft", "drafter", "/plans/{id}/reviewers", {"username": "reviewer2"}),
    ("stakeholder_review", "reviewer", "/plans/{id}/reviews", {"decision": "approve"}),
    ("approved", "submitter", "/plans/{id}/transitions",
     {"trigger": "submit_to_committee",
      "data": {"reference": "NV/2026/17", "publication_consent": True}}),
]


@pytest.mark.parametrize(("state", "who", "path", "body"), POSTS)
def test_a_replay_of_any_post_changes_nothing(api, make_plan, state, who, path, body):
    plan_id = make_plan(state)
    first = api.post(path.format(id=plan_id), who, json=body, headers=KEY)
    assert first.status_code in (200, 201)
    after_first = api.snapshot(plan_id)
    again = api.post(path.format(id=plan_id), who, json=body, headers=KEY)
    assert (again.status_code, again.get_json()) == (first.status_code, first.get_json())
    assert again.headers.get("ETag") == first.headers.get("ETag")
    assert api.snapshot(plan_id) == after_first


def test_a_replayed_transition_is_not_refused_though_the_state_moved_on(api, make_plan):
    plan_id = make_plan("draft")
    body = {"trigger": "withdraw", "comment": "superseded"}
    first = api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY)
    # Without the key the same request is now a 409: the replay is the first answer, not a retry.
    assert_problem(api.fire(plan_id, "withdraw", "drafter", comment="superseded"), 409,
                   "invalid_transition")
    again = api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY)
    assert again.status_code == 200
    assert again.get_json() == first.get_json()


def test_the_same_key_with_another_body_is_422_and_changes_nothing(api, make_plan):
    plan_id = make_plan("draft")
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"},
             headers=KEY)
    before = api.snapshot(plan_id)
    for path, body in [(f"/plans/{plan_id}/reviewers", {"username": "reviewer2"}),
                       (f"/plans/{plan_id}/transitions", {"trigger": "withdraw",
                                                          "comment": "x"})]:
        assert_problem(api.post(path, "drafter", json=body, headers=KEY), 422,
                       "idempotency_key_reused")
    assert api.snapshot(plan_id) == before


def test_keys_are_per_user(api, make_plan):
    plan_id = make_plan("draft")
    first = api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"},
                     headers=KEY)
    other = api.post(f"/plans/{plan_id}/reviewers", "drafter2", json={"username": "reviewer2"},
                     headers=KEY)
    assert (first.status_code, other.status_code) == (201, 201)
    assert other.get_json()["assigned_by"] == "drafter2"
    listed = api.get(f"/plans/{plan_id}/reviewers", "drafter").get_json()["items"]
    assert [r["username"] for r in listed] == ["reviewer", "reviewer2"]


def test_a_refused_first_response_is_replayed_too(api, make_plan):
    plan_id = make_plan("draft")  # no reviewer yet: submit_for_review's guard refuses it
    body = {"trigger": "submit_for_review"}
    first = api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY)
    assert_problem(first, 422, "guard_failed")
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    events = len(api.history(plan_id))
    again = api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY)
    assert again.status_code == 422
    assert again.mimetype == "application/problem+json"
    assert again.get_json() == first.get_json()
    assert api.plan(plan_id)["state"] == "draft"
    assert len(api.history(plan_id)) == events
    # A new key is a new request, which the guard now lets through.
    fresh = api.post(f"/plans/{plan_id}/transitions", "drafter", json=body,
                     headers={"Idempotency-Key": "another"})
    assert fresh.get_json()["state"] == "stakeholder_review"


def test_a_key_whose_first_request_still_runs_is_409(app, api, make_plan):
    plan_id = make_plan("draft")
    body = {"trigger": "withdraw", "comment": "x"}
    api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY)
    with write_session(app.extensions["napflow.db"].sessions) as session:
        record = session.scalars(select(IdempotencyRecord).join(
            User, User.id == IdempotencyRecord.user_id).where(User.username == "drafter")).one()
        record.status_code, record.created_at = None, utcnow()  # as if still running
    assert_problem(api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY),
                   409, "idempotency_key_in_use")
    with write_session(app.extensions["napflow.db"].sessions) as session:
        record = session.scalars(select(IdempotencyRecord)).one()
        record.created_at = utcnow() - timedelta(hours=1)  # ... or died long ago
    # The stale claim is taken over: the request runs again (and now finds a withdrawn plan).
    assert_problem(api.post(f"/plans/{plan_id}/transitions", "drafter", json=body, headers=KEY),
                   409, "invalid_transition")


def test_a_malformed_key_is_422(api):
    for key in ("", "   ", "k" * 256):
        response = api.post("/plans", "drafter", json={"country": "THA", "title": "NAP"},
                            headers={"Idempotency-Key": key})
        problem = assert_problem(response, 422, "validation_error")
        assert "Idempotency-Key" in problem["errors"]
    assert api.get("/plans", "drafter").get_json()["items"] == []
