"""My tasks: the landing page says what the signed-in user can do now, oldest first."""

from datetime import timedelta

import pytest

from models import utcnow
from models.db import write_session
from tests.conftest import SAMPLE_CONTENT
from tests.web.reading import read
from web import tasks
from workflow import service, users


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(browser):
    response = browser().get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/sign-in?next=/"


def test_the_reviewer_lands_on_the_review_they_owe_and_who_waits_for_it(signed_in,
                                                                        make_plan):
    plan_id = make_plan("stakeholder_review", title="Export controls 2026")
    page = read(signed_in("reviewer").get("/"))
    assert "Export controls 2026" in page.text
    assert page.link("Export controls 2026") == f"/plans/{plan_id}"
    assert "THA · Review the current version" in page.text
    # the drafter sent it for review and is waiting for this reviewer
    assert "drafter has been waiting since" in page.text
    assert "Due " in page.text and "Overdue" not in page.text


def test_an_overdue_review_is_marked_in_words(app, signed_in, make_plan):
    make_plan("stakeholder_review")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)  # past the due day
    response = signed_in("reviewer").get("/")
    assert '<strong class="govuk-tag govuk-tag--red">Overdue</strong>' in response.text


@pytest.mark.parametrize("who, state, step", [
    ("approver", "national_approval", "Approve"),
    ("submitter", "approved", "Submit to the Committee"),
    ("committee", "submitted", "Acknowledge receipt"),
])
def test_each_role_sees_the_step_it_takes_in_words(signed_in, make_plan, who, state, step):
    make_plan(state)
    page = read(signed_in(who).get("/"))
    assert f"THA · {step} ·" in page.text
    assert "To do" in page.text


def test_the_drafter_whose_own_draft_is_ready_sees_since_when(signed_in, make_plan,
                                                               session_factory):
    plan_id = make_plan("draft")
    with write_session(session_factory) as session:
        service.assign_reviewer(session, users.get_user(session, "drafter"), plan_id,
                                username="reviewer")
    page = read(signed_in("drafter").get("/"))
    # nobody else waits: the drafter created it
    assert "THA · Send for review · Waiting since" in page.text


def test_nothing_to_do_says_so(signed_in, make_plan):
    make_plan("draft")  # no reviewer yet: not ready to send for review
    make_plan("national_approval", country="VNM")  # another country's approval
    page = read(signed_in("approver").get("/"))
    assert "You have nothing to do right now." in page.text
    assert read(signed_in("drafter").get("/")).text.count("You have nothing to do") == 1


def test_tasks_come_oldest_first_a_page_at_a_time(monkeypatch, signed_in, make_plan):
    monkeypatch.setattr(tasks, "PAGE", 2)
    titles = [f"Plan number {n}" for n in range(1, 6)]
    for title in titles:
        make_plan("national_approval", title=title)
    approver, seen, href = signed_in("approver"), [], "/"
    pages = 0
    while href:
        page = read(approver.get(href))
        seen += [t for t in titles if t in page.text]
        href, pages = page.rel("next"), pages + 1
        if pages > 1:
            assert page.rel("first") == "/"
    assert seen == titles and pages == 3


@pytest.mark.parametrize("cursor", ["abc", "1.2", "-1.2.3", "1.2.3.4", "%00"])
def test_a_page_link_that_names_no_page_says_so_and_links_to_the_first(signed_in, make_plan,
                                                                       cursor):
    make_plan("national_approval", title="Still here")
    response = signed_in("approver").get(f"/?cursor={cursor}")
    assert response.status_code == 400
    page = read(response)
    assert page.problems == ["This page link is not right: it may have been cut short or "
                             "changed. Start again from the first page."]
    assert page.link("Start again from the first page") == "/"
    assert "Still here" not in page.text


def test_a_cursor_past_the_end_is_an_empty_page_not_an_error(signed_in, make_plan):
    make_plan("national_approval")
    response = signed_in("approver").get("/?cursor=99999999999999999999.9.1")
    assert response.status_code == 200
    assert "You have nothing to do right now" not in response.text  # not the empty state
    assert read(response).rel("first") == "/"


def test_a_reviewer_asked_again_goes_straight_to_the_changes_since_their_review(
        signed_in, make_plan, session_factory):
    """Issue 7 part 5: the task leads to "changes since the version I last reviewed"; the
    changes page leads on to the plan, where the decision is recorded."""
    plan_id = make_plan("stakeholder_review", title="Export controls 2026")
    steps = [("reviewer", service.record_review,
              {"decision": "request_changes", "comment": "Add the customs measures."}),
             ("drafter", service.fire, {"trigger": "request_changes", "comment": "as asked"}),
             ("drafter", service.edit_plan, {"content": {**SAMPLE_CONTENT, "summary": "New"}}),
             ("drafter", service.fire, {"trigger": "submit_for_review"})]
    for who, operation, arguments in steps:
        with write_session(session_factory) as session:
            operation(session, users.get_user(session, who), plan_id, **arguments)
    reviewer = signed_in("reviewer")
    page = read(reviewer.get("/"))
    assert ("THA · Review the changes since version 1, the version you last reviewed"
            in page.text)
    diff = page.link("Export controls 2026")
    assert diff == f"/plans/{plan_id}/versions/1/diff/2"
    assert read(reviewer.get(diff)).link("Back to the plan") == f"/plans/{plan_id}"
    # a reviewer who never reviewed it is asked to review the current version, on the plan
    other = read(signed_in("reviewer2").get("/"))
    assert "Export controls 2026" not in other.text or \
        other.link("Export controls 2026") == f"/plans/{plan_id}"
