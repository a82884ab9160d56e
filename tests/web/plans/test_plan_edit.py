"""Editing a draft in a form: measures added, changed and removed; errors linked; conflicts told."""

import html
import re

import pytest

from tests.web.plans.conftest import actions_of, text, unchanged
from workflow import service
from workflow.versions import current_content

MEASURE = {"obligation": "OP3d", "description": "Adopt a national control list",
           "lead_agency": "Ministry of Commerce", "domains": ["nuclear", "chemical"]}


def form_of(response) -> dict[str, str | list[str]]:
    """The edit form's fields as the browser would send them back unchanged."""
    page = response.get_data(as_text=True)
    form: dict[str, str | list[str]] = {}
    for tag in re.findall(r"<input[^>]*>", page):
        name, value = re.search(r'name="([^"]+)"', tag), re.search(r'value="([^"]*)"', tag)
        if not name or name.group(1) == "csrf_token" or 'type="submit"' in tag:
            continue
        if 'type="checkbox"' in tag:
            if " checked" in tag:
                form.setdefault(name.group(1), []).append(value.group(1))  # type: ignore[union-attr]
            continue
        form[name.group(1)] = html.unescape(value.group(1)) if value else ""
    for name, body in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>([^<]*)</textarea>', page):
        form[name] = html.unescape(body)
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page,
                                    re.S):
        chosen = re.search(r'<option value="([^"]*)" selected', options)
        form[name] = chosen.group(1) if chosen else ""
    return form


def content_of(db, plan_id: int) -> dict:
    db.rollback()
    return current_content(db, db.get(service.Plan, plan_id))


def test_the_drafter_changes_adds_and_removes_measures(make_plan, signed_in, db):
    plan_id = make_plan("draft", content={"measures": [MEASURE, {
        "obligation": "OP1", "description": "Old measure", "lead_agency": "Justice"}]})
    drafter = signed_in("drafter")
    form = form_of(drafter.get(f"/plans/{plan_id}/edit"))
    assert form["measures-0-description"] == "Adopt a national control list"
    assert form["measures-0-domains"] == ["nuclear", "chemical"]

    # "Add another measure" shows the form again with a blank row: nothing is saved yet.
    form.update({"title": "Export control plan 2026", "summary": "Control exports.",
                 "measures-0-description": "Adopt and publish a national control list",
                 "measures-0-status": "in_progress", "measures-1-remove": "y"})
    more = drafter.post(f"/plans/{plan_id}/edit", {**form, "add_measure": "y"})
    assert more.status_code == 200 and 'id="measures-2-description"' in more.get_data(
        as_text=True)
    assert actions_of(db, plan_id) == [("drafter", "create")]

    form = form_of(more)
    form.update({"measures-2-obligation": "OP3c", "measures-2-description": "Train officers",
                 "measures-2-lead_agency": "Customs", "measures-2-due": "2027-06-30",
                 "measures-2-assistance_needed": "y", "measures-1-remove": "y"})
    saved = drafter.post(f"/plans/{plan_id}/edit", {**form, "save": "y"})

    assert saved.status_code == 302 and saved.headers["Location"] == f"/plans/{plan_id}"
    assert "Your changes are saved as version 2." in text(drafter.get(f"/plans/{plan_id}"))
    assert content_of(db, plan_id) == {"summary": "Control exports.", "measures": [
        {**MEASURE, "description": "Adopt and publish a national control list",
         "status": "in_progress", "assistance_needed": False},
        {"obligation": "OP3c", "description": "Train officers", "lead_agency": "Customs",
         "due": "2027-06-30", "assistance_needed": True, "status": "planned"}]}
    assert db.get(service.Plan, plan_id).title == "Export control plan 2026"
    assert actions_of(db, plan_id) == [("drafter", "create"), ("drafter", "edit")]


@pytest.mark.parametrize(("change", "errors"), [
    ({"measures-0-description": "  "},
     [("measures-0-description", "Enter a description of the measure")]),
    ({"measures-0-obligation": "", "measures-0-lead_agency": ""},
     [("measures-0-obligation", "Choose the obligation this measure implements"),
      ("measures-0-lead_agency", "Enter the lead agency")]),
    ({"measures-0-due": "30/06/2027"}, [("measures-0-due", "Not a valid date.")]),
    ({"period_start": "2028-01-01", "period_end": "2026-01-01"},
     [("period_end", "End must not be before start.")]),
    ({"period_start": "2026-01-01"}, [("period_end", "Missing data for required field.")]),
    ({"title": ""}, [("title", "Enter a title")]),
    ({"measures-0-obligation": "OP9"}, [("measures-0-obligation", "Not a valid choice.")]),
])
def test_errors_are_linked_to_their_fields_and_nothing_is_saved(make_plan, signed_in, engine,
                                                                 change, errors):
    plan_id = make_plan("draft", content={"measures": [MEASURE]})
    drafter = signed_in("drafter")
    form = {**form_of(drafter.get(f"/plans/{plan_id}/edit")), **change, "save": "y"}

    with unchanged(engine):
        response = drafter.post(f"/plans/{plan_id}/edit", form)

    assert response.status_code == 422
    page = response.get_data(as_text=True)
    for field, message in errors:
        assert f'<li><a href="#{field}">{message}</a></li>' in page  # the error summary
        assert re.search(rf'id="{field}-error" class="govuk-error-message">.*?{re.escape(message)}',
                         page)
        assert f'id="{field}"' in page  # the link's target
    assert "<title>Error:" in page


def test_someone_else_saved_first_the_form_comes_back_with_a_link_to_their_change(
        make_plan, signed_in, engine, db):
    plan_id = make_plan("draft", content={"measures": [MEASURE]})
    mine, theirs = signed_in("drafter"), signed_in("drafter2")
    my_form = form_of(mine.get(f"/plans/{plan_id}/edit"))
    their_form = form_of(theirs.get(f"/plans/{plan_id}/edit"))
    theirs.post(f"/plans/{plan_id}/edit", {
        **their_form, "measures-0-description": "Adopt a list by decree", "save": "y"})

    with unchanged(engine):
        response = mine.post(f"/plans/{plan_id}/edit", {
            **my_form, "summary": "My summary", "save": "y"})

    assert response.status_code == 409
    page = text(response)
    assert "Your changes were not saved" in page
    assert "Someone else saved this plan after you opened it" in page
    assert f'href="/plans/{plan_id}/versions/2/diff/3"' not in response.get_data(as_text=True)
    assert f'href="/plans/{plan_id}/versions/1/diff/2">See their change' in \
        response.get_data(as_text=True)
    assert "My summary" in response.get_data(as_text=True)  # what I typed is still there

    # Saving again, knowing, replaces their version with mine.
    again = mine.post(f"/plans/{plan_id}/edit", {**form_of(response), "save": "y"})
    assert again.status_code == 302
    assert content_of(db, plan_id)["summary"] == "My summary"
    assert [a for _, a in actions_of(db, plan_id)] == ["create", "edit", "edit"]


@pytest.mark.parametrize(("etag", "from_version"), [
    ('"999.999"', "1"), ("", "1"), ("garbage", "x"), ('"1.1"', "99999999999999999999")])
def test_a_form_carrying_a_wrong_version_is_a_conflict_never_an_error_page(
        make_plan, signed_in, engine, etag, from_version):
    plan_id = make_plan("draft", content={"measures": [MEASURE]})
    drafter = signed_in("drafter")
    form = form_of(drafter.get(f"/plans/{plan_id}/edit"))
    form.update(etag=etag, from_version=from_version, save="y", summary="changed")

    with unchanged(engine):
        response = drafter.post(f"/plans/{plan_id}/edit", form)

    assert response.status_code in (409, 428)
    assert "Your changes were not saved" in text(response)


@pytest.mark.parametrize(("state", "who"), [("stakeholder_review", "drafter"),
                                            ("draft", "viewer"), ("draft", "reviewer")])
def test_only_a_drafter_edits_and_only_a_draft(make_plan, signed_in, engine, state, who):
    plan_id = make_plan(state)
    pages = signed_in(who)

    with unchanged(engine):
        opened = pages.get(f"/plans/{plan_id}/edit")
        sent = pages.post(f"/plans/{plan_id}/edit", {"title": "Mine now", "save": "y"})

    for response in (opened, sent):
        assert response.status_code == 302 and response.headers["Location"] == \
            f"/plans/{plan_id}"
    assert "can edit this plan, and only in draft" in text(pages.get(f"/plans/{plan_id}"))


def test_enter_in_a_field_saves_the_draft_not_adds_a_row(signed_in, make_plan):
    """HTML submits a form on Enter with its first submit button: that one must be Save."""
    plan = make_plan("draft")
    page = signed_in("drafter").get(f"/plans/{plan}/edit").get_data(as_text=True)
    form = page[page.index('<form method="post"'):]
    buttons = re.findall(r'<button[^>]*name="(\w+)"', form)
    assert buttons[:2] == ["save", "add_measure"]
