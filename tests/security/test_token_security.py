"""Bearer tokens: stored only as a hash, compared in constant time, and refused on the very
next request once revoked or expired."""

import hashlib
import hmac
from datetime import timedelta

import pytest
from sqlalchemy import event, select

from models import Base, utcnow
from models.db import write_session
from tests.api.api_support import CONTENT, assert_problem
from workflow import users


def sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def me(client, person):
    return client.get("/api/v1/me", headers=person.headers)


def refused(response):
    assert_problem(response, 401, "unauthenticated")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.fixture
def statements(app):
    """Every SQL statement the app sends, with its parameters, as text."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, parameters, _context, _many):
        sent.append(f"{statement} {parameters!r}")

    engine = app.extensions["napflow.db"].engine
    event.listen(engine, "before_cursor_execute", record)
    yield sent
    event.remove(engine, "before_cursor_execute", record)


def test_no_table_holds_a_raw_token(client, people, session_factory):
    # Every token in use, once each, and a write that keeps its answer (an idempotency record).
    for person in people.values():
        assert me(client, person).status_code == 200
    assert client.post("/api/v1/plans", json={"country": "THA", "title": "NAP",
                                              "content": CONTENT},
                       headers={**people["drafter"].headers, "Idempotency-Key": "k1"}
                       ).status_code == 201
    with session_factory() as session:
        stored = "\n".join(repr(row) for table in Base.metadata.sorted_tables
                           for row in session.execute(select(table)))
        hashes = set(session.scalars(select(Base.metadata.tables["api_tokens"].c.token_hash)))
    assert stored  # the dump did read the tables
    for person in people.values():
        assert person.token not in stored, person.username
        assert person.token[4:] not in stored  # nor its random part without the prefix
        assert sha256(person.token) in hashes


def test_a_token_is_looked_up_by_its_hash_and_compared_in_constant_time(
        client, people, monkeypatch, statements):
    compared, original = [], hmac.compare_digest

    def compare_digest(a, b):
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(users.hmac, "compare_digest", compare_digest)
    token = people["viewer"].token
    assert me(client, people["viewer"]).status_code == 200
    assert compared == [(sha256(token), sha256(token))]
    sent = "\n".join(statements)
    assert sha256(token) in sent and token not in sent and token[4:] not in sent

    # A near miss (one character off) is refused like any unknown token, and is never sent
    # to the database as it is either.
    near = token[:-1] + ("A" if token[-1] != "A" else "B")
    statements.clear()
    refused(client.get("/api/v1/me", headers={"Authorization": f"Bearer {near}"}))
    assert near not in "\n".join(statements)


def test_revocation_takes_effect_on_the_very_next_request(app, client, people):
    drafter = people["drafter"]
    created = client.post("/api/v1/plans", json={"country": "THA", "title": "NAP"},
                          headers={**drafter.headers, "Idempotency-Key": "first"})
    assert created.status_code == 201
    assert me(client, drafter).status_code == 200

    with write_session(app.extensions["napflow.db"].sessions) as session:
        users.revoke_tokens(session, "admin", drafter.username)

    refused(me(client, drafter))
    refused(client.get(f"/api/v1/plans/{created.get_json()['id']}", headers=drafter.headers))
    # Not even a replay of an answer it was given before the revocation.
    refused(client.post("/api/v1/plans", json={"country": "THA", "title": "NAP"},
                        headers={**drafter.headers, "Idempotency-Key": "first"}))
    assert me(client, people["drafter2"]).status_code == 200  # others' tokens still work
    with write_session(app.extensions["napflow.db"].sessions) as session:
        fresh = users.issue_token(session, "admin", users.get_user(session, drafter.username))
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {fresh}"}
                      ).get_json()["username"] == drafter.username


def test_an_expired_token_is_refused_on_its_next_use(client, make_user, monkeypatch):
    issued = utcnow()
    temp = make_user("temp", "viewer:THA", expires="1m")
    assert me(client, temp).status_code == 200
    monkeypatch.setattr(users, "utcnow", lambda: issued + timedelta(seconds=50))
    assert me(client, temp).status_code == 200
    monkeypatch.setattr(users, "utcnow", lambda: issued + timedelta(minutes=1, seconds=10))
    refused(me(client, temp))
    refused(client.get("/api/v1/plans", headers=temp.headers))
