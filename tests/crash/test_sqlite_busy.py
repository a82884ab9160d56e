"""SQLite held by another writer past the busy timeout: 503 with Retry-After, never a 500, and
nothing half done; once the lock is free the same request succeeds."""

import sqlite3

import pytest
from sqlalchemy import func, select

from app import create_app
from models import AuditEvent, Plan
from runtime import db as api_db


@pytest.fixture
def database_url(tmp_path):
    return f"sqlite:///{tmp_path}/napflow.db"


@pytest.fixture
def app(database_url, engine):
    app = create_app({"DATABASE_URL": database_url, "TESTING": True,
                      "SQLITE_BUSY_TIMEOUT": 0.2, "IDEMPOTENCY_STALE_SECONDS": 0})
    yield app
    app.extensions["napflow.db"].engine.dispose()


@pytest.fixture
def other_writer(database_url):
    """Another process's write transaction, as `sqlite3` would hold it: take() and release()."""
    conn = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)

    class Writer:
        def take(self):
            conn.execute("BEGIN IMMEDIATE")

        def release(self):
            if conn.in_transaction:
                conn.execute("ROLLBACK")

    writer = Writer()
    yield writer
    writer.release()
    conn.close()


def approve(client, people, plan_id, **headers):
    return client.post(f"/api/v1/plans/{plan_id}/transitions",
                       headers={**people["approver"].headers, **headers},
                       json={"trigger": "approve"})


def assert_untouched(session_factory, plan_id):
    with session_factory() as session:
        assert session.get(Plan, plan_id).state == "national_approval"
        assert session.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.plan_id == plan_id, AuditEvent.action == "approve")) == 0


def assert_busy(response):
    assert response.status_code == 503, response.get_json()
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["code"] == "unavailable"
    assert response.headers["Retry-After"] == "1"


def test_locked_database_is_503_with_retry_after(client, people, make_plan, other_writer,
                                                 session_factory):
    plan_id = make_plan("national_approval")
    other_writer.take()

    assert_busy(approve(client, people, plan_id))
    assert_busy(approve(client, people, plan_id, **{"Idempotency-Key": "k1"}))
    other_writer.release()

    assert_untouched(session_factory, plan_id)
    assert approve(client, people, plan_id, **{"Idempotency-Key": "k1"}).status_code == 200


def test_lock_taken_after_the_idempotency_claim_is_503_too(client, people, make_plan,
                                                           other_writer, session_factory,
                                                           monkeypatch):
    """The key was claimed, then the lock went to someone else: neither the work nor freeing
    the key can be written. Still a 503; the stale claim is taken over by the retry."""
    plan_id = make_plan("national_approval")
    begin_write = api_db.begin_write

    def lock_first():
        other_writer.take()
        return begin_write()

    monkeypatch.setattr(api_db, "begin_write", lock_first)
    assert_busy(approve(client, people, plan_id, **{"Idempotency-Key": "k2"}))
    other_writer.release()
    monkeypatch.setattr(api_db, "begin_write", begin_write)

    assert_untouched(session_factory, plan_id)
    assert approve(client, people, plan_id, **{"Idempotency-Key": "k2"}).status_code == 200


# The 401 a request without a bearer token has always had (the body, byte for byte in JSON).
UNAUTHENTICATED = {
    "type": "https://napflow.example/problems/unauthenticated", "status": 401,
    "title": "Authentication required", "code": "unauthenticated",
    "detail": "an 'Authorization: Bearer <token>' header is required",
}
NO_BEARER_TOKEN = [None, "", "Bearer ", "Basic ZHJhZnRlcjpzZWNyZXQ=", "Token abc"]
WRITES = [("POST", "/plans"), ("PATCH", "/plans/{id}"), ("POST", "/plans/{id}/transitions"),
          ("POST", "/plans/{id}/reviewers"), ("DELETE", "/plans/{id}/reviewers/reviewer"),
          ("POST", "/plans/{id}/reviews"), ("POST", "/plans/99999/transitions")]


@pytest.mark.parametrize("authorization", NO_BEARER_TOKEN)
def test_a_write_without_a_bearer_token_is_401_before_any_transaction(
        client, make_plan, other_writer, session_factory, authorization):
    """Another writer holds the lock: a request with no token never queues for it (it would
    wait out the busy timeout, then answer 503); its 401 is the one it always was, with or
    without an Idempotency-Key."""
    plan_id = make_plan("national_approval")
    other_writer.take()
    try:
        for method, path in WRITES:
            for key in ({}, {"Idempotency-Key": "anonymous"}):
                headers = {**key, **({} if authorization is None
                                     else {"Authorization": authorization})}
                response = client.open(f"/api/v1{path.format(id=plan_id)}", method=method,
                                       headers=headers, json={"trigger": "approve"})
                assert (response.status_code, response.mimetype) == (
                    401, "application/problem+json"), (method, path, response.get_json())
                body = response.get_json()
                assert body.pop("request_id") == response.headers["X-Request-ID"]
                assert body == UNAUTHENTICATED
                assert response.headers["WWW-Authenticate"] == 'Bearer realm="napflow"'
    finally:
        other_writer.release()
    assert_untouched(session_factory, plan_id)


def test_a_write_with_a_token_still_begins_its_transaction_first(client, people, make_plan,
                                                                 other_writer):
    """A token is looked up inside the request's one transaction, so a wrong one, like a
    right one, waits for the lock (and gets its 503 while another writer holds it)."""
    plan_id = make_plan("national_approval")
    other_writer.take()
    for token in ("not-a-token", people["approver"].token):
        response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                               headers={"Authorization": f"Bearer {token}"},
                               json={"trigger": "approve"})
        assert_busy(response)
