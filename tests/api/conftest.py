"""Fixtures for the HTTP API tests: call the API as one of the cast, and observe a plan."""

import pytest

from models.db import write_session
from workflow import users


class Api:
    """The test client speaking /api/v1 as a named member of the cast (`people[...]`)."""

    def __init__(self, client, people):
        self.client, self.people = client, people

    def request(self, method, path, who=None, *, headers=None, **kwargs):
        sent = dict(headers or {})
        if who is not None:
            person = self.people[who] if isinstance(who, str) else who
            sent.update(person.headers)
        return self.client.open("/api/v1" + path, method=method, headers=sent, **kwargs)

    def get(self, path, who=None, **kwargs):
        return self.request("GET", path, who, **kwargs)

    def post(self, path, who=None, **kwargs):
        return self.request("POST", path, who, **kwargs)

    def patch(self, path, who=None, **kwargs):
        return self.request("PATCH", path, who, **kwargs)

    def delete(self, path, who=None, **kwargs):
        return self.request("DELETE", path, who, **kwargs)

    def fire(self, plan_id, trigger, who, *, headers=None, **body):
        return self.post(f"/plans/{plan_id}/transitions", who, headers=headers,
                         json={"trigger": trigger, **body})

    def plan(self, plan_id, who="drafter") -> dict:
        response = self.get(f"/plans/{plan_id}", who)
        assert response.status_code == 200, response.get_json()
        return response.get_json()

    def etag(self, plan_id, who="drafter") -> str:
        return self.get(f"/plans/{plan_id}", who).headers["ETag"]

    def history(self, plan_id, who="drafter") -> list[dict]:
        response = self.get(f"/plans/{plan_id}/history?limit=500", who)
        assert response.status_code == 200, response.get_json()
        return response.get_json()["items"]

    def snapshot(self, plan_id, who="drafter") -> dict:
        """Everything a refused request must leave untouched, as the API shows it."""
        plan = self.get(f"/plans/{plan_id}", who)
        return {"plan": plan.get_json(), "etag": plan.headers["ETag"],
                "versions": self.get(f"/plans/{plan_id}/versions?limit=500", who).get_json(),
                "reviewers": self.get(f"/plans/{plan_id}/reviewers", who).get_json(),
                "reviews": self.get(f"/plans/{plan_id}/reviews", who).get_json(),
                "history": self.history(plan_id, who)}


@pytest.fixture(autouse=True)
def _push_request_context():
    """Overrides pytest-flask's: it keeps one request context pushed for the whole test, so
    every request shares one app context and one `g` (session, user, idempotency flags) and
    reads a stale snapshot. Here, as in production, each request has its own."""


@pytest.fixture
def api(client, people):
    return Api(client, people)


@pytest.fixture
def revoke_tokens(app):
    """Revoke every token of a user, as `napflow users token --revoke` would."""
    def revoke(username: str) -> None:
        with write_session(app.extensions["napflow.db"].sessions) as session:
            users.revoke_tokens(session, "test", username)
    return revoke
