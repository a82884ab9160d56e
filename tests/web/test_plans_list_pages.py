"""The plans list with its filters, and creating a plan from the page."""

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Plan
from tests.web.reading import read
from web import plans_list


def plan_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(Plan))


def test_the_drafter_sees_the_plans_of_their_country_with_their_state(signed_in, make_plan):
    draft = make_plan("draft", title="Border controls")
    review = make_plan("stakeholder_review", title="Export controls")
    make_plan("draft", country="VNM", title="Not for Thailand")
    response = signed_in("drafter").get("/plans")
    page = read(response)
    assert page.link("Border controls") == f"/plans/{draft}"
    assert page.link("Export controls") == f"/plans/{review}"
    assert "Not for Thailand" not in page.text
    assert '<strong class="govuk-tag govuk-tag--light-blue">Stakeholder review</strong>' \
        in response.text
    assert "Create a plan" in page.text


def test_the_committee_sees_only_what_was_submitted_to_it(signed_in, make_plan):
    make_plan("approved", title="Still national")
    make_plan("submitted", country="VNM", title="Sent to the Committee")
    page = read(signed_in("committee").get("/plans"))
    assert "Sent to the Committee" in page.text and "Still national" not in page.text
    assert "Create a plan" not in page.text


@pytest.mark.parametrize("query, shown", [
    ("state=national_approval", {"Approval"}),
    ("country=vnm", {"Viet Nam draft"}),                   # typed in lower case
    ("country=+THA+&state=draft", {"Draft"}),
    ("waiting_on=approver", {"Approval"}),
    ("waiting_on=drafter", {"Draft", "Review", "Viet Nam draft"}),  # endorse, in review
    ("workflow=nap-1540&country=&state=", {"Draft", "Review", "Approval", "Viet Nam draft"}),
])
def test_filters_narrow_the_list(signed_in, make_plan, query, shown):
    for state, title, country in (("draft", "Draft", "THA"), ("stakeholder_review", "Review",
                                  "THA"), ("national_approval", "Approval", "THA"),
                                  ("draft", "Viet Nam draft", "VNM")):
        make_plan(state, country=country, title=title)
    page = read(signed_in("global_auditor").get(f"/plans?{query}"))
    titles = {"Draft", "Review", "Approval", "Viet Nam draft"}
    assert {link.text for link in page.links if link.text in titles} == shown


def test_no_match_says_so(signed_in, make_plan):
    make_plan("draft")
    page = read(signed_in("drafter").get("/plans?state=acknowledged"))
    assert "No plan you can see matches these filters." in page.text


@pytest.mark.parametrize("query, field, message", [
    ("country=XYZ", "country", "Enter a country as its 3-letter ISO code, like THA"),
    ("country=TH%00", "country", "Enter a country as its 3-letter ISO code, like THA"),
    ("country=" + "A" * 5000, "country", "Enter a country as its 3-letter ISO code, like THA"),
    ("state=limbo", "state", "Choose a state from the list"),
    ("workflow=nap-9", "workflow", "Choose a workflow from the list"),
    ("waiting_on=king", "waiting_on", "Choose a role from the list"),
])
def test_a_bad_filter_answers_the_form_with_its_error(signed_in, make_plan, query, field,
                                                      message):
    make_plan("draft", title="Hidden while the form is wrong")
    response = signed_in("drafter").get(f"/plans?{query}")
    assert response.status_code == 400
    page = read(response)
    assert page.problems == [message]
    assert page.link(message) == f"#{field}"
    assert f'id="{field}"' in response.text
    assert "<title>Error: Plans" in response.text
    assert "Hidden while the form is wrong" not in page.text


@pytest.mark.parametrize("cursor", ["x", "1.5", "", "%00"])
def test_a_bad_page_link_answers_with_a_way_back_to_the_first_page(signed_in, cursor):
    response = signed_in("drafter").get(f"/plans?state=draft&cursor={cursor}")
    assert response.status_code == 400
    page = read(response)
    assert page.problems[0].startswith("This page link is not right")
    assert page.rel("first") == "/plans?state=draft"


def test_the_list_is_paged_with_the_filters_kept(monkeypatch, signed_in, make_plan):
    monkeypatch.setattr(plans_list, "PAGE", 2)
    made = [make_plan("draft", title=f"Plan {n}") for n in range(5)]
    make_plan("stakeholder_review", title="Not a draft")
    drafter, href, seen = signed_in("drafter"), "/plans?state=draft&country=", []
    while href:
        page = read(drafter.get(href))
        seen += [link.href for link in page.links if link.text.startswith("Plan ")]
        href = page.rel("next")
        if href:
            assert "state=draft" in href and "country=" not in href  # empty filter dropped
    assert seen == [f"/plans/{n}" for n in made]


def test_the_drafter_creates_a_plan_and_lands_on_it(signed_in, db):
    drafter = signed_in("drafter")
    form = read(drafter.get("/plans/new"))
    assert "Create a plan" in form.text
    response = drafter.post("/plans/new", {"country": "THA", "title": "  A new plan  "})
    assert response.status_code == 302
    db.rollback()
    plan = db.scalars(select(Plan)).one()
    assert response.headers["Location"] == f"/plans/{plan.id}"
    assert (plan.country, plan.title, plan.state) == ("THA", "A new plan", "draft")
    [event] = db.scalars(select(AuditEvent).where(AuditEvent.plan_id == plan.id))
    assert (event.action, event.actor) == ("create", "drafter")
    assert "Plan created" in drafter.get("/plans").text  # the flashed message, once


@pytest.mark.parametrize("form, field, message", [
    ({"country": "THA", "title": "   "}, "title", "Enter a title for the plan"),
    ({"country": "THA"}, "title", "Enter a title for the plan"),
    ({"country": "THA", "title": "x" * 301}, "title", "Enter a title of 300 characters or fewer"),
    ({"country": "THA", "title": "a\x00b"}, "title",
     "Remove the invisible control character (NUL) from Title"),
    ({"country": "VNM", "title": "Not my country"}, "country",
     "Choose the country the plan is for"),
    ({"country": "", "title": "No country"}, "country", "Choose the country the plan is for"),
])
def test_a_refused_plan_shows_the_form_again_and_creates_nothing(signed_in, db, form, field,
                                                                 message):
    response = signed_in("drafter").post("/plans/new", form)
    assert response.status_code == 422
    page = read(response)
    assert page.problems == [message] and page.link(message) == f"#{field}"
    assert plan_count(db) == 0


def test_only_drafters_may_open_the_form(signed_in, db):
    for who in ("viewer", "committee", "global_auditor", "admin"):
        pages = signed_in(who)
        assert pages.get("/plans/new").status_code == 403
        assert pages.post("/plans/new", {"country": "THA", "title": "x"}).status_code == 403
    assert plan_count(db) == 0


def test_a_forged_form_without_the_csrf_token_creates_nothing(signed_in, db):
    response = signed_in("drafter").post("/plans/new", {"country": "THA", "title": "Forged"},
                                         csrf=False)
    assert response.status_code == 400
    assert plan_count(db) == 0


def test_a_signed_out_visitor_is_sent_to_sign_in_and_creates_nothing(browser, db):
    pages = browser()
    assert pages.get("/plans").headers["Location"] == "/sign-in?next=/plans"
    assert pages.post("/plans/new", {"country": "THA", "title": "x"}).status_code == 302
    assert plan_count(db) == 0
