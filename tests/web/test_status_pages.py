"""Status: where the plans stand for a State, for the Committee and for a global auditor."""

from datetime import timedelta

import pytest

from models import utcnow
from tests.web.reading import read
from web import status


@pytest.fixture
def world(make_plan):
    """Thailand: two plans in national approval, one in review; Viet Nam: one submitted."""
    make_plan("national_approval")
    make_plan("national_approval")
    make_plan("stakeholder_review")
    make_plan("submitted", country="VNM")


def test_a_state_sees_its_plans_by_state_and_whom_they_wait_for(world, signed_in):
    response = signed_in("viewer").get("/status")
    page = read(response)
    assert "You can see 3 plans." in page.text
    # the chart: each bar's number as text beside its label
    assert "Stakeholder review: 1" in page.text and "National approval: 2" in page.text
    assert 'width="100.0%"' in response.text and 'width="50.0%"' in response.text
    # the table, by country and state
    assert "THA Stakeholder review 1" in page.text and "THA National approval 2" in page.text
    assert "2 plans wait for national approval in THA" in page.text
    assert "1 plan waits for its drafters in THA" in page.text  # to endorse it
    assert "VNM" not in page.text


def test_the_committee_sees_only_what_was_submitted_and_no_reviews(world, signed_in):
    page = read(signed_in("committee").get("/status"))
    assert "You can see 1 plan." in page.text
    assert "VNM Submitted 1" in page.text and "THA" not in page.text
    assert "1 plan from VNM waits for the Committee to acknowledge it" in page.text
    assert "Overdue reviews" not in page.text


def test_a_global_auditor_sees_every_country(world, signed_in):
    page = read(signed_in("global_auditor").get("/status"))
    assert "You can see 4 plans." in page.text
    assert "THA National approval 2" in page.text and "VNM Submitted 1" in page.text
    assert "No review is overdue." in page.text


def test_nothing_to_count_says_so(signed_in):
    page = read(signed_in("viewer").get("/status"))
    assert "There are no plans you can see yet." in page.text


def test_overdue_reviews_are_counted_by_country_and_listed(app, world, signed_in, make_plan):
    make_plan("stakeholder_review", country="VNM")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)  # past every due day
    auditor = signed_in("global_auditor")
    page = read(auditor.get("/status"))
    assert "THA 1 review overdue in THA" in page.text
    overdue = read(auditor.get(page.link("1 review overdue in VNM")))
    assert "Plan 5 VNM vnm-reviewer Required" in overdue.text
    assert "Plan 3" not in overdue.text  # Thailand's, filtered out
    everything = read(auditor.get(page.link("See every overdue review")))
    assert "Plan 3 THA reviewer Required" in everything.text and "Plan 5" in everything.text


def test_the_overdue_list_is_paged_most_overdue_first(app, monkeypatch, signed_in, make_plan):
    monkeypatch.setattr(status, "PAGE", 1)
    first, second = make_plan("stakeholder_review"), make_plan("stakeholder_review")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)
    viewer = signed_in("viewer")
    page = read(viewer.get("/reviews/overdue"))
    assert f"Plan {first}" in page.text and f"Plan {second}" not in page.text
    page = read(viewer.get(page.rel("next")))
    assert f"Plan {second}" in page.text and page.rel("next") is None
    assert page.rel("first") == "/reviews/overdue"


@pytest.mark.parametrize("query, message", [
    ("country=ZZZ", "Enter a country as its 3-letter ISO code, like THA"),
    ("cursor=1.2", "This page link is not right: it may have been cut short or changed. "
                   "Start again from the first page."),
    ("cursor=1.2.3%0A%0A", "This page link is not right: it may have been cut short or "
                           "changed. Start again from the first page."),
])
def test_bad_input_on_the_overdue_list_is_a_readable_page(signed_in, query, message):
    response = signed_in("viewer").get(f"/reviews/overdue?{query}")
    assert response.status_code == 400
    assert read(response).problems == [message]


def test_the_committee_has_no_overdue_reviews_to_see(app, world, signed_in):
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)
    page = read(signed_in("committee").get("/reviews/overdue"))
    assert "No review is overdue." in page.text
