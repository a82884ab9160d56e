"""Races: many threads firing the same change at once, on one SQLite file or PostgreSQL.

Each thread has its own test client on the same WSGI app, so requests really overlap inside
the app and the database; a barrier releases them together.
"""

import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from models import AuditEvent, ContentVersion, Plan
from workflow.audit import verify_chain

THREADS = 12


def race(app, n, request):
    """Run `request(client, i)` in n threads released at once; return their responses."""
    barrier, responses, failures = threading.Barrier(n), [None] * n, []

    def run(i):
        try:
            client = app.test_client()
            barrier.wait(timeout=30)
            responses[i] = request(client, i)
        except Exception as err:  # surfaced below: a thread must not fail silently
            failures.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    return responses


def outcome(responses):
    return Counter((r.status_code, (r.get_json() or {}).get("code")) for r in responses)


@pytest.mark.parametrize("state, who, trigger, body, dest", [
    ("stakeholder_review", "drafter", "endorse", {}, "national_approval"),
    ("national_approval", "approver", "approve", {}, "approved"),
    ("approved", "submitter", "submit_to_committee",
     {"data": {"reference": "NV/1", "publication_consent": False}}, "submitted"),
    ("draft", "drafter", "withdraw", {"comment": "duplicate"}, "withdrawn"),
])
def test_identical_transitions_fire_once(app, make_plan, people, session_factory,
                                         state, who, trigger, body, dest):
    plan_id = make_plan(state)
    if trigger == "endorse":
        _approve_all(app, people, plan_id)

    responses = race(app, THREADS, lambda client, _i: client.post(
        f"/api/v1/plans/{plan_id}/transitions", headers=people[who].headers,
        json={"trigger": trigger, **body}))

    assert outcome(responses) == {(200, None): 1, (409, "invalid_transition"): THREADS - 1}
    with session_factory() as session:
        assert session.get(Plan, plan_id).state == dest
        fired = session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.plan_id == plan_id, AuditEvent.action == trigger))
        assert fired == 1
        assert verify_chain(session, plan_id).valid


def _approve_all(app, people, plan_id):
    response = app.test_client().post(f"/api/v1/plans/{plan_id}/reviews",
                                      headers=people["reviewer"].headers,
                                      json={"decision": "approve"})
    assert response.status_code == 201, response.get_json()


def test_concurrent_edits_with_one_etag_lose_no_update(app, make_plan, people,
                                                       session_factory):
    plan_id = make_plan("draft")
    client = app.test_client()
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers).headers["ETag"]

    def edit(c, i):
        return c.patch(f"/api/v1/plans/{plan_id}", headers={**people["drafter"].headers,
                                                             "If-Match": etag},
                       json={"title": f"Edited by writer {i}"})

    responses = race(app, THREADS, edit)

    assert outcome(responses) == {(200, None): 1, (412, "precondition_failed"): THREADS - 1}
    winner = next(r for r in responses if r.status_code == 200).get_json()
    with session_factory() as session:
        assert session.get(Plan, plan_id).title == winner["title"]
        assert verify_chain(session, plan_id).valid


def test_concurrent_work_on_different_plans_all_succeeds(app, make_plan, people,
                                                         session_factory):
    plan_ids = [make_plan("draft") for _ in range(THREADS)]
    content = {"measures": [{"obligation": "OP2", "description": "Criminalise financing",
                             "lead_agency": "Ministry of Justice"}]}

    def edit(c, i):
        return c.patch(f"/api/v1/plans/{plan_ids[i]}",
                       headers={**people["drafter"].headers, "If-Match": "*"},
                       json={"content": content})

    responses = race(app, THREADS, edit)

    assert outcome(responses) == {(200, None): THREADS}
    with session_factory() as session:
        versions = session.scalar(select(func.count()).select_from(ContentVersion).where(
            ContentVersion.plan_id.in_(plan_ids)))
        assert versions == 2 * THREADS
        assert all(verify_chain(session, pid).valid for pid in plan_ids)


def test_same_idempotency_key_at_once_does_the_work_once(app, make_plan, people,
                                                         session_factory):
    def create(c, _i):
        return c.post("/api/v1/plans", headers={**people["drafter"].headers,
                                                "Idempotency-Key": "create-once"},
                      json={"country": "THA", "title": "Raced plan"})

    responses = race(app, THREADS, create)

    counts = outcome(responses)
    created = [r for r in responses if r.status_code == 201]
    # The winner's response is replayed to those arriving after it; those arriving while it
    # still runs are told so. Never a second plan.
    assert counts[(409, "idempotency_key_in_use")] + len(created) == THREADS
    assert len({r.headers["Location"] for r in created}) == 1
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Plan).where(
            Plan.title == "Raced plan")) == 1
