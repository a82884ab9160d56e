"""Audit search across plans, and its export: the API's filters, visibility and files."""

import csv
import io
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from models.db import write_session
from tests.web.reading import read
from web import audit
from workflow import audit_search, service, users


def events_shown(page) -> list[str]:
    """The events' places ("Plan 1, event 3"), in the order the page shows them."""
    return [link.text for link in page.links if ", event " in link.text]


@pytest.fixture
def two_countries(make_plan):
    """Plan 1 (THA) in national approval: 5 events; plan 2 (VNM) in review: 3 events."""
    return make_plan("national_approval"), make_plan("stakeholder_review", country="VNM")


def test_the_global_auditor_searches_the_whole_log_oldest_first(two_countries, signed_in):
    tha, vnm = two_countries
    page = read(signed_in("global_auditor").get("/audit"))
    shown = events_shown(page)
    assert shown[:5] == [f"Plan {tha}, event {n}" for n in range(1, 6)]
    assert shown[5:] == [f"Plan {vnm}, event {n}" for n in range(1, 4)]
    assert page.link(f"Plan {tha}, event 3") == f"/plans/{tha}/history"
    # the global auditor sees the users' chain too (the cast's user_add events)
    assert "User added" in page.headings


def test_a_country_auditor_sees_its_own_country_only(two_countries, signed_in):
    tha, _ = two_countries
    page = read(signed_in("auditor").get("/audit"))
    assert events_shown(page) == [f"Plan {tha}, event {n}" for n in range(1, 6)]
    assert "User added" not in page.headings


@pytest.mark.parametrize("query, expected", [
    ("country=vnm", [("VNM", n) for n in range(1, 4)]),
    ("plan={tha}&action=endorse", [("THA", 5)]),
    ("actor=vnm-reviewer", []),  # assigned, not yet reviewing
    ("actor=reviewer", [("THA", 4)]),
    ("from_state=draft&to_state=stakeholder_review", [("THA", 3), ("VNM", 3)]),
    ("since=2000-01-01&until=2999-12-31", [("THA", n) for n in range(1, 6)]
     + [("VNM", n) for n in range(1, 4)]),
    ("until=2000-01-01", []),
    ("since=2999-01-01T00:00Z", []),
    ("since=0001-01-01T00:00%2B01:00", [("THA", n) for n in range(1, 6)]
     + [("VNM", n) for n in range(1, 4)]),  # before UTC's first year: from the start
    ("until=9999-12-31", [("THA", n) for n in range(1, 6)] + [("VNM", n) for n in range(1, 4)]),
])
def test_filters_narrow_the_search(two_countries, signed_in, query, expected):
    tha, vnm = two_countries
    plans = {"THA": tha, "VNM": vnm}
    response = signed_in("global_auditor").get("/audit?" + query.format(tha=tha))
    assert response.status_code == 200
    assert [e for e in events_shown(read(response)) if e.startswith("Plan")] == \
        [f"Plan {plans[c]}, event {n}" for c, n in expected]


@pytest.mark.parametrize("query, field, message", [
    ("country=QQQ", "country", "Enter a country as its 3-letter ISO code, like THA"),
    ("plan=first", "plan", "Enter a plan number, like 12"),
    ("plan=0", "plan", "Enter a plan number, like 12"),
    ("plan=99999999999", "plan", "Enter a plan number, like 12"),
    ("plan=%C2%B2", "plan", "Enter a plan number, like 12"),  # a superscript two
    ("actor=" + "x" * 65, "actor", "Enter a username of 64 characters or fewer"),
    ("actor=a%00b", "actor", "Remove the invisible control character (NUL) from Who did it"),
    ("action=burn", "action", "Choose an action from the list"),
    ("from_state=x", "from_state", "Choose a state from the list"),
    ("since=yesterday", "since", "Enter a date like 2026-12-03, or a date and time like "
                                 "2026-12-03T14:30Z"),
    ("until=2026-02-30", "until", "Enter a date like 2026-12-03, or a date and time like "
                                  "2026-12-03T14:30Z"),
    ("since=2026-12-03T25:00", "since", "Enter a date like 2026-12-03, or a date and time "
                                        "like 2026-12-03T14:30Z"),
])
def test_a_bad_search_is_answered_in_the_form(two_countries, signed_in, query, field,
                                              message):
    response = signed_in("global_auditor").get(f"/audit?{query}")
    assert response.status_code == 400
    page = read(response)
    assert page.problems == [message] and page.link(message) == f"#{field}"
    assert events_shown(page) == [] and "Download these events" not in page.text


def test_the_search_is_paged_with_its_filters(monkeypatch, two_countries, signed_in):
    monkeypatch.setattr(audit, "PAGE", 2)
    tha, _ = two_countries
    auditor, href, shown = signed_in("global_auditor"), f"/audit?plan={tha}", []
    while href:
        page = read(auditor.get(href))
        shown += events_shown(page)
        href = page.rel("next")
        assert href is None or f"plan={tha}" in href
    assert shown == [f"Plan {tha}, event {n}" for n in range(1, 6)]


def test_a_bad_page_link_is_answered_in_the_form(signed_in):
    response = signed_in("auditor").get("/audit?cursor=1.2")
    assert response.status_code == 400
    assert read(response).problems[0].startswith("This page link is not right")


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_the_export_is_the_apis_export_for_the_same_person_and_filters(
        client, people, two_countries, signed_in, fmt):
    auditor = signed_in("auditor")
    page = read(auditor.get("/audit?from_state=draft"))
    href = page.link("JSON lines" if fmt == "jsonl" else "CSV")
    assert parse_qs(urlsplit(href).query) == {"from_state": ["draft"], "format": [fmt]}
    exported = auditor.get(href)
    assert exported.status_code == 200
    assert exported.headers["Content-Disposition"] == \
        f'attachment; filename="napflow-audit.{fmt}"'
    api = client.get(f"/api/v1/audit/export?from_state=draft&format={fmt}",
                     headers=people["auditor"].headers)
    assert exported.data == api.data and exported.mimetype == api.mimetype
    if fmt == "jsonl":
        rows = [json.loads(line) for line in exported.text.splitlines()]
    else:
        rows = list(csv.DictReader(io.StringIO(exported.text)))
    # every event the search found, not only its first page; and only those
    assert len(rows) == len(events_shown(page)) > 0
    assert {row["from_state"] for row in rows} == {"draft"}


def test_the_export_is_streamed_not_built_in_memory(two_countries, signed_in):
    response = signed_in("global_auditor").get("/audit/export?format=csv", buffered=False)
    assert response.is_streamed
    assert response.get_data(as_text=True).startswith("plan_id,seq,at,")


def test_the_committee_exports_only_what_it_may_see(make_plan, signed_in):
    plan_id = make_plan("acknowledged")
    lines = signed_in("committee").get("/audit/export").text.splitlines()
    assert [json.loads(line)["action"] for line in lines] == ["submit_to_committee",
                                                              "acknowledge"]
    assert all(json.loads(line)["plan_id"] == plan_id for line in lines)


def test_a_hand_made_export_link_with_a_bad_filter_is_answered_in_the_form(signed_in):
    response = signed_in("auditor").get("/audit/export?format=pdf&country=XX")
    assert response.status_code == 400
    assert set(read(response).problems) == {
        "Choose JSON lines or CSV", "Enter a country as its 3-letter ISO code, like THA"}


def test_the_export_is_one_snapshot_while_the_log_grows(monkeypatch, make_plan, signed_in,
                                                        session_factory):
    """A reviewer records a review while the auditor's download is half read: the download
    is the log as it was when it began, read in batches (of 3 here), none torn or doubled."""
    monkeypatch.setattr(audit_search, "EXPORT_BATCH", 3)
    plan_id = make_plan("stakeholder_review")  # 3 events: one batch, then a seek past it
    auditor = signed_in("auditor")
    whole = auditor.get(f"/audit/export?plan={plan_id}").data
    response = auditor.get(f"/audit/export?plan={plan_id}", buffered=False)
    body = iter(response.response)
    started = next(body)  # the first batch was read before the answer began
    with write_session(session_factory) as session:
        service.record_review(session, users.get_user(session, "reviewer"), plan_id,
                              decision="approve")
    assert started + b"".join(body) == whole
    response.close()
    assert len(auditor.get(f"/audit/export?plan={plan_id}").data.splitlines()) == 4
