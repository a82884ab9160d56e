"""A plan's history: the timeline of its events, whether its chain verifies, what each sees."""

import re

import pytest
from sqlalchemy import update

from models import AuditEvent
from models.db import write_session
from tests.conftest import SAMPLE_CONTENT
from tests.web.reading import read
from web import history
from workflow import service, users

# What the history says of each step from draft to acknowledged, in order.
WALK = ["Plan created", "Reviewer assigned", "Sent for review", "Review recorded",
        "Endorsed", "Approved", "Submitted to the Committee", "Receipt acknowledged"]


def titles(page) -> list[str]:
    """The events' headings, in the order the page shows them."""
    return [heading for heading in page.headings if heading in WALK]


def test_the_auditor_reads_every_step_oldest_first_and_the_chain_verifies(signed_in,
                                                                          make_plan):
    plan_id = make_plan("acknowledged", title="Export controls")
    response = signed_in("auditor").get(f"/plans/{plan_id}/history")
    assert response.status_code == 200
    page = read(response)
    assert titles(page) == WALK
    assert '<strong class="govuk-tag govuk-tag--green">Chain verified</strong>' in response.text
    assert "Each of its 8 events is linked to the one before" in page.text
    assert "By drafter, " in page.text and "By committee, " in page.text
    assert "From state Draft To state Stakeholder review" in page.text  # in words
    assert "Reference NV/2026/17" in page.text  # the submission's data
    assert f'<a href="/plans/{plan_id}" class="govuk-back-link">Back to the plan</a>' \
        in response.text


def test_newest_first_turns_the_timeline_round(signed_in, make_plan):
    plan_id = make_plan("acknowledged")
    page = read(signed_in("drafter").get(f"/plans/{plan_id}/history?order=newest"))
    assert titles(page) == WALK[::-1]


@pytest.mark.parametrize("order", ["oldest", "newest"])
def test_the_history_is_paged_in_either_order(monkeypatch, signed_in, make_plan, order):
    monkeypatch.setattr(history, "PAGE", 3)
    plan_id = make_plan("acknowledged")
    viewer, seen, pages = signed_in("viewer"), [], 0
    href = f"/plans/{plan_id}/history?order={order}"
    while href:
        page = read(viewer.get(href))
        seen += titles(page)
        href, pages = page.rel("next"), pages + 1
        assert href is None or f"order={order}" in href
    assert seen == (WALK if order == "oldest" else WALK[::-1]) and pages == 3


def test_the_committee_sees_the_history_from_submission_on_only(signed_in, make_plan):
    plan_id = make_plan("acknowledged")
    page = read(signed_in("committee").get(f"/plans/{plan_id}/history"))
    assert titles(page) == ["Submitted to the Committee", "Receipt acknowledged"]
    # the chain is the plan's whole chain, verified as it is for everyone
    assert "Chain verified" in page.text


def test_the_committee_does_not_find_a_plan_not_yet_submitted(signed_in, make_plan):
    plan_id = make_plan("approved")
    response = signed_in("committee").get(f"/plans/{plan_id}/history")
    assert response.status_code == 404
    assert "Page not found" in response.text


@pytest.mark.parametrize("path", ["/plans/{vnm}/history", "/plans/999999/history",
                                  "/plans/99999999999999/history", "/plans/0/history"])
def test_another_countrys_plan_or_none_at_all_is_not_found(signed_in, make_plan, path):
    vnm = make_plan("draft", country="VNM")
    response = signed_in("drafter").get(path.format(vnm=vnm))
    assert response.status_code == 404
    assert "Page not found" in response.text


def test_a_tampered_event_breaks_the_chain_at_that_event(signed_in, make_plan, tamper):
    plan_id = make_plan("national_approval")
    tamper(update(AuditEvent).where(AuditEvent.plan_id == plan_id, AuditEvent.seq == 3)
           .values(comment="quietly changed"))
    response = signed_in("auditor").get(f"/plans/{plan_id}/history")
    assert response.status_code == 200
    assert '<strong class="govuk-tag govuk-tag--red">Chain broken at event 3</strong>' \
        in response.text
    assert "has been changed since it was written" in read(response).text


@pytest.mark.parametrize("query, message", [
    ("order=sideways", "Choose oldest or newest first"),
    ("cursor=3.4", "This page link is not right: it may have been cut short or changed. "
                   "Start again from the first page."),
])
def test_bad_options_are_answered_on_the_page(signed_in, make_plan, query, message):
    plan_id = make_plan("draft")
    response = signed_in("drafter").get(f"/plans/{plan_id}/history?{query}")
    assert response.status_code == 400
    assert read(response).problems == [message]


def test_the_export_links_download_this_plans_events(signed_in, make_plan):
    plan_id = make_plan("stakeholder_review")
    make_plan("stakeholder_review")  # another plan: not in this one's export
    drafter = signed_in("drafter")
    page = read(drafter.get(f"/plans/{plan_id}/history"))
    jsonl = drafter.get(page.link("JSON lines"))
    assert jsonl.status_code == 200 and jsonl.mimetype == "application/x-ndjson"
    assert [line.count(f'"plan_id":{plan_id},') for line in jsonl.text.splitlines()] == [1] * 3
    csv = drafter.get(page.link("CSV"))
    assert csv.mimetype == "text/csv" and len(csv.text.splitlines()) == 1 + 3
    assert csv.headers["Cache-Control"] == "no-store"
    # and a search of its events, with the audit search's filters
    assert page.link("Search this plan's events") == f"/audit?plan={plan_id}"


def details_by_event(response) -> list[tuple[str, list[str]]]:
    """Each event of the timeline as (its heading, the labels of its details in order)."""
    page = response.get_data(as_text=True)
    timeline = page[page.index('<ol class="govuk-list">'):]
    timeline = timeline[:timeline.index("</ol>")]
    return [(re.search(r"<h\d[^>]*>([^<]*)</h\d>", item).group(1),
             re.findall(r'<dt class="govuk-summary-list__key[^"]*">([^<]*)</dt>', item))
            for item in timeline.split("<li")[1:]]


def test_each_detail_of_an_event_is_shown_once(signed_in, make_plan, session_factory,
                                               people):
    """An edit's data names the content version it made, which is also the event's own
    content_version: the history said "Content version" twice for every content change."""
    plan_id = make_plan("draft")
    with write_session(session_factory) as session:
        drafter = users.get_user(session, people["drafter"].username)
        service.edit_plan(session, drafter, plan_id, title="Export controls, revised",
                          content={**SAMPLE_CONTENT, "summary": "Changed."})
    response = signed_in("auditor").get(f"/plans/{plan_id}/history")
    events = details_by_event(response)
    assert [title for title, _labels in events] == ["Plan created", "Content changed"]
    for title, labels in events:
        assert len(labels) == len(set(labels)), (title, labels)
    assert dict(events)["Content changed"] == ["Content version", "Title", "Event hash"]
    assert "Content version 2 Title Export controls, revised" in read(response).text
    # the creation's data, under translated labels rather than its keys made readable
    assert dict(events)["Plan created"] == [
        "To state", "Content version", "Country", "Title", "Workflow", "Event hash"]
