"""Versions and their diff: what changed, in words and marks, and what the Committee may see."""

import pytest

from tests.web.plans.conftest import text, unchanged
from workflow import service

LIST = {"obligation": "OP3d", "description": "Adopt a national control list",
        "lead_agency": "Ministry of Commerce"}
TRAIN = {"obligation": "OP3c", "description": "Train customs officers",
         "lead_agency": "Customs"}
SOURCES = {"obligation": "OP3b", "description": "Register every radioactive source",
           "lead_agency": "Office of Atoms for Peace"}


@pytest.fixture
def edited(make_plan, call):
    """A draft in three versions: 1 as created, 2 by drafter2, 3 by drafter."""
    plan_id = make_plan("draft", content={"summary": "Control exports.",
                                          "measures": [LIST, TRAIN]})
    call("drafter2", service.edit_plan, plan_id, content={
        "summary": "Control exports and borders.",
        "measures": [{**LIST, "description": "Adopt and publish a national control list"},
                     TRAIN, SOURCES]})
    call("drafter", service.edit_plan, plan_id, content={
        "summary": "Control exports and borders.", "measures": [SOURCES]})
    return plan_id


def test_the_versions_are_listed_with_their_authors(edited, signed_in):
    page = text(signed_in("viewer").get(f"/plans/{edited}/versions"))

    assert "Version Author Saved Submitted to the Committee Compare" in page
    for number, author in ((1, "drafter"), (2, "drafter2"), (3, "drafter")):
        assert f"Version {number}" in page and author in page
    assert "Version 3 (current)" in page
    assert "Changes from version 2" in page


def test_the_diff_shows_each_change_in_words(edited, signed_in):
    response = signed_in("viewer").get(f"/plans/{edited}/versions/1/diff/2")
    page = response.get_data(as_text=True)

    assert response.status_code == 200
    assert "<table" not in page[page.index("<main"):]  # stacked, readable on a phone
    words = text(response)
    assert "1 measure added, 0 removed, 1 changed, 1 unchanged." in words
    assert ("Summary Before (removed words struck through) Control exports. "
            "After (added words underlined) Control exports [added: and borders].") in words
    assert ("OP3 (d): export and trans-shipment controls changed "
            "Adopt and publish a national control list Description") in words
    assert "Adopt [added: and publish] a national control list" in words
    assert "OP3 (b): physical protection added [added: Register every radioactive source]" \
        in words
    assert "<ins><span class=\"govuk-visually-hidden\">[added: </span>and publish" in page


def test_removed_measures_are_labelled_removed(edited, signed_in):
    words = text(signed_in("viewer").get(f"/plans/{edited}/versions/2/diff/3"))

    assert "0 measures added, 2 removed, 0 changed, 1 unchanged." in words
    assert "removed [removed: Train customs officers]" in words


def test_the_same_version_twice_has_no_changes(edited, signed_in):
    words = text(signed_in("viewer").get(f"/plans/{edited}/versions/2/diff/2"))

    assert "The two versions have the same content." in words


def test_the_compare_form_goes_to_the_diff_and_bad_input_is_said(edited, signed_in, engine):
    viewer = signed_in("viewer")

    went = viewer.get(f"/plans/{edited}/versions/compare?from=1&to=3")
    assert went.status_code == 302
    assert went.headers["Location"] == f"/plans/{edited}/versions/1/diff/3"
    with unchanged(engine):
        for query in ("from=a&to=3", "from=1", "from=-1&to=2", "from=1&to=" + "9" * 5000):
            response = viewer.get(f"/plans/{edited}/versions/compare?{query}")
            assert response.status_code == 422
            assert "There is a problem Choose a version to compare" in text(response)


def test_a_reviewer_is_shown_the_changes_since_the_version_they_last_reviewed(
        make_plan, signed_in, call):
    plan_id = make_plan("stakeholder_review", content={"measures": [LIST]})
    call("reviewer", service.record_review, plan_id, decision="request_changes",
         comment="Add the customs measures.")
    call("drafter", service.fire, plan_id, "request_changes", comment="as asked")
    call("drafter", service.edit_plan, plan_id, content={"measures": [LIST, TRAIN]})
    call("drafter", service.fire, plan_id, "submit_for_review")
    reviewer = signed_in("reviewer")

    link = (f'href="/plans/{plan_id}/versions/1/diff/2">See the changes since version 1, '
            "the version you last reviewed")
    for path in (f"/plans/{plan_id}", f"/plans/{plan_id}/versions"):
        assert link in reviewer.get(path).get_data(as_text=True)
    assert ("Your last decision, Request changes, was on version 1: it does not count for "
            "this version.") in text(reviewer.get(f"/plans/{plan_id}"))
    # The reviewer follows it, sees what changed, and approves.
    words = text(reviewer.get(f"/plans/{plan_id}/versions/1/diff/2"))
    assert "1 measure added, 0 removed, 0 changed, 1 unchanged." in words
    assert reviewer.post(f"/plans/{plan_id}/reviews",
                         {"decision": "approve"}).status_code == 302
    page = text(reviewer.get(f"/plans/{plan_id}"))
    assert "the version you last reviewed" not in page
    assert "Your decision on this version: Approve." in page
    # Someone who never reviewed it gets no such link.
    assert "the version you last reviewed" not in text(signed_in("reviewer2").get(
        f"/plans/{plan_id}"))


def test_the_committee_sees_only_submitted_versions(make_plan, signed_in, call):
    plan_id = make_plan("acknowledged", content={"measures": [LIST]})
    call("drafter", service.fire, plan_id, "revise")
    call("drafter", service.edit_plan, plan_id, content={"measures": [LIST, TRAIN]})
    committee = signed_in("committee")

    page = text(committee.get(f"/plans/{plan_id}/versions"))
    assert "Version 1" in page and "Version 2" not in page
    for path in ("versions/1/diff/2", "versions/2/diff/1"):
        response = committee.get(f"/plans/{plan_id}/{path}")
        assert response.status_code == 404
        assert "Page not found" in text(response)
    assert committee.get(f"/plans/{plan_id}/versions/1/diff/1").status_code == 200
