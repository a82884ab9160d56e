"""GET /healthz and GET /readyz: no token; /readyz is 503 with a problem `code` saying why."""

import pytest
from sqlalchemy import text

from models.db import make_engine, make_session_factory
from runtime import schema
from runtime.db import Database


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's: each request gets its own app context, as a server's does."""


def test_healthz_answers_without_a_token_or_the_database(app, client):
    app.extensions["napflow.db"] = unreachable()  # the app fixture puts its own back
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_readyz_is_ready_when_the_schema_is_at_head(client):
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ready", "schema_revision": schema.head()}


def test_readyz_is_503_when_the_database_does_not_answer(app, client):
    app.extensions["napflow.db"] = unreachable()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.mimetype == "application/problem+json"
    assert response.headers["Retry-After"] == "5"
    body = response.get_json()
    assert (body["status"], body["code"]) == (503, "database_unreachable")
    assert body["detail"].startswith("the database does not answer")


def test_readyz_is_503_until_the_schema_is_upgraded(client, engine):
    with engine.begin() as connection:
        connection.execute(text("UPDATE alembic_version SET version_num = '0002'"))
    try:
        response = client.get("/readyz")
    finally:
        with engine.begin() as connection:
            connection.execute(text("UPDATE alembic_version SET version_num = :head"),
                               {"head": schema.head()})
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "schema_not_at_head"
    assert body["detail"] == (f"the database is at 0002, this napflow needs {schema.head()}: "
                              "run `napflow db upgrade`")
    assert client.get("/readyz").status_code == 200


def unreachable() -> Database:
    """The app's database on a port where nothing listens."""
    url = "postgresql+psycopg://napflow@127.0.0.1:9/napflow?connect_timeout=2"
    engine = make_engine(url)
    return Database(url, engine, make_session_factory(engine))
