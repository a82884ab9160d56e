"""Who sees what: another country's plan does not exist; the Committee sees what was submitted."""

import pytest

from tests.api.api_support import MEASURE, assert_problem

# Every plan endpoint, with a body that would be valid: only visibility can refuse it.
PLAN_ENDPOINTS = [
    ("GET", "/plans/{id}", None),
    ("PATCH", "/plans/{id}", {"title": "Mine now"}),
    ("POST", "/plans/{id}/transitions", {"trigger": "withdraw", "comment": "x"}),
    ("GET", "/plans/{id}/reviewers", None),
    ("POST", "/plans/{id}/reviewers", {"username": "vnm-reviewer"}),
    ("DELETE", "/plans/{id}/reviewers/reviewer", None),
    ("GET", "/plans/{id}/reviews", None),
    ("POST", "/plans/{id}/reviews", {"decision": "approve"}),
    ("GET", "/plans/{id}/versions", None),
    ("GET", "/plans/{id}/versions/1", None),
    ("GET", "/plans/{id}/history", None),
    ("GET", "/plans/{id}/history/verify", None),
]


@pytest.mark.parametrize("who", ["vnm_drafter", "vnm_reviewer", "vnm_auditor", "committee",
                                 "admin"])
def test_another_countrys_plan_is_404_on_every_endpoint(api, make_plan, who):
    plan_id = make_plan("stakeholder_review")
    before = api.snapshot(plan_id)
    for method, path, body in PLAN_ENDPOINTS:
        response = api.request(method, path.format(id=plan_id), who, json=body,
                               headers={"If-Match": before["etag"]})
        assert_problem(response, 404, "not_found")
        # Exactly what an unknown plan answers: nothing tells the two apart.
        unknown = api.request(method, path.format(id=10**6), who, json=body,
                              headers={"If-Match": before["etag"]})
        assert response.get_json()["detail"] == unknown.get_json()["detail"].replace(
            str(10**6), str(plan_id)), (method, path)
    assert api.snapshot(plan_id) == before


def test_lists_hold_only_the_callers_countries(api, make_plan):
    tha = {make_plan("draft"), make_plan("approved")}
    vnm = {make_plan("draft", country="VNM")}
    listed = {who: {p["id"] for p in api.get("/plans", who).get_json()["items"]}
              for who in ("drafter", "viewer", "vnm_viewer", "global_auditor", "admin")}
    assert listed == {"drafter": tha, "viewer": tha, "vnm_viewer": vnm,
                      "global_auditor": tha | vnm, "admin": set()}
    assert api.get("/plans?country=VNM", "drafter").get_json()["items"] == []
    events = api.get("/audit?limit=500", "drafter").get_json()["items"]
    assert {e["plan_id"] for e in events} == tha


def test_the_global_auditor_reads_everything_and_changes_nothing(api, make_plan):
    plan_id = make_plan("stakeholder_review", country="VNM")
    assert api.plan(plan_id, "global_auditor")["available_triggers"] == []
    for path in ("reviewers", "reviews", "versions", "history", "history/verify"):
        assert api.get(f"/plans/{plan_id}/{path}", "global_auditor").status_code == 200
    assert_problem(api.post(f"/plans/{plan_id}/reviews", "global_auditor",
                            json={"decision": "approve"}), 403, "forbidden")
    assert_problem(api.fire(plan_id, "endorse", "global_auditor"), 403, "forbidden")


COMMITTEE_SEES = {"draft": False, "stakeholder_review": False, "national_approval": False,
                  "approved": False, "submitted": True, "acknowledged": True, "withdrawn": False}


def test_the_committee_sees_a_plan_from_its_first_submission_on(api, make_plan):
    plans = {state: make_plan(state) for state in COMMITTEE_SEES}
    for state, sees in COMMITTEE_SEES.items():
        response = api.get(f"/plans/{plans[state]}", "committee")
        assert response.status_code == (200 if sees else 404), state
    listed = [p["id"] for p in api.get("/plans", "committee").get_json()["items"]]
    assert listed == [plans["submitted"], plans["acknowledged"]]


@pytest.fixture
def resubmitted_draft(api, make_plan):
    """A plan acknowledged once, revised, and now a national draft again with new content."""
    plan_id = make_plan("acknowledged")
    api.fire(plan_id, "revise", "drafter")
    response = api.patch(f"/plans/{plan_id}", "drafter",
                         json={"content": {"summary": "secret draft", "measures": [MEASURE]}},
                         headers={"If-Match": api.etag(plan_id)})
    assert response.status_code == 200
    return plan_id


def test_the_committee_sees_only_submitted_content(api, resubmitted_draft):
    plan = api.plan(resubmitted_draft, "committee")
    national = api.plan(resubmitted_draft, "drafter")
    assert plan["state"] == "draft"  # it still sees where the plan stands
    assert national["content_version"] == 2
    assert plan["content_version"] == 1
    assert plan["content"] != national["content"]
    versions = api.get(f"/plans/{resubmitted_draft}/versions", "committee").get_json()["items"]
    assert [(v["number"], v["submitted"]) for v in versions] == [(1, True)]
    assert api.get(f"/plans/{resubmitted_draft}/versions/1", "committee").status_code == 200
    assert_problem(api.get(f"/plans/{resubmitted_draft}/versions/2", "committee"), 404,
                   "not_found")
    assert api.get(f"/plans/{resubmitted_draft}/versions/2", "viewer").status_code == 200


def test_the_committee_sees_the_events_from_submission_on_without_national_work(
        api, resubmitted_draft):
    seen = [e["action"] for e in api.history(resubmitted_draft, "committee")]
    assert seen == ["submit_to_committee", "acknowledge", "revise"]
    first_seq = api.history(resubmitted_draft, "committee")[0]["seq"]
    national = api.history(resubmitted_draft, "drafter")
    assert [e["action"] for e in national if e["seq"] < first_seq] == [
        "create", "assign_reviewer", "submit_for_review", "review", "endorse", "approve"]
    audit = api.get(f"/audit?plan={resubmitted_draft}", "committee").get_json()["items"]
    assert [e["action"] for e in audit] == seen


def test_the_committee_never_sees_reviews_or_reviewers(api, make_plan):
    plan_id = make_plan("submitted")
    for path in ("reviewers", "reviews"):
        assert_problem(api.get(f"/plans/{plan_id}/{path}", "committee"), 403, "forbidden")
    assert "review" not in {e["action"] for e in api.history(plan_id, "committee")}


def test_the_committee_cannot_change_a_plan_it_sees(api, make_plan):
    plan_id = make_plan("submitted")
    assert_problem(api.patch(f"/plans/{plan_id}", "committee", json={"title": "x"},
                             headers={"If-Match": api.etag(plan_id)}), 403, "forbidden")
    assert_problem(api.post(f"/plans/{plan_id}/reviewers", "committee",
                            json={"username": "reviewer2"}), 403, "forbidden")
