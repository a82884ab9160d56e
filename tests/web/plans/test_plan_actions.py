"""Acting on a plan from its page: the same operations, the same audit events, the same refusals."""

import html
import re

import pytest

from tests.web.plans.conftest import SUBMISSION, actions_of, text, unchanged
from workflow import service


def etag_on(response) -> str:
    """The ETag the page's forms carry: the plan as the user saw it."""
    found = re.search(r'name="etag"[^>]* value="([^"]+)"', response.get_data(as_text=True))
    return html.unescape(found.group(1))


def press(pages, plan_id: int, trigger: str, **form):
    """Open the plan page and press the trigger's button (a form carrying the page's ETag)."""
    etag = etag_on(pages.get(f"/plans/{plan_id}"))
    return pages.post(f"/plans/{plan_id}/actions/{trigger}", {"etag": etag, **form})


def test_a_plan_goes_from_draft_to_acknowledged_through_the_pages(make_plan, signed_in, db):
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")

    assert drafter.post(f"/plans/{plan_id}/reviewers",
                        {"username": "reviewer", "required": "y"}).status_code == 302
    assert press(drafter, plan_id, "submit_for_review").status_code == 302
    # The reviewer opens the plan, sees it is theirs to review, approves.
    reviewer = signed_in("reviewer")
    assert "Your review of version 1" in text(reviewer.get(f"/plans/{plan_id}"))
    response = reviewer.post(f"/plans/{plan_id}/reviews", {"decision": "approve"})
    assert response.status_code == 302
    assert "Your decision is recorded." in text(reviewer.get(response.headers["Location"]))
    assert press(drafter, plan_id, "endorse").status_code == 302
    assert press(signed_in("approver"), plan_id, "approve").status_code == 302
    submitter = signed_in("submitter")
    step = submitter.get(f"/plans/{plan_id}/actions/submit_to_committee")
    checked = submitter.post(f"/plans/{plan_id}/actions/submit_to_committee",
                             {"etag": etag_on(step), **SUBMISSION})
    assert "Check your answers before submitting to the Committee" in text(checked)
    assert submitter.post(f"/plans/{plan_id}/actions/submit_to_committee", {
        "etag": etag_on(step), **SUBMISSION, "confirmed": "1"}).status_code == 302
    committee = signed_in("committee")
    response = press(committee, plan_id, "acknowledge")
    assert response.status_code == 302
    assert ("Done: Acknowledge receipt. The plan is now in the state “Acknowledged”."
            in text(committee.get(response.headers["Location"])))

    # Exactly the events the API calls make, by the same people.
    assert actions_of(db, plan_id) == [
        ("drafter", "create"), ("drafter", "assign_reviewer"), ("drafter", "submit_for_review"),
        ("reviewer", "review"), ("drafter", "endorse"), ("approver", "approve"),
        ("submitter", "submit_to_committee"), ("committee", "acknowledge")]


def test_nothing_goes_to_the_committee_before_the_answers_are_checked(make_plan, signed_in,
                                                                      engine, db):
    plan_id = make_plan("approved")
    submitter = signed_in("submitter")
    step = submitter.get(f"/plans/{plan_id}/actions/submit_to_committee")
    assert "Note verbale or letter reference" in text(step)

    with unchanged(engine):
        checked = submitter.post(f"/plans/{plan_id}/actions/submit_to_committee",
                                 {"etag": etag_on(step), **SUBMISSION})
    page = text(checked)
    assert checked.status_code == 200
    assert ("Reference NV/THA/2026/0321 Change the reference Publication The Committee may "
            "publish it Change whether the Committee may publish it") in page
    assert "This cannot be undone" in page
    # "Change" goes back to the step with the answers given.
    change = re.search(r'href="([^"]+)">Change<span class="govuk-visually-hidden"> the reference',
                       checked.get_data(as_text=True)).group(1)
    again = submitter.get(html.unescape(change)).get_data(as_text=True)
    assert 'value="NV/THA/2026/0321"' in again
    assert re.search(r'value="yes" checked', again)

    submitter.post(f"/plans/{plan_id}/actions/submit_to_committee",
                   {"etag": etag_on(checked), **SUBMISSION, "confirmed": "1"})
    db.rollback()
    plan = db.get(service.Plan, plan_id)
    assert plan.state == "submitted"
    assert plan.submission["reference"] == "NV/THA/2026/0321"
    assert plan.submission["publication_consent"] is True


@pytest.mark.parametrize(("form", "errors"), [
    ({}, ['href="#reference">Enter the note verbale or letter reference',
          'href="#publication_consent">Choose whether the Committee may publish this plan']),
    ({"reference": "   ", "publication_consent": "no"},
     ['href="#reference">Enter the note verbale or letter reference']),
    ({"reference": "NV/1", "publication_consent": "maybe"},
     ['href="#publication_consent">']),
])
def test_the_submission_step_asks_for_what_is_missing(make_plan, signed_in, engine, form,
                                                      errors):
    plan_id = make_plan("approved")
    submitter = signed_in("submitter")
    etag = etag_on(submitter.get(f"/plans/{plan_id}/actions/submit_to_committee"))

    for confirmed in ("", "1"):  # a hand-made confirmation is checked as well
        with unchanged(engine):
            response = submitter.post(f"/plans/{plan_id}/actions/submit_to_committee",
                                      {"etag": etag, **form, "confirmed": confirmed})
        assert response.status_code == 422
        page = response.get_data(as_text=True)
        assert "There is a problem" in page
        for error in errors:
            assert error in page


@pytest.mark.parametrize(("state", "who", "trigger"), [
    ("draft", "drafter", "withdraw"),
    ("stakeholder_review", "reviewer", "request_changes"),
    ("national_approval", "approver", "return"),
])
def test_a_trigger_that_needs_a_comment_asks_for_one(make_plan, signed_in, engine, db, state,
                                                    who, trigger):
    plan_id = make_plan(state)
    pages = signed_in(who)
    step = pages.get(f"/plans/{plan_id}/actions/{trigger}")
    assert 'id="comment"' in step.get_data(as_text=True)

    with unchanged(engine):
        refused = pages.post(f"/plans/{plan_id}/actions/{trigger}",
                             {"etag": etag_on(step), "comment": "  "})
    assert refused.status_code == 422
    assert 'href="#comment">Enter a comment' in refused.get_data(as_text=True)

    done = pages.post(f"/plans/{plan_id}/actions/{trigger}",
                      {"etag": etag_on(step), "comment": "Superseded by the 2027 plan."})
    assert done.status_code == 302
    assert actions_of(db, plan_id)[-1] == (who, trigger)


def test_a_trigger_not_ready_is_refused_with_its_reasons_and_changes_nothing(
        make_plan, signed_in, engine):
    plan_id = make_plan("stakeholder_review")
    drafter = signed_in("drafter")

    drafter.get(f"/plans/{plan_id}")  # its Endorse button is disabled: a hand-made request

    with unchanged(engine):
        response = drafter.post(f"/plans/{plan_id}/actions/endorse")

    assert response.status_code == 422
    assert ("There is a problem This cannot be done yet: required reviewer reviewer has not "
            "approved version 1") in text(response)


@pytest.mark.parametrize(("who", "trigger", "form", "status", "says"), [
    ("drafter", "no_such_trigger", {}, 422, "This plan's workflow has no such action."),
    ("drafter", "acknowledge", {}, 403, "Your roles do not allow this on this plan."),
    ("viewer", "withdraw", {"comment": "no"}, 403, "Your roles do not allow this"),
    ("approver", "approve", {}, 409, "cannot be done while the plan is in its current state"),
    ("drafter", "submit_for_review", {"etag": '"1.1"'}, 412,
     "The plan changed after you opened this page. Nothing was done"),
])
def test_a_refused_action_is_said_on_the_page_and_changes_nothing(
        make_plan, signed_in, engine, who, trigger, form, status, says):
    plan_id = make_plan("draft")
    pages = signed_in(who)
    pages.get(f"/plans/{plan_id}")
    pages.post(f"/plans/{plan_id}/reviewers", {"username": "reviewer", "required": "y"}) \
        if who == "drafter" else None

    with unchanged(engine):
        response = pages.post(f"/plans/{plan_id}/actions/{trigger}", form)

    assert response.status_code == status
    assert says in text(response)


def test_a_form_without_its_csrf_token_is_refused_and_changes_nothing(make_plan, signed_in,
                                                                       engine):
    plan_id = make_plan("national_approval")
    approver = signed_in("approver")

    with unchanged(engine):
        for form in ({}, {"csrf_token": "forged"}):
            response = approver.post(f"/plans/{plan_id}/actions/approve", form, csrf=False)
            assert response.status_code == 400
            assert "text/html" in response.content_type


def test_another_countrys_plan_is_not_found_when_acting_on_it(make_plan, signed_in, engine):
    plan_id = make_plan("national_approval", country="VNM")
    approver = signed_in("approver")

    with unchanged(engine):
        response = approver.post(f"/plans/{plan_id}/actions/approve")

    assert response.status_code == 404
    assert "Page not found" in text(response)


# A NUL character, which PostgreSQL text cannot hold, in every field and path a page takes.
@pytest.mark.parametrize(("path", "form"), [
    ("/plans/{id}/actions/withdraw", {"comment": "no\x00"}),
    ("/plans/{id}/actions/approve", {"comment": "\x00"}),
    ("/plans/{id}/actions/with\x00draw", {"comment": "no"}),
    ("/plans/{id}/reviews", {"decision": "request_changes", "comment": "a\x00b"}),
    ("/plans/{id}/reviewers", {"username": "reviewer", "due": "2030-01-01\x00"}),
    ("/plans/{id}/reviewers", {"username": "revi\x00ewer"}),
    ("/plans/{id}/reviewers/revi\x00ewer/remove", {}),
    ("/plans/{id}/edit", {"title": "T\x00", "save": "y"}),
    ("/plans/{id}/edit", {"title": "T", "measures-0-obligation": "OP1",
                          "measures-0-description": "d\x00", "measures-0-lead_agency": "a",
                          "save": "y"}),
])
def test_a_nul_character_is_refused_on_the_page_never_a_server_error(
        make_plan, signed_in, engine, path, form):
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")

    with unchanged(engine):
        response = drafter.post(path.format(id=plan_id), form)

    assert 400 <= response.status_code < 500
    assert "text/html" in response.content_type


@pytest.mark.parametrize(("state", "who", "trigger"), [
    ("approved", "drafter", "submit_to_committee"),  # not their role
    ("draft", "approver", "return"),  # not from this state
])
def test_a_step_not_yours_now_sends_you_back_to_the_plan(make_plan, signed_in, state, who,
                                                         trigger):
    plan_id = make_plan(state)
    pages = signed_in(who)

    response = pages.get(f"/plans/{plan_id}/actions/{trigger}")

    assert response.status_code == 302 and response.headers["Location"] == f"/plans/{plan_id}"
    assert "is not yours to do on this plan now." in text(pages.get(f"/plans/{plan_id}"))
