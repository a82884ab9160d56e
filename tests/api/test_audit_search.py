"""Audit search over HTTP: every filter, pages past the first, and the export that equals them.

GET /audit pages and GET /audit/export streams the same search (workflow/audit_search.py):
for every filter and every caller, the pages put end to end are the export, JSON Lines and CSV
alike, and `napflow audit export` is what the global auditor exports.
"""

import csv
import io
import json
from itertools import count, product

import pytest
from sqlalchemy import event

from api.schemas import encode_cursor
from models import event_hash
from tests.api.api_support import assert_problem
from workflow import audit_search
from workflow.audit_search import EVENT_FIELDS, NATIONAL_ACTIONS

THA = ("drafter", "reviewer", "approver", "submitter", "viewer", "auditor")
VNM = tuple(f"vnm_{role}" for role in THA)


@pytest.fixture
def log(api, make_plan):
    """Thai plans acknowledged (then revised), in review and withdrawn, a Vietnamese one
    approved and one submitted, after the cast's own events (users and grants, no plan)."""
    plans = {"tha_ack": make_plan("acknowledged"), "tha_review": make_plan("stakeholder_review"),
             "tha_gone": make_plan("withdrawn"), "vnm_approved": make_plan("approved", "VNM"),
             "vnm_sub": make_plan("submitted", "VNM")}
    api.fire(plans["tha_ack"], "revise", "drafter")  # a chain that goes on after others
    everything = read_pages(api, "global_auditor", {}, limit=500)
    country = {plan_id: name[:3].upper() for name, plan_id in plans.items()}
    about_plans = [e for e in everything if e["plan_id"] is not None]
    submitted = {e["plan_id"]: e["seq"] for e in reversed(everything)
                 if e["action"] == "submit_to_committee"}
    return {"plans": plans, "events": everything, "country": country, "submitted": submitted,
            "middle": about_plans[len(about_plans) // 2]["at"]}


def read_pages(api, who, query: dict, limit: int = 2) -> list[dict]:
    """Every page of GET /audit for this search, end to end, each page checked on the way."""
    found, cursor = [], None
    for _ in count():
        response = api.get("/audit", who, query_string={
            **query, "limit": limit, **({"cursor": cursor} if cursor else {})})
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        assert len(body["items"]) <= limit
        found += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return found
        assert len(body["items"]) == limit  # only a full page has a next one


def export(api, who, query: dict, fmt: str = "jsonl") -> list[dict]:
    response = api.get("/audit/export", who, query_string={**query, "format": fmt})
    assert response.status_code == 200, response.get_data(True)
    text = response.get_data(as_text=True)
    return parse_jsonl(text) if fmt == "jsonl" else parse_csv(text)


def parse_jsonl(text: str) -> list[dict]:
    assert text == "" or text.endswith("\n")
    return [json.loads(line) for line in text.splitlines()]


def parse_csv(text: str) -> list[dict]:
    """Back from CSV to events as the API shows them: numbers, JSON `data`, null for empty."""
    rows = list(csv.reader(io.StringIO(text, newline="")))
    assert tuple(rows[0]) == EVENT_FIELDS
    numbers = ("plan_id", "seq", "content_version")
    events = []
    for row in rows[1:]:
        cells = dict(zip(EVENT_FIELDS, row, strict=True))
        events.append({name: None if cell == "" else int(cell) if name in numbers
                       else json.loads(cell) if name == "data" else cell
                       for name, cell in cells.items()})
    return events


# (search, which events it selects); {plan} names are log["plans"], {middle} a time mid-log.
FILTERS = [
    ({}, lambda e, log: True),
    ({"country": "THA"}, lambda e, log: log["country"].get(e["plan_id"]) == "THA"),
    ({"country": "VNM"}, lambda e, log: log["country"].get(e["plan_id"]) == "VNM"),
    ({"plan": "{tha_ack}"}, lambda e, log: e["plan_id"] == log["plans"]["tha_ack"]),
    ({"actor": "vnm-drafter"}, lambda e, log: e["actor"] == "vnm-drafter"),
    ({"action": "approve"}, lambda e, log: e["action"] == "approve"),
    ({"action": "user_add"}, lambda e, log: e["action"] == "user_add"),
    ({"from_state": "approved"}, lambda e, log: e["from_state"] == "approved"),
    ({"to_state": "draft"}, lambda e, log: e["to_state"] == "draft"),
    ({"since": "{middle}"}, lambda e, log: e["at"] >= log["middle"]),
    ({"until": "{middle}"}, lambda e, log: e["at"] < log["middle"]),
    ({"country": "VNM", "action": "review"},
     lambda e, log: log["country"].get(e["plan_id"]) == "VNM" and e["action"] == "review"),
    ({"plan": "{tha_ack}", "since": "{middle}"},
     lambda e, log: e["plan_id"] == log["plans"]["tha_ack"] and e["at"] >= log["middle"]),
    ({"actor": "drafter", "to_state": "stakeholder_review"},
     lambda e, log: e["actor"] == "drafter" and e["to_state"] == "stakeholder_review"),
    ({"from_state": "national_approval", "until": "{middle}"},
     lambda e, log: e["from_state"] == "national_approval" and e["at"] < log["middle"]),
    ({"country": "THA", "to_state": "draft", "since": "{middle}"},
     lambda e, log: log["country"].get(e["plan_id"]) == "THA"
     and e["to_state"] == "draft" and e["at"] >= log["middle"]),
]


def resolve(search: dict, log) -> dict:
    return {name: value.format(middle=log["middle"], **log["plans"])
            for name, value in search.items()}


def test_each_filter_pages_and_exports_exactly_its_events(api, log):
    for search, selects in FILTERS:
        expected = [e for e in log["events"] if selects(e, log)]
        assert expected, search
        query = resolve(search, log)
        assert read_pages(api, "global_auditor", query) == expected, search
        assert export(api, "global_auditor", query) == expected, search
        assert export(api, "global_auditor", query, "csv") == expected, search


def test_filters_that_match_nothing_answer_an_empty_page_and_export(api, log):
    nothing = {"country": "VNM", "actor": "drafter"}  # Thailand's drafter
    assert read_pages(api, "global_auditor", nothing) == []
    assert export(api, "global_auditor", nothing) == []
    assert export(api, "global_auditor", nothing, "csv") == []


# (caller, the events it may see): today's visibility, as the contract states it.
SEES = [
    *((who, lambda e, log: log["country"].get(e["plan_id"]) == "THA") for who in THA),
    *((who, lambda e, log: log["country"].get(e["plan_id"]) == "VNM") for who in VNM),
    ("committee", lambda e, log: e["plan_id"] in log["submitted"]
     and e["seq"] >= log["submitted"][e["plan_id"]] and e["action"] not in NATIONAL_ACTIONS),
    ("global_auditor", lambda e, log: True),
    ("admin", lambda e, log: e["plan_id"] is None),
]


def test_each_caller_pages_and_exports_only_what_it_may_see(api, log):
    for who, sees in SEES:
        expected = [e for e in log["events"] if sees(e, log)]
        assert expected, who
        assert read_pages(api, who, {}, limit=3) == expected, who
        assert export(api, who, {}) == expected, who
        # A filter narrows what the caller sees; it never widens it.
        assert read_pages(api, who, {"country": "VNM"}) == [
            e for e in expected if log["country"].get(e["plan_id"]) == "VNM"], who


def test_pages_hold_their_place_while_the_log_grows(api, log):
    first = api.get("/audit?limit=4", "auditor").get_json()
    api.fire(log["plans"]["tha_review"], "request_changes", "drafter", comment="more detail")
    rest = read_pages(api, "auditor", {"cursor": first["next_cursor"]})
    seen = first["items"] + rest
    assert seen == read_pages(api, "auditor", {})
    assert seen[-1]["action"] == "request_changes"
    assert len({(e["plan_id"], e["seq"]) for e in seen}) == len(seen)
    assert [e["at"] for e in seen] == sorted(e["at"] for e in seen)


def test_a_cursor_that_names_no_event_ends_the_list(api):
    unknown = encode_cursor(999_999)  # well formed, but no event has that id
    assert api.get("/audit", "global_auditor", query_string={"cursor": unknown}
                   ).get_json() == {"items": [], "next_cursor": None}


def test_the_export_is_every_field_rehashable_and_quoted_safely_in_csv(api, make_plan):
    plan_id = make_plan("draft")
    awkward = 'Plan "B", phase 2\nsecond line, Š'
    api.patch(f"/plans/{plan_id}", "drafter", json={"title": awkward},
              headers={"If-Match": api.etag(plan_id)})
    api.fire(plan_id, "withdraw", "approver", comment='no longer needed, see "NV/2"\r\nend')
    lines = export(api, "auditor", {"plan": plan_id})
    assert [e["action"] for e in lines] == ["create", "edit", "withdraw"]
    assert lines == api.history(plan_id, "auditor")
    assert all(tuple(e) == EVENT_FIELDS and event_hash(e) == e["hash"] for e in lines)
    assert lines[1]["data"] == {"title": awkward}
    assert export(api, "auditor", {"plan": plan_id}, "csv") == lines


@pytest.mark.parametrize("fmt,media_type", [("jsonl", "application/x-ndjson"),
                                            ("csv", "text/csv")])
def test_the_export_is_streamed_with_its_media_type_and_a_file_name(api, fmt, media_type):
    response = api.get(f"/audit/export?format={fmt}", "auditor")
    assert response.status_code == 200
    assert response.mimetype == media_type
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="napflow-audit.{fmt}"')
    assert response.is_streamed


def test_the_export_reads_the_log_in_batches_as_the_client_reads(app, api, monkeypatch):
    """Rows come from the database one batch per statement, as the body is sent: never the
    whole log in memory (here batches of 3, so the cast's events are many batches)."""
    monkeypatch.setattr(audit_search, "EXPORT_BATCH", 3)
    statements = []
    engine = app.extensions["napflow.db"].engine

    def seen(conn, cursor, statement, parameters, context, executemany):
        if "FROM audit_events" in statement and "LIMIT" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        response = api.get("/audit/export", "global_auditor", buffered=False)
        before_the_body = len(statements)
        body = response.get_data(as_text=True)
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    events = parse_jsonl(body)
    assert len(events) > 10
    assert events == read_pages(api, "global_auditor", {}, limit=500)
    assert before_the_body == 1  # the first batch, read before the answer starts
    assert len(statements) == len(events) // 3 + 1


def test_the_export_needs_a_token(api):
    assert_problem(api.get("/audit/export"), 401, "unauthenticated")


def test_the_openapi_document_describes_the_export(client):
    operation = client.get("/openapi.json").get_json()["paths"]["/api/v1/audit/export"]["get"]
    assert operation["operationId"] == "export_audit_events"
    assert set(operation["responses"]["200"]["content"]) == {"application/x-ndjson",
                                                             "text/csv"}
    assert "Content-Disposition" in operation["responses"]["200"]["headers"]
    assert {"country", "plan", "actor", "action", "from_state", "to_state", "since", "until",
            "format"} == {p["name"] for p in operation["parameters"] if p["in"] == "query"}
    assert {"422", "401"} <= set(operation["responses"])


def test_the_command_line_exports_what_the_global_auditor_does(app, api, log):
    runner = app.test_cli_runner()
    for fmt, search in product(("jsonl", "csv"), (
            {}, {"country": "VNM", "action": "review"}, {"since": log["middle"]})):
        options = [f"--{name.replace('_', '-')}={value}" for name, value in search.items()]
        result = runner.invoke(args=["audit", "export", "--format", fmt, *options])
        assert result.exit_code == 0, result.output
        http = api.get("/audit/export", "global_auditor", query_string={**search, "format": fmt})
        assert result.stdout_bytes.decode() == http.get_data(as_text=True)


@pytest.mark.parametrize("option,message", [
    ("--country=tha", "--country: Not an upper-case ISO 3166-1 alpha-3 country code."),
    ("--plan=x", "--plan: Not a valid integer."),
    ("--since=yesterday", "--since: Not a valid datetime."),
])
def test_the_command_line_refuses_bad_filters_as_the_api_does(app, option, message):
    result = app.test_cli_runner().invoke(args=["audit", "export", option])
    assert result.exit_code == 2
    assert message in result.output
