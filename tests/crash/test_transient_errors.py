"""A transaction PostgreSQL abandons (deadlock, serialization failure, lock timeout) is run
again by the server: the client gets the normal answer, and the work is done exactly once.

The error is injected into the real database conversation, on the audit event's INSERT, so
the failed attempt had already changed the plan row (and written a content version) in the
transaction it lost; or on the plan's locking read, which the request pipeline makes before
the view runs (a lock wait PostgreSQL abandoned, as `lock_timeout` does).
"""

import re

import psycopg.errors
import pytest
from sqlalchemy import event, func, select

from models import AuditEvent, ContentVersion, Plan
from tests.conftest import SAMPLE_CONTENT, _empty_postgres
from workflow.audit import verify_chain

TRANSIENT = [psycopg.errors.DeadlockDetected, psycopg.errors.SerializationFailure,
             psycopg.errors.LockNotAvailable]


@pytest.fixture
def database_url(postgres_url):
    """PostgreSQL only: these are the errors its driver raises."""
    _empty_postgres(postgres_url)
    return postgres_url


AUDIT_INSERT = re.compile(r"^INSERT INTO audit_events")
PLAN_LOCK = re.compile(r"^SELECT .*\bFROM plans\b.*\bFOR UPDATE$", re.DOTALL)


@pytest.fixture
def inject(app):
    """inject(ErrorClass, times=n, on=pattern): the next n statements matching `pattern`
    (by default, those writing an audit event) fail so."""
    engine, raised, listeners = app.extensions["napflow.db"].engine, [], []

    def arm(error: type[psycopg.Error], times: int = 1,
            on: re.Pattern = AUDIT_INSERT) -> list[str]:
        def fail(_conn, _cursor, statement, _params, _context, _many):
            if on.search(statement) and len(raised) < times:
                raised.append(error.sqlstate)
                raise error(f"{error.__name__} injected by the test")
        event.listen(engine, "before_cursor_execute", fail)
        listeners.append(fail)
        return raised

    yield arm
    for listener in listeners:
        event.remove(engine, "before_cursor_execute", listener)


def events(session, plan_id, action):
    return session.scalar(select(func.count()).select_from(AuditEvent).where(
        AuditEvent.plan_id == plan_id, AuditEvent.action == action))


# (error, the statement it is injected on): the audit INSERT, in the view; the plan's
# locking read, in the request pipeline, abandoned as a lock wait is (lock_timeout, deadlock).
FAILURES = [*(pytest.param(error, AUDIT_INSERT, id=f"{error.sqlstate}-on-audit-insert")
              for error in TRANSIENT),
            *(pytest.param(error, PLAN_LOCK, id=f"{error.sqlstate}-on-plan-lock")
              for error in (psycopg.errors.LockNotAvailable, psycopg.errors.DeadlockDetected))]


@pytest.mark.parametrize(("error", "on"), FAILURES)
def test_a_transition_is_run_again_and_done_once(client, people, make_plan, inject,
                                                 session_factory, error, on):
    plan_id = make_plan("national_approval")
    raised = inject(error, on=on)

    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           headers=people["approver"].headers, json={"trigger": "approve"})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "approved"
    assert raised == [error.sqlstate]
    with session_factory() as session:
        assert session.get(Plan, plan_id).state == "approved"
        assert events(session, plan_id, "approve") == 1
        assert verify_chain(session, plan_id).valid


def test_an_edit_is_run_again_and_makes_one_version(client, people, make_plan, inject,
                                                    session_factory):
    plan_id = make_plan("draft")
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers).headers["ETag"]
    raised = inject(psycopg.errors.DeadlockDetected)

    response = client.patch(f"/api/v1/plans/{plan_id}", headers={
        **people["drafter"].headers, "If-Match": etag},
        json={"content": dict(SAMPLE_CONTENT, summary="Second version")})

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["content_version"] == 2 and raised == ["40P01"]
    with session_factory() as session:
        numbers = session.scalars(select(ContentVersion.number).where(
            ContentVersion.plan_id == plan_id)).all()
        assert sorted(numbers) == [1, 2]
        assert events(session, plan_id, "edit") == 1
        assert verify_chain(session, plan_id).valid


def test_an_idempotent_create_run_again_is_still_replayed_once(client, people, inject,
                                                               session_factory):
    raised = inject(psycopg.errors.SerializationFailure)
    headers = {**people["drafter"].headers, "Idempotency-Key": "create-once"}
    body = {"country": "THA", "title": "Retried", "content": SAMPLE_CONTENT}

    first = client.post("/api/v1/plans", headers=headers, json=body)
    again = client.post("/api/v1/plans", headers=headers, json=body)

    assert first.status_code == again.status_code == 201, first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() and raised == ["40001"]
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(Plan)) == 1


def test_attempts_are_bounded_then_503_and_nothing_changed(app, client, people, make_plan,
                                                           inject, session_factory):
    plan_id = make_plan("national_approval")
    raised = inject(psycopg.errors.DeadlockDetected, times=1000)

    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           headers=people["approver"].headers, json={"trigger": "approve"})

    assert response.status_code == 503
    assert response.get_json()["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"
    assert len(raised) == app.config["TRANSACTION_ATTEMPTS"]
    with session_factory() as session:
        assert session.get(Plan, plan_id).state == "national_approval"
        assert events(session, plan_id, "approve") == 0


def test_other_database_errors_are_not_run_again(client, people, make_plan, inject,
                                                 session_factory):
    plan_id = make_plan("national_approval")
    raised = inject(psycopg.errors.QueryCanceled)  # statement_timeout: not the database's ask

    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           headers=people["approver"].headers, json={"trigger": "approve"})

    assert response.status_code == 503 and raised == ["57014"]
    with session_factory() as session:
        assert session.get(Plan, plan_id).state == "national_approval"



def test_lock_waits_abandoned_every_time_are_503_and_nothing_changed(app, client, people,
                                                                     make_plan, inject,
                                                                     session_factory):
    plan_id = make_plan("draft")
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers).headers["ETag"]
    raised = inject(psycopg.errors.LockNotAvailable, times=1000, on=PLAN_LOCK)

    response = client.patch(f"/api/v1/plans/{plan_id}", headers={
        **people["drafter"].headers, "If-Match": etag},
        json={"content": dict(SAMPLE_CONTENT, summary="Never written")})

    assert response.status_code == 503
    assert response.get_json()["code"] == "unavailable"
    assert len(raised) == app.config["TRANSACTION_ATTEMPTS"]
    with session_factory() as session:
        assert session.get(Plan, plan_id).content_version == 1
        assert events(session, plan_id, "edit") == 0

