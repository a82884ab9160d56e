"""No field a caller may not set is accepted (OWASP API3): each is a 422 naming the field,
and nothing changes."""

import pytest

from tests.api.api_support import CONTENT, REQUEST, assert_problem

# Fields napflow keeps for itself, with a value an attacker would like them to have.
PLAN_OWNED = {
    "id": 999, "state": "approved", "revision": 7, "content_version": 9, "row_version": 1,
    "seq": 1, "hash": "0" * 64, "prev_hash": "0" * 64, "audit_head": "0" * 64, "audit_seq": 0,
    "created_by": "approver", "created_at": "2020-01-01T00:00:00Z", "updated_at": None,
    "submission": {"reference": "NV/forged", "publication_consent": True},
    "committee_from_seq": 1, "revision_first_version": 2, "available_triggers": [],
    "workflow": "nap-1540",
}
# On creation the country, title, workflow and content are the caller's to choose.
ON_CREATE = {name: value for name, value in PLAN_OWNED.items() if name != "workflow"}
# On edit, a plan cannot move to another country (nor to another workflow).
ON_EDIT = {**PLAN_OWNED, "country": "VNM"}
ON_REVIEW = {"reviewer": "reviewer2", "user_id": 1, "plan_id": 1, "id": 1, "revision": 1,
             "content_version": 1, "created_at": "2020-01-01T00:00:00Z"}
ON_ASSIGN = {"assigned_by": "approver", "assigned_at": "2020-01-01T00:00:00Z", "user_id": 1,
             "plan_id": 1}
ON_FIRE = {"state": "submitted", "from_state": "draft", "to_state": "submitted",
           "actor": "committee", "seq": 1, "hash": "0" * 64, "at": "2020-01-01T00:00:00Z"}
# Inside `data`, only what the trigger's guards read: a submission's time is napflow's.
ON_FIRE_DATA = {"submitted_at": "2020-01-01T00:00:00Z", "state": "submitted",
                "actor": "committee"}
# Inside content, only the contract's fields: a measure's or the content's metadata is not.
IN_CONTENT = {"content.author": {**CONTENT, "author": "approver"},
              "content.content_version": {**CONTENT, "content_version": 1},
              "content.measures.0.id": {**CONTENT, "measures": [{**CONTENT["measures"][0],
                                                                  "id": 1}]}}


def refused(response, field):
    body = assert_problem(response, 422, "validation_error")
    assert field in body["errors"], (field, body)


def observe(client, people, plan_id=None):
    def get(path):
        return client.get("/api/v1" + path, headers=people["global_auditor"].headers).get_json()
    seen = [get("/audit?limit=500"), get("/plans?limit=500")]
    if plan_id is not None:
        seen += [get(f"/plans/{plan_id}{p}") for p in ("", "/versions", "/reviewers",
                                                       "/reviews")]
    return seen


def test_creating_a_plan_sets_none_of_napflows_fields(client, people):
    before = observe(client, people)
    for name, value in ON_CREATE.items():
        refused(client.post("/api/v1/plans", headers=people["drafter"].headers, json={
            "country": "THA", "title": "NAP", "content": CONTENT, name: value}), name)
    for name, content in IN_CONTENT.items():
        refused(client.post("/api/v1/plans", headers=people["drafter"].headers, json={
            "country": "THA", "title": "NAP", "content": content}), name)
    assert observe(client, people) == before


@pytest.mark.parametrize("who", ["drafter", "viewer"])
def test_editing_a_plan_sets_none_of_napflows_fields(client, people, make_plan, who):
    plan_id = make_plan("draft")
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers
                      ).headers["ETag"]
    headers = {**people[who].headers, "If-Match": etag}
    before = observe(client, people, plan_id)
    for name, value in ON_EDIT.items():
        refused(client.patch(f"/api/v1/plans/{plan_id}", headers=headers,
                             json={"title": "Renamed", name: value}), name)
    for name, content in IN_CONTENT.items():
        refused(client.patch(f"/api/v1/plans/{plan_id}", headers=headers,
                             json={"content": content}), name)
    assert observe(client, people, plan_id) == before


def test_reviews_and_assignments_set_none_of_napflows_fields(client, people, make_plan):
    plan_id = make_plan("stakeholder_review")
    before = observe(client, people, plan_id)
    for name, value in ON_REVIEW.items():  # nobody reviews in another's name
        refused(client.post(f"/api/v1/plans/{plan_id}/reviews",
                            headers=people["reviewer"].headers,
                            json={"decision": "approve", name: value}), name)
    for name, value in ON_ASSIGN.items():
        refused(client.post(f"/api/v1/plans/{plan_id}/reviewers",
                            headers=people["drafter"].headers,
                            json={"username": "reviewer2", name: value}), name)
    assert observe(client, people, plan_id) == before


def test_a_transition_sets_none_of_napflows_fields(client, people, make_plan):
    plan_id = make_plan("approved")
    fired = {"trigger": "submit_to_committee", **REQUEST["submit_to_committee"]}
    before = observe(client, people, plan_id)
    for name, value in ON_FIRE.items():
        refused(client.post(f"/api/v1/plans/{plan_id}/transitions",
                            headers=people["submitter"].headers, json={**fired, name: value}),
                name)
    for name, value in ON_FIRE_DATA.items():
        refused(client.post(f"/api/v1/plans/{plan_id}/transitions",
                            headers=people["submitter"].headers,
                            json={**fired, "data": {**fired["data"], name: value}}),
                f"data.{name}")
    assert observe(client, people, plan_id) == before
