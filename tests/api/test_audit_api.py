"""The audit log over HTTP: a plan's history, its verification, and GET /audit with filters."""

import hashlib
import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from tests.api.api_support import assert_problem

EVENT_FIELDS = {"plan_id", "seq", "at", "actor", "action", "from_state", "to_state",
                "content_version", "comment", "data", "prev_hash", "hash"}
GENESIS = "0" * 64


def contract_hash(event: dict) -> str:
    """The contract's recipe, as an auditor would write it."""
    fields = {k: event[k] for k in EVENT_FIELDS - {"hash"}}
    text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def test_history_is_the_plans_events_oldest_first_in_an_unbroken_chain(api, make_plan):
    plan_id = make_plan("approved")
    events = api.history(plan_id, "auditor")
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert [e["action"] for e in events] == ["create", "assign_reviewer", "submit_for_review",
                                             "review", "endorse", "approve"]
    previous = GENESIS
    for event in events:
        assert set(event) == EVENT_FIELDS
        assert event["plan_id"] == plan_id
        assert event["at"].endswith("Z")
        assert datetime.fromisoformat(event["at"]).tzinfo is not None
        assert event["prev_hash"] == previous
        assert event["hash"] == contract_hash(event)
        previous = event["hash"]
    approve = events[-1]
    assert (approve["actor"], approve["from_state"], approve["to_state"],
            approve["content_version"]) == ("approver", "national_approval", "approved", 1)


def test_verify_reports_an_intact_chain_and_its_head(api, make_plan):
    plan_id = make_plan("submitted")
    events = api.history(plan_id)
    response = api.get(f"/plans/{plan_id}/history/verify", "viewer")
    assert response.status_code == 200
    assert response.get_json() == {"valid": True, "events": len(events),
                                   "head": events[-1]["hash"], "first_invalid_seq": None}


def test_the_audit_log_holds_one_event_per_change(api, make_plan):
    plan_id = make_plan("draft")
    api.patch(f"/plans/{plan_id}", "drafter", json={"title": "Renamed"},
              headers={"If-Match": api.etag(plan_id)})
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    api.delete(f"/plans/{plan_id}/reviewers/reviewer", "drafter")
    api.fire(plan_id, "withdraw", "approver", comment="superseded")
    events = api.get(f"/audit?plan={plan_id}", "auditor").get_json()["items"]
    assert [(e["actor"], e["action"]) for e in events] == [
        ("drafter", "create"), ("drafter", "edit"), ("drafter", "assign_reviewer"),
        ("drafter", "remove_reviewer"), ("approver", "withdraw")]
    assert events[1]["data"] == {"title": "Renamed"}
    assert events[-1]["comment"] == "superseded"


@pytest.fixture
def two_countries(api, make_plan):
    """Two Thai plans (one in review) and a Vietnamese one (reviewed by vnm-reviewer)."""
    tha = make_plan("stakeholder_review"), make_plan("draft")
    vnm = make_plan("national_approval", country="VNM")
    return {"tha": tha, "vnm": vnm}


FILTERS = [  # (query, which events it selects)
    ("country=THA", lambda e, p: e["plan_id"] in p["tha"]),
    ("country=VNM", lambda e, p: e["plan_id"] == p["vnm"]),
    ("plan={vnm}", lambda e, p: e["plan_id"] == p["vnm"]),
    ("actor=vnm-reviewer", lambda e, p: e["actor"] == "vnm-reviewer"),
    ("action=review", lambda e, p: e["action"] == "review"),
    ("action=review&country=VNM", lambda e, p: e["action"] == "review"
     and e["plan_id"] == p["vnm"]),
]


def test_audit_filters(api, two_countries):
    everything = api.get("/audit?limit=500", "global_auditor").get_json()["items"]
    for query, expect in FILTERS:
        response = api.get("/audit?limit=500&" + query.format(**two_countries), "global_auditor")
        assert response.status_code == 200
        found = response.get_json()["items"]
        assert found, query
        assert found == [e for e in everything if expect(e, two_countries)], query


def test_audit_since_and_until_bound_the_events_by_time(api, two_countries):
    events = api.get("/audit?limit=500", "global_auditor").get_json()["items"]
    plan_events = [e for e in events if e["plan_id"]]
    middle = plan_events[len(plan_events) // 2]["at"]
    since = api.get(f"/audit?limit=500&since={middle}", "global_auditor").get_json()["items"]
    until = api.get(f"/audit?limit=500&until={middle}", "global_auditor").get_json()["items"]
    assert since and until
    assert all(e["at"] >= middle for e in since)
    assert all(e["at"] < middle for e in until)
    assert len(since) + len(until) == len(events)
    future = (datetime.now(UTC) + timedelta(days=1)).isoformat().replace("+00:00", "Z")
    assert api.get(f"/audit?since={future}", "global_auditor").get_json()["items"] == []
    # The same moment in another offset selects the same events.
    moment = datetime.fromisoformat(middle).astimezone(timezone(timedelta(hours=7))).isoformat()
    shifted = api.get("/audit", "global_auditor",
                      query_string={"since": moment, "limit": 500}).get_json()["items"]
    assert shifted == since


def test_the_audit_log_shows_each_caller_only_what_it_may_see(api, two_countries):
    def plans_in(who):
        return {e["plan_id"] for e in api.get("/audit?limit=500", who).get_json()["items"]}
    assert plans_in("auditor") == set(two_countries["tha"])
    assert plans_in("vnm_viewer") == {two_countries["vnm"]}
    assert plans_in("committee") == set()
    assert None in plans_in("global_auditor")  # users, grants and tokens
    assert None not in plans_in("auditor")
    assert plans_in("admin") == {None}


BAD_FILTERS = ["country=tha", "country=XXX", "plan=0", "plan=x", "since=yesterday",
               "until=2026-01-01T00:00:00", "actor=", "from_state=", "to_state=" + "x" * 65,
               "colour=red"]
# The export streams, so it refuses before the first byte; it has a format and no pages.
BAD_EXPORTS = [*BAD_FILTERS, "format=xml", "limit=5", "cursor=1"]


def test_malformed_audit_filters_are_422(api):
    for path, queries in (("/audit", BAD_FILTERS), ("/audit/export", BAD_EXPORTS)):
        for query in queries:
            problem = assert_problem(api.get(f"{path}?{query}", "global_auditor"), 422,
                                     "validation_error")
            assert query.split("=")[0] in problem["errors"], (path, query)
