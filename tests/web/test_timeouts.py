"""PostgreSQL's statement and lock timeouts and pool size are settings; a statement that runs
past its timeout is a clean 503 (problem+json with a code, or a readable page) that changes
nothing, never a 500."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import Engine, text

from models.db import make_engine, make_session_factory
from runtime.db import Database

pytestmark = pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)


@contextmanager
def held(engine: Engine, statement: str, **params) -> Iterator[None]:
    """Another connection holds the lock `statement` takes until the block ends."""
    with engine.connect() as conn:
        transaction = conn.begin()
        conn.execute(text(statement), params)
        try:
            yield
        finally:
            transaction.rollback()


@pytest.fixture
def timing_out(app, database_url):
    """timing_out(statement=..., lock=...): the test app on an engine with those timeouts
    (seconds), as NAPFLOW_STATEMENT_TIMEOUT and NAPFLOW_LOCK_TIMEOUT make it; the app
    fixture puts its own database back afterwards."""
    engines = []

    def use(statement: float = 0, lock: float = 0) -> None:
        engines.append(make_engine(database_url, statement_timeout=statement,
                                   lock_timeout=lock))
        app.extensions["napflow.db"] = Database(database_url, engines[-1],
                                                make_session_factory(engines[-1]))
    yield use
    for engine in engines:
        engine.dispose()


def test_the_settings_reach_every_postgresql_connection(database_url):
    from app import create_app

    app = create_app({"DATABASE_URL": database_url, "TESTING": True, "DB_POOL_SIZE": 3,
                      "STATEMENT_TIMEOUT": 2.5, "LOCK_TIMEOUT": 0.25})
    engine = app.extensions["napflow.db"].engine
    try:
        assert engine.pool.size() == 3
        with engine.connect() as conn:
            assert conn.scalar(text("SHOW statement_timeout")) == "2500ms"
            assert conn.scalar(text("SHOW lock_timeout")) == "250ms"
            # the test URL's own options (its schema) are kept beside them
            assert conn.scalar(text("SHOW search_path")).startswith("napflow_test_")
    finally:
        engine.dispose()


def test_a_write_past_the_statement_timeout_is_a_503_and_changes_nothing(
        client, people, make_plan, engine, timing_out):
    plan_id = make_plan("draft")
    before = client.get(f"/api/v1/plans/{plan_id}/history",
                        headers=people["drafter"].headers).get_json()
    timing_out(statement=0.2)
    with held(engine, "SELECT id FROM plans WHERE id = :id FOR UPDATE", id=plan_id):
        response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                               json={"trigger": "withdraw", "comment": "no longer needed"},
                               headers=people["drafter"].headers)
    assert (response.status_code, response.mimetype) == (503, "application/problem+json")
    body = response.get_json()
    assert (body["code"], body["status"]) == ("statement_timeout", 503)
    assert body["request_id"] == response.headers["X-Request-ID"]
    assert response.headers["Retry-After"] == "1"
    plan = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers)
    assert plan.get_json()["state"] == "draft"
    assert client.get(f"/api/v1/plans/{plan_id}/history",
                      headers=people["drafter"].headers).get_json() == before


def test_a_read_past_the_statement_timeout_is_a_503(client, people, make_plan, engine,
                                                    timing_out):
    plan_id = make_plan("draft")
    timing_out(statement=0.2)
    with held(engine, "LOCK TABLE plans IN ACCESS EXCLUSIVE MODE"):
        response = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers)
    assert response.status_code == 503
    assert response.get_json()["code"] == "statement_timeout"
    assert client.get(f"/api/v1/plans/{plan_id}",
                      headers=people["drafter"].headers).status_code == 200


def test_a_page_past_the_statement_timeout_is_a_readable_503(signed_in, make_plan, engine,
                                                            timing_out):
    plan_id = make_plan("draft")
    browser = signed_in("drafter")
    timing_out(statement=0.2)
    with held(engine, "LOCK TABLE plans IN ACCESS EXCLUSIVE MODE"):
        response = browser.get(f"/plans/{plan_id}")
    page = response.get_data(as_text=True)
    assert (response.status_code, response.mimetype) == (503, "text/html")
    assert "Sorry, the service is busy" in page and "Traceback" not in page
    assert f"quote its reference: {response.headers['X-Request-ID']}" in page
    assert browser.get(f"/plans/{plan_id}").status_code == 200


def test_a_lock_wait_past_the_lock_timeout_is_run_again_then_a_503(
        app, client, people, make_plan, engine, timing_out):
    """55P03 is one of the errors a transaction is run again for; when the lock is still
    held after every attempt, the answer is 503 `unavailable`."""
    plan_id = make_plan("draft")
    app.config["TRANSACTION_ATTEMPTS"] = 2
    timing_out(lock=0.1)
    with held(engine, "SELECT id FROM plans WHERE id = :id FOR UPDATE", id=plan_id):
        response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                               json={"trigger": "withdraw", "comment": "no longer needed"},
                               headers=people["drafter"].headers)
    assert response.status_code == 503
    assert response.get_json()["code"] == "unavailable"


def test_a_lock_released_within_the_attempts_lets_the_request_through(
        app, client, people, make_plan, engine, timing_out):
    plan_id = make_plan("draft")
    app.config["TRANSACTION_ATTEMPTS"] = 10
    timing_out(lock=0.1)
    release = threading.Event()

    def hold_briefly():
        with held(engine, "SELECT id FROM plans WHERE id = :id FOR UPDATE", id=plan_id):
            release.set()
            threading.Event().wait(0.15)

    holder = threading.Thread(target=hold_briefly)
    holder.start()
    release.wait(5)
    response = client.post(f"/api/v1/plans/{plan_id}/transitions",
                           json={"trigger": "withdraw", "comment": "no longer needed"},
                           headers=people["drafter"].headers)
    holder.join()
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["state"] == "withdrawn"
