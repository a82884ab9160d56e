"""Function level (OWASP API5) where the Committee sees a plan: it acknowledges, nothing more."""

from datetime import timedelta

import pytest

from models import utcnow
from tests.api.api_support import PROBLEM_JSON, REQUEST

NATIONAL_TRIGGERS = ["submit_for_review", "endorse", "request_changes", "approve", "return",
                     "submit_to_committee", "revise", "withdraw"]


def answer(client, person, method, path, headers=None, **kwargs):
    response = client.open("/api/v1" + path, method=method,
                           headers={**person.headers, **(headers or {})}, **kwargs)
    body = response.get_json(force=True, silent=True) or {}
    return response.status_code, body.get("code"), response.mimetype


def snapshot(client, people, plan_id):
    def get(path):
        return client.get(f"/api/v1/plans/{plan_id}{path}",
                          headers=people["auditor"].headers).get_json()
    return [get(p) for p in ("", "/versions", "/reviewers", "/reviews", "/history?limit=500")]


@pytest.fixture
def revised_draft(client, people, make_plan):
    """A plan acknowledged once and revised: a national draft again, which the Committee
    still sees (it saw the plan from its first submission on)."""
    plan_id = make_plan("acknowledged")
    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           headers=people["drafter"].headers, json={"trigger": "revise"})
    assert response.status_code == 200
    return plan_id


@pytest.mark.parametrize("state", ["submitted", "acknowledged", "revised draft"])
def test_the_committee_fires_no_national_trigger_and_edits_nothing(
        client, people, make_plan, revised_draft, state):
    plan_id = revised_draft if state == "revised draft" else make_plan(state)
    committee = people["committee"]
    assert client.get(f"/api/v1/plans/{plan_id}", headers=committee.headers).status_code == 200
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=committee.headers).headers["ETag"]
    before = snapshot(client, people, plan_id)
    tried = {trigger: answer(client, committee, "POST", f"/plans/{plan_id}/transitions",
                             json={"trigger": trigger, **REQUEST.get(trigger, {})})
             for trigger in NATIONAL_TRIGGERS}
    tried["PATCH"] = answer(client, committee, "PATCH", f"/plans/{plan_id}",
                            json={"title": "Committee's title"}, headers={"If-Match": etag})
    tried["review"] = answer(client, committee, "POST", f"/plans/{plan_id}/reviews",
                             json={"decision": "approve"})
    assert tried == {what: (403, "forbidden", PROBLEM_JSON) for what in tried}
    assert snapshot(client, people, plan_id) == before


def test_the_committee_cannot_learn_a_plans_reviewers_from_how_it_is_refused(
        client, people, make_plan):
    """The Committee may not list reviewers (403); managing them must not reveal them either:
    it gets the same refusal whether or not a name is assigned, or is a reviewer at all."""
    plan_id = make_plan("submitted")  # `reviewer` is assigned, `reviewer2` is not
    committee = people["committee"]
    before = snapshot(client, people, plan_id)
    for username in ("reviewer", "reviewer2", "viewer", "nobody"):
        assert answer(client, committee, "POST", f"/plans/{plan_id}/reviewers",
                      json={"username": username}) == (403, "forbidden", PROBLEM_JSON), username
        assert answer(client, committee, "DELETE", f"/plans/{plan_id}/reviewers/{username}"
                      ) == (403, "forbidden", PROBLEM_JSON), username
    assert snapshot(client, people, plan_id) == before


def test_the_status_overview_does_not_name_reviewers_to_the_committee(
        app, client, people, revised_draft):
    """A revised plan back in review, its required review overdue: the Committee still sees
    the plan (and counts it), but not who has yet to review it."""
    assert client.post(f"/api/v1/plans/{revised_draft}/transitions",
                       headers=people["drafter"].headers,
                       json={"trigger": "submit_for_review"}).status_code == 200
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=31)  # past the default due day

    def get(path, who):
        return client.get(f"/api/v1{path}", headers=people[who].headers).get_json()

    overdue = get("/reviews/overdue", "drafter")["items"]
    assert [o["reviewer"] for o in overdue] == [people["reviewer"].username]
    committee = get("/status", "committee")
    assert committee["plans"] == [{"country": "THA", "state": "stakeholder_review", "count": 1}]
    assert (committee["overdue"], get("/reviews/overdue", "committee")["items"]) == ([], [])
