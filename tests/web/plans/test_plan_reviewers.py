"""Reviewers on the plan page: the drafter assigns and removes them; a reviewer decides there."""

from datetime import date, timedelta

import pytest

from tests.web.plans.conftest import actions_of, text, unchanged
from workflow import service

NEXT_YEAR = (date.today() + timedelta(days=365)).isoformat()


def test_the_drafter_assigns_a_reviewer_with_a_due_date_then_removes_them(make_plan, signed_in,
                                                                         db):
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")
    page = drafter.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert '<option value="reviewer">reviewer</option>' in page
    assert "vnm-reviewer" not in page  # only reviewers of the plan's country are offered

    response = drafter.post(f"/plans/{plan_id}/reviewers", {"username": "reviewer2",
                                                            "required": "y", "due": NEXT_YEAR})
    assert response.status_code == 302
    page = text(drafter.get(response.headers["Location"]))
    assert "reviewer2 is now a reviewer of this plan." in page
    assert "reviewer2 Required" in page and "No decision yet" in page

    response = drafter.post(f"/plans/{plan_id}/reviewers/reviewer2/remove")
    assert response.status_code == 302
    assert "reviewer2 is no longer a reviewer of this plan." in text(
        drafter.get(response.headers["Location"]))
    assert [a for _, a in actions_of(db, plan_id)] == ["create", "assign_reviewer",
                                                        "remove_reviewer"]


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"username": ""}, "username", "Choose a reviewer"),
    ({"username": "vnm-reviewer"}, "username", "Not a valid choice."),  # a hand-made request
    ({"username": "reviewer", "due": "next week"}, "due",
     "Enter a real date, for example 2027-06-30"),
    ({"username": "reviewer", "due": "2001-01-01"}, "due", "Must be a date, today or later."),
])
def test_a_wrong_assignment_is_said_by_its_field_and_changes_nothing(
        make_plan, signed_in, engine, form, field, message):
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")
    drafter.get(f"/plans/{plan_id}")

    with unchanged(engine):
        response = drafter.post(f"/plans/{plan_id}/reviewers", form)

    assert response.status_code == 422
    assert f'<li><a href="#{field}">{message}</a></li>' in response.get_data(as_text=True)


def test_no_one_removes_a_reviewer_mid_review(make_plan, signed_in, engine):
    plan_id = make_plan("stakeholder_review")
    drafter = signed_in("drafter")
    page = drafter.get(f"/plans/{plan_id}").get_data(as_text=True)
    assert "/reviewers/reviewer/remove" not in page  # no Remove button in review

    with unchanged(engine):
        response = drafter.post(f"/plans/{plan_id}/reviewers/reviewer/remove")

    assert response.status_code == 409
    assert "This cannot be changed in the plan's current state." in text(response)


def test_only_the_drafter_manages_reviewers(make_plan, signed_in, engine):
    plan_id = make_plan("draft")
    viewer = signed_in("viewer")
    assert "Assign a reviewer" not in text(viewer.get(f"/plans/{plan_id}"))

    with unchanged(engine):
        response = viewer.post(f"/plans/{plan_id}/reviewers", {"username": "reviewer"})

    assert response.status_code == 403
    assert "Your roles do not allow this on this plan." in text(response)


@pytest.mark.parametrize(("form", "field", "message"), [
    ({"decision": "request_changes", "comment": "  "}, "comment",
     "A comment is required to request changes."),
    ({}, "decision", "Choose approve or request changes"),
    ({"decision": "maybe"}, "decision", "Not a valid choice."),
])
def test_a_review_without_what_it_needs_is_refused_on_the_plan_page(
        make_plan, signed_in, engine, form, field, message):
    plan_id = make_plan("stakeholder_review")
    reviewer = signed_in("reviewer")
    reviewer.get(f"/plans/{plan_id}")

    with unchanged(engine):
        response = reviewer.post(f"/plans/{plan_id}/reviews", form)

    assert response.status_code == 422
    assert f'<li><a href="#{field}">{message}</a></li>' in response.get_data(as_text=True)


def test_a_reviewer_requests_changes_with_a_reason(make_plan, signed_in, db):
    plan_id = make_plan("stakeholder_review")
    reviewer = signed_in("reviewer")

    response = reviewer.post(f"/plans/{plan_id}/reviews", {
        "decision": "request_changes", "comment": "Add the customs measures."})

    assert response.status_code == 302
    page = text(reviewer.get(response.headers["Location"]))
    assert "Your request for changes is recorded." in page
    assert "Request changes Add the customs measures." in page
    assert actions_of(db, plan_id)[-1] == ("reviewer", "review")


@pytest.mark.parametrize(("state", "who"), [("stakeholder_review", "reviewer2"),
                                            ("draft", "reviewer"),
                                            ("stakeholder_review", "drafter")])
def test_only_an_assigned_reviewer_reviews_and_only_in_review(make_plan, signed_in, engine,
                                                              call, state, who):
    plan_id = make_plan(state)
    if state == "draft":
        call("drafter", service.assign_reviewer, plan_id, username="reviewer")
    pages = signed_in(who)
    assert "Your review of" not in text(pages.get(f"/plans/{plan_id}"))

    with unchanged(engine):
        response = pages.post(f"/plans/{plan_id}/reviews", {"decision": "approve"})

    assert response.status_code in (403, 409)
    assert "There is a problem" in text(response)
