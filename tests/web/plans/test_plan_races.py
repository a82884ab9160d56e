"""Races from the pages: browsers pressing at once, on one SQLite file or PostgreSQL.

Each browser is its own test client on the one app, signed in first; a barrier releases their
requests together, so they overlap inside the app and the database.
"""

import threading
from collections import Counter

from sqlalchemy import func, select

from models import ContentVersion
from tests.web.plans.conftest import actions_of
from tests.web.plans.test_plan_actions import etag_on
from tests.web.plans.test_plan_edit import MEASURE, content_of, form_of
from workflow.audit import verify_chain

BROWSERS = 6


def race(browsers, request):
    """Run `request(pages, i)` for each browser at once; return the responses in order."""
    barrier, responses, failures = threading.Barrier(len(browsers)), [None] * len(browsers), []

    def run(i):
        try:
            barrier.wait(timeout=30)
            responses[i] = request(browsers[i], i)
        except Exception as err:  # surfaced below: a thread must not fail silently
            failures.append(err)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(browsers))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)
    assert not failures, failures
    return responses


def test_drafters_saving_the_same_version_at_once_one_wins_the_others_see_a_conflict(
        make_plan, signed_in, db):
    plan_id = make_plan("draft", content={"measures": [MEASURE]})
    browsers = [signed_in("drafter" if i % 2 else "drafter2") for i in range(BROWSERS)]
    forms = [form_of(pages.get(f"/plans/{plan_id}/edit")) for pages in browsers]

    responses = race(browsers, lambda pages, i: pages.post(
        f"/plans/{plan_id}/edit", {**forms[i], "summary": f"Summary {i}", "save": "y"}))

    assert Counter(r.status_code for r in responses) == {302: 1, 409: BROWSERS - 1}
    winner = next(i for i, r in enumerate(responses) if r.status_code == 302)
    for response in responses:
        if response.status_code == 409:
            page = response.get_data(as_text=True)
            assert "Your changes were not saved" in page
            assert f'href="/plans/{plan_id}/versions/1/diff/2">See their change' in page
    assert content_of(db, plan_id)["summary"] == f"Summary {winner}"
    assert db.scalar(select(func.count()).select_from(ContentVersion)
                     .where(ContentVersion.plan_id == plan_id)) == 2
    assert verify_chain(db, plan_id).valid


def test_approvers_pressing_approve_at_once_approve_once(make_plan, signed_in, db):
    plan_id = make_plan("national_approval")
    browsers = [signed_in("approver") for _ in range(BROWSERS)]
    etags = [etag_on(pages.get(f"/plans/{plan_id}")) for pages in browsers]

    responses = race(browsers, lambda pages, i: pages.post(
        f"/plans/{plan_id}/actions/approve", {"etag": etags[i]}))

    # One approves; each other finds the plan approved already (409, the contract's order of
    # refusals puts the state before the ETag) and is told so on the plan page.
    assert Counter(r.status_code for r in responses) == {302: 1, 409: BROWSERS - 1}
    for response in responses:
        if response.status_code == 409:
            assert "cannot be done while the plan is in its current state" in \
                response.get_data(as_text=True)
    assert [a for _, a in actions_of(db, plan_id)].count("approve") == 1
    assert verify_chain(db, plan_id).valid
