"""Each form of the plan pages sent twice, the same fields and the same key (a double click
with JavaScript off, Back and send again): the work is done once, and the second send lands
where the first did, with a note, never on a refusal or an error page."""

import html
import re

import pytest

from tests.web.plans.conftest import SUBMISSION, actions_of, text
from tests.web.plans.test_plan_edit import form_of
from tests.web.plans.test_plan_races import race
from tests.web.test_double_submit import ALREADY
from workflow import service
from workflow.audit import verify_chain


def fields_of(response, action: str) -> dict[str, str]:
    """The hidden fields of the page's form posting to `action`, as the browser sends them
    (the CSRF token is the browser's: tests.web.conftest.Pages adds it)."""
    page = response.get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page,
                     re.S)
    assert form, f"no form posting to {action}"
    return {name: html.unescape(value) for name, value in re.findall(
        r'<input type="hidden" name="(\w+)" value="([^"]*)"', form.group(0))
        if name != "csrf_token"}


def _back_to_draft_with_a_reviewer(call, plan_id):
    call("drafter", service.fire, plan_id, "request_changes", comment="one more measure")


def _checked_submission(pages, plan_id):
    """The submitter fills in the step; the answers to check carry the form to confirm."""
    step = pages.get(f"/plans/{plan_id}/actions/submit_to_committee")
    fields = fields_of(step, f"/plans/{plan_id}/actions/submit_to_committee")
    return pages.post(f"/plans/{plan_id}/actions/submit_to_committee",
                      {**fields, **SUBMISSION})


# (state, who, where the form is shown, where it posts, what the person fills in, the
# audit action it makes, a step before: (call, plan_id) or None)
FORMS = {
    "record a review": ("stakeholder_review", "reviewer", "/plans/{id}", "/plans/{id}/reviews",
                        {"decision": "approve"}, "review", None),
    "approve": ("national_approval", "approver", "/plans/{id}",
                "/plans/{id}/actions/approve", {}, "approve", None),
    "request changes (a step with a comment)": (
        "stakeholder_review", "drafter", "/plans/{id}/actions/request_changes",
        "/plans/{id}/actions/request_changes", {"comment": "Add the customs measures."},
        "request_changes", None),
    "assign a reviewer": ("draft", "drafter", "/plans/{id}", "/plans/{id}/reviewers",
                          {"username": "reviewer", "required": "y"}, "assign_reviewer", None),
    "remove a reviewer": ("stakeholder_review", "drafter", "/plans/{id}",
                          "/plans/{id}/reviewers/reviewer/remove", {}, "remove_reviewer",
                          _back_to_draft_with_a_reviewer),
}


@pytest.mark.parametrize("form_name", list(FORMS))
def test_a_plan_form_sent_twice_is_done_once(make_plan, signed_in, call, db, people,
                                             form_name):
    state, who, shown_at, posts_to, filled, action, before = FORMS[form_name]
    plan_id = make_plan(state)
    if before:
        before(call, plan_id)
    if filled.get("username"):
        filled = {**filled, "username": people[filled["username"]].username}
    pages = signed_in(who)
    form = {**fields_of(pages.get(shown_at.format(id=plan_id)), posts_to.format(id=plan_id)),
            **filled}
    assert form["form_key"]
    done = [a for _, a in actions_of(db, plan_id)].count(action)

    first = pages.post(posts_to.format(id=plan_id), form)
    second = pages.post(posts_to.format(id=plan_id), form)

    assert (first.status_code, second.status_code) == (302, 302), text(second)
    assert first.headers["Location"] == second.headers["Location"]
    assert second.headers["Location"].startswith(f"/plans/{plan_id}")
    assert [a for _, a in actions_of(db, plan_id)].count(action) == done + 1
    assert ALREADY in text(pages.get(second.headers["Location"]))
    assert verify_chain(db, plan_id).valid


def test_save_pressed_twice_saves_once_and_is_no_conflict(make_plan, signed_in, db):
    """Without the key, the second send's old ETag met the first send's save: "Your changes
    were not saved", as if someone else had saved first."""
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")
    form = {**form_of(drafter.get(f"/plans/{plan_id}/edit")), "summary": "Saved twice",
            "save": "y"}

    first = drafter.post(f"/plans/{plan_id}/edit", form)
    second = drafter.post(f"/plans/{plan_id}/edit", form)

    assert (first.status_code, second.status_code) == (302, 302)
    assert [a for _, a in actions_of(db, plan_id)] == ["create", "edit"]
    page = text(drafter.get(f"/plans/{plan_id}"))
    assert ALREADY in page and "Your changes were not saved" not in page


def test_the_submission_confirmed_twice_goes_to_the_committee_once(make_plan, signed_in, db):
    plan_id = make_plan("approved")
    submitter = signed_in("submitter")
    action = f"/plans/{plan_id}/actions/submit_to_committee"
    form = fields_of(_checked_submission(submitter, plan_id), action)
    assert form["confirmed"] == "1" and form["reference"] == SUBMISSION["reference"]

    answers = [submitter.post(action, form) for _ in range(2)]

    assert [r.status_code for r in answers] == [302, 302]
    assert [a for _, a in actions_of(db, plan_id)].count("submit_to_committee") == 1
    assert ALREADY in text(submitter.get(f"/plans/{plan_id}"))


def test_two_approvals_from_two_forms_are_refused_in_words_on_the_plan_page(make_plan,
                                                                             signed_in, db):
    """Two forms (two tabs, each with its own key) are two requests: the second is refused
    by the state machine, and says so on the plan page, changing nothing."""
    plan_id = make_plan("national_approval")
    tabs = [signed_in("approver") for _ in range(2)]
    forms = [fields_of(tab.get(f"/plans/{plan_id}"), f"/plans/{plan_id}/actions/approve")
             for tab in tabs]
    assert forms[0]["form_key"] != forms[1]["form_key"]
    assert tabs[0].post(f"/plans/{plan_id}/actions/approve", forms[0]).status_code == 302
    refused = tabs[1].post(f"/plans/{plan_id}/actions/approve", forms[1])
    assert refused.status_code == 409
    page = text(refused)
    assert page.startswith("There is a problem This cannot be done while the plan is in its "
                           "current state.")
    assert "Approved" in page  # the plan page, showing the plan as it now is
    assert [a for _, a in actions_of(db, plan_id)].count("approve") == 1


@pytest.mark.parametrize("form_name", ["record a review", "approve"])
def test_the_same_plan_form_sent_twice_at_once_is_done_once(make_plan, signed_in, db, people,
                                                            form_name):
    state, who, shown_at, posts_to, filled, action, _before = FORMS[form_name]
    plan_id = make_plan(state)
    browsers = [signed_in(who) for _ in range(2)]  # one person, two sessions
    form = {**fields_of(browsers[0].get(shown_at.format(id=plan_id)),
                        posts_to.format(id=plan_id)), **filled}
    browsers[1].get(shown_at.format(id=plan_id))  # its own CSRF token

    responses = race(browsers, lambda pages, _i: pages.post(posts_to.format(id=plan_id),
                                                            form))

    assert [r.status_code for r in responses] == [302, 302]
    assert len({r.headers["Location"] for r in responses}) == 1
    assert [a for _, a in actions_of(db, plan_id)].count(action) == 1
    assert verify_chain(db, plan_id).valid
