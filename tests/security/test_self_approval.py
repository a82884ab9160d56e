"""Four eyes and who may review (OWASP API6, sensitive business flows): no one approves
their own writing, and only the country's reviewers can be made reviewers."""

import pytest

from models.db import write_session
from tests.api.api_support import CONTENT, MEASURE, assert_problem
from workflow import users


class Clerk:
    """Speaks /api/v1 as one person."""

    def __init__(self, client, person):
        self.client, self.person = client, person

    def __call__(self, method, path, headers=None, **kwargs):
        return self.client.open("/api/v1" + path, method=method,
                                headers={**self.person.headers, **(headers or {})}, **kwargs)

    def fire(self, plan_id, trigger, **body):
        return self(method="POST", path=f"/plans/{plan_id}/transitions",
                    json={"trigger": trigger, **body})


def ok(response, status=200):
    assert response.status_code == status, response.get_json()
    return response.get_json()


@pytest.fixture
def as_(client, people, make_user):
    cast = {**people, "both": make_user("drafter-approver", "drafter:THA", "approver:THA")}
    return lambda who: Clerk(client, cast[who])


def to_national_approval(as_, plan_id):
    ok(as_("drafter")("POST", f"/plans/{plan_id}/reviewers", json={"username": "reviewer"}), 201)
    ok(as_("drafter").fire(plan_id, "submit_for_review"))
    ok(as_("reviewer")("POST", f"/plans/{plan_id}/reviews", json={"decision": "approve"}), 201)
    ok(as_("drafter").fire(plan_id, "endorse"))


def approve_refused(as_, plan_id):
    """The user holding drafter and approver cannot approve: 422 guard_failed, nothing changed."""
    before = as_("auditor")("GET", f"/plans/{plan_id}/history").get_json()
    [approve] = [t for t in ok(as_("both")("GET", f"/plans/{plan_id}"))["available_triggers"]
                 if t["trigger"] == "approve"]
    assert approve["ready"] is False and approve["reasons"]
    body = assert_problem(as_("both").fire(plan_id, "approve"), 422, "guard_failed")
    assert body["reasons"]
    assert as_("auditor")("GET", f"/plans/{plan_id}/history").get_json() == before
    assert ok(as_("approver").fire(plan_id, "approve"))["state"] == "approved"  # another may


def test_the_author_of_the_first_version_cannot_approve_it(as_):
    plan_id = ok(as_("both")("POST", "/plans", json={"country": "THA", "title": "NAP",
                                                     "content": CONTENT}), 201)["id"]
    to_national_approval(as_, plan_id)
    approve_refused(as_, plan_id)


def test_the_author_of_a_later_version_of_the_revision_cannot_approve_it(as_):
    plan_id = ok(as_("drafter")("POST", "/plans", json={"country": "THA", "title": "NAP",
                                                        "content": CONTENT}), 201)["id"]
    etag = as_("both")("GET", f"/plans/{plan_id}").headers["ETag"]
    ok(as_("both")("PATCH", f"/plans/{plan_id}", headers={"If-Match": etag},
                   json={"content": {**CONTENT, "measures": [MEASURE]}}))
    # The drafter puts the original back: the approver's words are gone, its authorship not.
    etag = as_("drafter")("GET", f"/plans/{plan_id}").headers["ETag"]
    ok(as_("drafter")("PATCH", f"/plans/{plan_id}", headers={"If-Match": etag},
                      json={"content": CONTENT}))
    to_national_approval(as_, plan_id)
    approve_refused(as_, plan_id)


def test_only_a_reviewer_of_the_plans_country_can_be_assigned(as_, make_user, make_plan,
                                                             session_factory):
    make_user("ministry", "reviewer:VNM", "viewer:THA")
    make_user("former-reviewer", "reviewer:THA", "viewer:THA")
    with write_session(session_factory) as session:
        users.revoke(session, "admin", "former-reviewer", "reviewer:THA")
    plan_id = make_plan("draft")
    before = as_("auditor")("GET", f"/plans/{plan_id}/history").get_json()
    for username in ("vnm-reviewer", "ministry", "former-reviewer", "drafter", "approver",
                     "viewer", "auditor", "global-auditor", "committee", "admin", "nobody"):
        response = as_("drafter")("POST", f"/plans/{plan_id}/reviewers",
                                  json={"username": username})
        assert list(assert_problem(response, 422, "validation_error")["errors"]) == [
            "username"], username
    assert as_("auditor")("GET", f"/plans/{plan_id}/history").get_json() == before
    ok(as_("drafter")("POST", f"/plans/{plan_id}/reviewers", json={"username": "reviewer"}),
       201)
