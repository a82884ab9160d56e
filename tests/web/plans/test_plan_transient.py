"""A page action PostgreSQL abandons (deadlock, serialization failure, lock timeout) is run
again: the user sees the normal answer, and the work is done exactly once.

The error is injected into the real database conversation, on the audit event's INSERT (the
fixtures of tests/crash/test_transient_errors.py), so the lost attempt had already changed
the plan row in its transaction.
"""

import psycopg.errors
import pytest

from tests.crash import test_transient_errors as crash
from tests.web.plans.conftest import actions_of, text, unchanged
from tests.web.plans.test_plan_actions import press
from tests.web.plans.test_plan_edit import content_of, form_of
from workflow.audit import verify_chain

# PostgreSQL only, with a way to make its next audit INSERTs fail.
database_url = crash.database_url
inject = crash.inject


@pytest.mark.parametrize("error", crash.TRANSIENT, ids=lambda e: e.sqlstate)
def test_pressing_approve_is_run_again_and_approves_once(make_plan, signed_in, inject, db,
                                                         error):
    plan_id = make_plan("national_approval")
    approver = signed_in("approver")
    raised = inject(error)

    response = press(approver, plan_id, "approve")

    assert response.status_code == 302
    assert raised == [error.sqlstate]
    assert [a for _, a in actions_of(db, plan_id)].count("approve") == 1
    assert verify_chain(db, plan_id).valid


def test_saving_a_draft_is_run_again_and_makes_one_version(make_plan, signed_in, inject, db):
    plan_id = make_plan("draft")
    drafter = signed_in("drafter")
    form = form_of(drafter.get(f"/plans/{plan_id}/edit"))
    raised = inject(psycopg.errors.DeadlockDetected, times=2)

    response = drafter.post(f"/plans/{plan_id}/edit", {**form, "summary": "Second", "save": "y"})

    assert response.status_code == 302
    assert len(raised) == 2
    assert content_of(db, plan_id)["summary"] == "Second"
    assert "Your changes are saved as version 2." in text(drafter.get(f"/plans/{plan_id}"))
    assert [a for _, a in actions_of(db, plan_id)] == ["create", "edit"]


def test_when_every_attempt_is_abandoned_the_page_says_busy_and_nothing_is_saved(
        app, make_plan, signed_in, inject, engine):
    plan_id = make_plan("stakeholder_review")
    reviewer = signed_in("reviewer")
    reviewer.get(f"/plans/{plan_id}")
    inject(psycopg.errors.SerializationFailure, times=app.config["TRANSACTION_ATTEMPTS"])

    with unchanged(engine):
        response = reviewer.post(f"/plans/{plan_id}/reviews", {"decision": "approve"})

    assert response.status_code == 503
    assert "Sorry, the service is busy" in text(response)
