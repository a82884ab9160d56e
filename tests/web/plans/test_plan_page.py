"""The plan page: what each person sees of a plan, and exactly the actions theirs to take."""

import re

import pytest

from tests.web.plans.conftest import text
from tests.web.reading import read
from workflow import service

CONTENT = {
    "summary": "Secure high-activity sources and control exports.",
    "period": {"start": "2026-01-01", "end": "2028-12-31"},
    "measures": [
        {"obligation": "OP3d", "description": "Adopt a national control list",
         "lead_agency": "Ministry of Commerce", "domains": ["nuclear", "chemical"]},
        {"obligation": "OP1", "description": "Criminalise support to non-State actors",
         "lead_agency": "Ministry of Justice", "due": "2027-06-30"},
        {"obligation": "OP3b", "description": "Register every category 1-3 source",
         "lead_agency": "Office of Atoms for Peace", "status": "in_progress",
         "assistance_needed": True},
    ],
}


def test_the_content_is_grouped_by_obligation_in_the_resolutions_order(make_plan, signed_in):
    plan_id = make_plan("draft", content=CONTENT, title="Radioactive source security plan")

    page = text(signed_in("viewer").get(f"/plans/{plan_id}"))

    assert page.startswith("Thailand Radioactive source security plan Draft")
    groups = [page.index(heading) for heading in (
        "OP1: refrain from supporting", "OP3 (b): physical protection",
        "OP3 (d): export and trans-shipment controls")]
    assert groups == sorted(groups)
    assert ("Register every category 1-3 source Lead agency Office of Atoms for Peace Due "
            "No date Domains None given Status In progress Assistance needed Yes") in page
    assert "Criminalise support to non-State actors Lead agency Ministry of Justice Due " \
           "Jun 30, 2027" in page
    assert "Domains Nuclear, Chemical" in page
    assert "Period Jan 1, 2026 to Dec 31, 2028" in page


def buttons(response, plan_id: int) -> dict[str, str]:
    """The plan page's actions: trigger -> "button" (fired by one press), "step" (a page that
    asks for what it needs first) or "disabled" (not ready, with the reasons beside it)."""
    page = response.get_data(as_text=True)
    found = {}
    for trigger in re.findall(rf'action="/plans/{plan_id}/actions/(\w+)"', page):
        found[trigger] = "button"
    for trigger in re.findall(rf'href="/plans/{plan_id}/actions/(\w+)"', page):
        found[trigger] = "step"
    for trigger in re.findall(r'disabled aria-disabled="true"[^>]*aria-describedby|'
                              r'aria-describedby="why-(\w+)"', page):
        if trigger:
            found[trigger] = "disabled"
    return found


# What each person may do, by the plan's state: exactly service.available_triggers.
@pytest.mark.parametrize(("state", "who", "expected"), [
    ("draft", "drafter", {"submit_for_review": "disabled", "withdraw": "step"}),
    ("draft", "reviewer", {}),
    ("stakeholder_review", "drafter", {"endorse": "disabled", "request_changes": "step",
                                       "withdraw": "step"}),
    ("stakeholder_review", "reviewer", {"request_changes": "step"}),
    ("stakeholder_review", "reviewer2", {}),  # not assigned to this plan
    ("national_approval", "approver", {"approve": "button", "return": "step",
                                       "withdraw": "step"}),
    ("national_approval", "drafter", {"withdraw": "step"}),
    ("approved", "submitter", {"submit_to_committee": "step"}),
    ("submitted", "committee", {"acknowledge": "button"}),
    ("acknowledged", "drafter", {"revise": "button"}),
    ("acknowledged", "viewer", {}),
    ("withdrawn", "drafter", {}),
])
def test_the_buttons_are_the_triggers_this_user_may_fire_now(make_plan, signed_in, state, who,
                                                            expected):
    plan_id = make_plan(state)

    response = signed_in(who).get(f"/plans/{plan_id}")

    assert response.status_code == 200
    assert buttons(response, plan_id) == expected


def test_a_trigger_not_ready_is_shown_disabled_with_its_reasons(make_plan, signed_in):
    plan_id = make_plan("stakeholder_review")

    page = text(signed_in("drafter").get(f"/plans/{plan_id}"))

    assert ("Endorse Not possible yet: required reviewer reviewer has not approved "
            "version 1") in page


def test_the_lifecycle_marks_the_current_state(make_plan, signed_in):
    plan_id = make_plan("national_approval")

    response = signed_in("viewer").get(f"/plans/{plan_id}")

    assert ("Lifecycle Draft Stakeholder review National approval current state Approved "
            "Submitted Acknowledged Withdrawn") in text(response)
    assert '<li aria-current="step"><strong>National approval</strong>' in \
        response.get_data(as_text=True)


def test_decisions_on_an_earlier_version_are_shown_as_outdated(make_plan, signed_in, call):
    plan_id = make_plan("stakeholder_review")
    call("reviewer", service.record_review, plan_id, decision="approve")
    call("drafter", service.fire, plan_id, "request_changes", comment="one more measure")
    call("drafter", service.edit_plan, plan_id, content=CONTENT)

    page = text(signed_in("drafter").get(f"/plans/{plan_id}"))

    assert re.search(r"Reviewer Approval Due Decision Change reviewer Required [^ ]+ \d+, \d+ "
                     r"Approve on version 1, outdated Remove reviewer", page)


def test_a_current_decision_shows_with_its_comment(make_plan, signed_in, call):
    plan_id = make_plan("stakeholder_review")
    call("reviewer", service.record_review, plan_id, decision="request_changes",
         comment="Add the customs measures.")

    page = text(signed_in("viewer").get(f"/plans/{plan_id}"))

    assert "Request changes Add the customs measures." in page
    assert "outdated" not in page


def test_the_committee_sees_no_reviewers_nor_their_comments(make_plan, signed_in, call):
    plan_id = make_plan("submitted")

    page = text(signed_in("committee").get(f"/plans/{plan_id}"))

    assert "Reference NV/2026/17" in page
    assert "Reviewers" not in page and "reviewer" not in page


@pytest.mark.parametrize("path", ["/plans/{vnm}", "/plans/{vnm}/versions",
                                  "/plans/{vnm}/edit", "/plans/{vnm}/versions/1/diff/1",
                                  "/plans/{vnm}/actions/withdraw", "/plans/2147483648",
                                  "/plans/0", "/plans/abc", "/plans/{tha}/versions/9/diff/1",
                                  "/plans/{tha}/actions/no_such_trigger"])
def test_what_is_not_yours_to_see_is_not_found(make_plan, signed_in, path):
    tha, vnm = make_plan("draft"), make_plan("draft", country="VNM")

    response = signed_in("drafter").get(path.format(tha=tha, vnm=vnm))

    assert response.status_code == 404
    assert "Page not found" in text(response)


def test_the_committee_does_not_find_a_plan_before_its_submission(make_plan, signed_in):
    plan_id = make_plan("approved")

    assert signed_in("committee").get(f"/plans/{plan_id}").status_code == 404


def test_each_action_says_where_it_takes_the_plan(make_plan, signed_in):
    plan_id = make_plan("stakeholder_review")

    page = text(signed_in("reviewer").get(f"/plans/{plan_id}"))

    # The trigger sends the plan back; a review's decision of the same name does not.
    assert "Request changes Moves the plan to “Draft”. Your review of version 1" in page


@pytest.mark.parametrize("who", ["viewer", "drafter", "auditor"])
def test_the_plan_page_links_to_its_history_and_the_history_back_to_it(make_plan, signed_in,
                                                                       who):
    plan_id = make_plan("stakeholder_review")
    person = signed_in(who)
    page = read(person.get(f"/plans/{plan_id}"))
    history = page.link("History: every event of this plan")
    assert history == f"/plans/{plan_id}/history"
    assert page.link("All versions of the content") == f"/plans/{plan_id}/versions"
    back = person.get(history)
    assert "Chain verified" in read(back).text
    # the back link comes before <main>, as GOV.UK places it
    assert f'<a href="/plans/{plan_id}" class="govuk-back-link">Back to the plan</a>' \
        in back.get_data(as_text=True)
