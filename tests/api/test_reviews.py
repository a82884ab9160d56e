"""Reviewers and reviews: who is assigned, when, and what each decision counts for."""

import pytest

from tests.api.api_support import assert_problem


def reviewers(api, plan_id, who="drafter"):
    response = api.get(f"/plans/{plan_id}/reviewers", who)
    assert response.status_code == 200
    return [(r["username"], r["required"]) for r in response.get_json()["items"]]


# -- reviewers ---------------------------------------------------------------------------
def test_assigning_a_reviewer_answers_201_and_lists_it(api, make_plan):
    plan_id = make_plan("draft")
    response = api.post(f"/plans/{plan_id}/reviewers", "drafter",
                        json={"username": "reviewer2", "required": False})
    assert response.status_code == 201
    body = response.get_json()
    assert (body["username"], body["required"], body["assigned_by"]) == (
        "reviewer2", False, "drafter")
    assert body["assigned_at"].endswith("Z")
    listed = api.get(f"/plans/{plan_id}/reviewers", "viewer").get_json()
    assert listed == {"items": [body], "next_cursor": None}
    last = api.history(plan_id)[-1]
    assert (last["action"], last["data"]) == (
        "assign_reviewer", {"username": "reviewer2", "required": False})


def test_a_reviewer_is_required_unless_said_otherwise(api, make_plan):
    plan_id = make_plan("draft")
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    assert reviewers(api, plan_id) == [("reviewer", True)]


# (state, answer to assigning reviewer2, answer to removing an assigned reviewer)
REVIEWER_CHANGES = [
    ("draft", 201, 204),
    ("stakeholder_review", 201, 409),  # no one removes a dissenting reviewer mid-review
    ("national_approval", 409, 409),
    ("approved", 409, 409),
    ("submitted", 409, 409),
    ("acknowledged", 409, 409),
]


@pytest.mark.parametrize(("state", "add", "remove"), REVIEWER_CHANGES)
def test_reviewers_are_added_until_review_and_removed_only_in_draft(api, make_plan, state, add,
                                                                    remove):
    plan_id = make_plan(state)
    assigned = reviewers(api, plan_id)
    added = api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer2"})
    if add == 201:
        assert added.status_code == 201
        assigned = [*assigned, ("reviewer2", True)]
    else:
        assert_problem(added, 409, "not_editable")
    assert reviewers(api, plan_id) == assigned
    removed = api.delete(f"/plans/{plan_id}/reviewers/{assigned[-1][0]}", "drafter")
    if remove == 204:
        assert removed.get_data() == b""
        assert reviewers(api, plan_id) == assigned[:-1]
        assert api.history(plan_id)[-1]["action"] == "remove_reviewer"
    else:
        assert_problem(removed, 409, "not_editable")
        assert reviewers(api, plan_id) == assigned


def test_only_a_reviewer_of_the_plans_country_can_be_assigned(api, make_plan, people):
    assert people["vnm_reviewer"].username == "vnm-reviewer"  # a reviewer, of Viet Nam
    plan_id = make_plan("draft")
    for username in ("viewer", "vnm-reviewer", "approver", "nobody"):
        problem = assert_problem(api.post(f"/plans/{plan_id}/reviewers", "drafter",
                                          json={"username": username}), 422, "validation_error")
        assert "username" in problem["errors"]
    assert reviewers(api, plan_id) == []


def test_a_reviewer_is_assigned_once(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    assert_problem(api.post(f"/plans/{plan_id}/reviewers", "drafter",
                            json={"username": "reviewer"}), 422, "validation_error")


def test_removing_a_reviewer_who_is_not_assigned_is_404(api, make_plan):
    plan_id = make_plan("draft")
    assert_problem(api.delete(f"/plans/{plan_id}/reviewers/reviewer2", "drafter"), 404,
                   "not_found")


def test_only_a_drafter_assigns_and_removes_reviewers(api, make_plan):
    plan_id = make_plan("draft")
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    for who in ("approver", "reviewer", "viewer", "global_auditor"):
        assert_problem(api.post(f"/plans/{plan_id}/reviewers", who,
                                json={"username": "reviewer2"}), 403, "forbidden")
        assert_problem(api.delete(f"/plans/{plan_id}/reviewers/reviewer", who), 403,
                       "forbidden")
    assert reviewers(api, plan_id) == [("reviewer", True)]


# -- reviews -----------------------------------------------------------------------------
def test_an_assigned_reviewer_records_a_decision(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    response = api.post(f"/plans/{plan_id}/reviews", "reviewer",
                        json={"decision": "request_changes", "comment": "add customs"})
    assert response.status_code == 201
    review = response.get_json()
    assert {k: review[k] for k in ("reviewer", "decision", "comment", "revision",
                                   "content_version")} == {
        "reviewer": "reviewer", "decision": "request_changes", "comment": "add customs",
        "revision": 1, "content_version": 1}
    listed = api.get(f"/plans/{plan_id}/reviews", "viewer").get_json()
    assert listed == {"items": [review], "next_cursor": None}
    last = api.history(plan_id)[-1]
    assert (last["action"], last["actor"], last["comment"], last["data"]) == (
        "review", "reviewer", "add customs", {"decision": "request_changes"})


def test_only_the_latest_decision_of_a_reviewer_counts(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    api.post(f"/plans/{plan_id}/reviews", "reviewer",
             json={"decision": "request_changes", "comment": "add customs"})
    assert_problem(api.fire(plan_id, "endorse", "drafter"), 422, "guard_failed")
    api.post(f"/plans/{plan_id}/reviews", "reviewer", json={"decision": "approve"})
    assert api.fire(plan_id, "endorse", "drafter").status_code == 200
    assert len(api.get(f"/plans/{plan_id}/reviews", "drafter").get_json()["items"]) == 2


def test_an_optional_reviewer_requesting_changes_blocks_endorsement(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    api.post(f"/plans/{plan_id}/reviewers", "drafter",
             json={"username": "reviewer2", "required": False})
    api.post(f"/plans/{plan_id}/reviews", "reviewer", json={"decision": "approve"})
    api.post(f"/plans/{plan_id}/reviews", "reviewer2",
             json={"decision": "request_changes", "comment": "health is missing"})
    problem = assert_problem(api.fire(plan_id, "endorse", "drafter"), 422, "guard_failed")
    assert problem["reasons"] == ["reviewer reviewer2 requests changes on version 1"]


def test_only_an_assigned_reviewer_reviews(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    for who, status, code in [
        ("reviewer2", 403, "forbidden"),     # a reviewer of the country, but not assigned
        ("drafter", 403, "forbidden"),
        ("vnm_reviewer", 404, "not_found"),  # another country's plan does not exist for them
    ]:
        assert_problem(api.post(f"/plans/{plan_id}/reviews", who, json={"decision": "approve"}),
                       status, code)
    assert api.get(f"/plans/{plan_id}/reviews", "drafter").get_json()["items"] == []


def test_reviews_are_recorded_only_in_stakeholder_review(api, make_plan):
    for state in ("draft", "national_approval", "submitted"):
        plan_id = make_plan(state)
        if state == "draft":
            api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
        assert_problem(api.post(f"/plans/{plan_id}/reviews", "reviewer",
                                json={"decision": "approve"}), 409, "not_editable")


MALFORMED_REVIEWS = [  # (review, the path of its error)
    ({}, "decision"),
    ({"decision": "maybe"}, "decision"),
    ({"decision": "request_changes"}, "comment"),
    ({"decision": "approve", "score": 5}, "score"),
]


def test_a_malformed_review_is_422(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    for body, field in MALFORMED_REVIEWS:
        problem = assert_problem(api.post(f"/plans/{plan_id}/reviews", "reviewer", json=body),
                                 422, "validation_error")
        assert field in problem["errors"], body
    assert api.get(f"/plans/{plan_id}/reviews", "drafter").get_json()["items"] == []
