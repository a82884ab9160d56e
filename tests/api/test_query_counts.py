"""SQL statements per request: each kind of request stays within its budget, and none grows
with the number of plans, events or reviewers it touches (an N+1 would)."""

import re

import pytest
from sqlalchemy import event

from tests.conftest import SAMPLE_CONTENT

COUNTED = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


class QueryCounter:
    """Counts SELECT/INSERT/UPDATE/DELETE sent on the app's engine (BEGIN, PRAGMA... are not
    queries and differ between the databases)."""

    def __init__(self, engine):
        self.engine, self.statements = engine, []

    def _seen(self, conn, cursor, statement, parameters, context, executemany):
        if COUNTED.match(statement):
            self.statements.append(statement)

    def count(self, call) -> tuple[int, object]:
        self.statements = []
        event.listen(self.engine, "before_cursor_execute", self._seen)
        try:
            response = call()
        finally:
            event.remove(self.engine, "before_cursor_execute", self._seen)
        return len(self.statements), response


def extra_reviewers(make_user, n: int) -> list:
    return [make_user(f"rev-{n}-{i}", "reviewer:THA") for i in range(n)]


# Each setup makes `n` of what the request could iterate over (plans, reviewers, events,
# versions) and returns the request as (method, path, who, keyword arguments, status).
def me(api, make_plan, make_user, n):
    return "GET", "/me", "drafter", {}, 200


def list_plans(api, make_plan, make_user, n):
    for _ in range(n):
        make_plan("stakeholder_review")
    return "GET", "/plans", "drafter", {}, 200


def plan_with_reviewers(api, make_plan, make_user, n, state="draft", reviews=False):
    """A plan with `n` reviewers (in `state`), each of whom has approved it with `reviews`."""
    plan_id = make_plan("draft")
    assigned = extra_reviewers(make_user, n)
    for person in assigned:
        assert api.post(f"/plans/{plan_id}/reviewers", "drafter",
                        json={"username": person.username}).status_code == 201
    if state == "stakeholder_review":
        assert api.fire(plan_id, "submit_for_review", "drafter").status_code == 200
    for person in assigned if reviews else ():
        assert api.post(f"/plans/{plan_id}/reviews", person,
                        json={"decision": "approve"}).status_code == 201
    return plan_id


def get_plan(api, make_plan, make_user, n):
    plan_id = plan_with_reviewers(api, make_plan, make_user, n, "stakeholder_review", True)
    return "GET", f"/plans/{plan_id}", "drafter", {}, 200


def patch_plan(api, make_plan, make_user, n):
    plan_id = make_plan("draft")
    for i in range(n):
        content = {**SAMPLE_CONTENT, "summary": f"Summary {i}"}
        assert api.patch(f"/plans/{plan_id}", "drafter", json={"content": content},
                         headers={"If-Match": api.etag(plan_id)}).status_code == 200
    return ("PATCH", f"/plans/{plan_id}", "drafter",
            {"json": {"title": "Retitled"}, "headers": {"If-Match": api.etag(plan_id)}}, 200)


def fire_transition(api, make_plan, make_user, n):
    plan_id = plan_with_reviewers(api, make_plan, make_user, n)
    return ("POST", f"/plans/{plan_id}/transitions", "drafter",
            {"json": {"trigger": "submit_for_review"}}, 200)


def post_review(api, make_plan, make_user, n):
    plan_id = plan_with_reviewers(api, make_plan, make_user, n, "stakeholder_review", True)
    assert api.post(f"/plans/{plan_id}/reviewers", "drafter",
                    json={"username": "reviewer"}).status_code == 201
    return ("POST", f"/plans/{plan_id}/reviews", "reviewer",
            {"json": {"decision": "approve"}}, 201)


def post_reviewer(api, make_plan, make_user, n):
    plan_id = plan_with_reviewers(api, make_plan, make_user, n)
    return ("POST", f"/plans/{plan_id}/reviewers", "drafter",
            {"json": {"username": "reviewer"}}, 201)


def history(api, make_plan, make_user, n):
    plan_id = plan_with_reviewers(api, make_plan, make_user, n, "stakeholder_review", True)
    return "GET", f"/plans/{plan_id}/history", "auditor", {}, 200


def audit(api, make_plan, make_user, n):
    for _ in range(n):
        make_plan("stakeholder_review")
    return "GET", "/audit", "auditor", {}, 200


def status(api, make_plan, make_user, n):
    for _ in range(n):
        make_plan("stakeholder_review")
    make_plan("national_approval")
    return "GET", "/status", "auditor", {}, 200


# request -> the most SQL statements it may send, token lookup and grants included (before
# issue 6: 3, 4, 12, 12, 18, 10, 13, 6, 4, 3), the same on SQLite and PostgreSQL. A write
# reads its plan once, locked, in the request pipeline (PostgreSQL's read twice before: the
# pipeline's, then the operation's locking one), and the guards' reads (assignments,
# decisions, authors, content) are one statement.
BUDGET = [
    ("GET /me", me, 1),
    ("GET /plans", list_plans, 2),
    # token, plan, facts
    ("GET /plans/{id}", get_plan, 3),
    # token, plan, event, plan row, the response's facts
    ("PATCH /plans/{id}", patch_plan, 5),
    # token, plan, facts, event, plan row (the response reuses the facts); submit_for_review
    # also sets the review due days. A transition into or out of review, and a review, also
    # set the reviewers' open rounds (workflow/review_rounds.py): one UPDATE
    ("POST /plans/{id}/transitions", fire_transition, 7),
    ("POST /plans/{id}/reviews", post_review, 7),
    ("POST /plans/{id}/reviewers", post_reviewer, 7),
    ("GET /plans/{id}/history", history, 3),
    ("GET /audit", audit, 2),
    ("GET /status", status, 3),
]


@pytest.mark.parametrize(("name", "setup", "most"), BUDGET, ids=[b[0] for b in BUDGET])
def test_a_request_sends_a_bounded_number_of_queries(app, api, make_plan, make_user, name,
                                                     setup, most):
    counter = QueryCounter(app.extensions["napflow.db"].engine)
    counts = []
    for n in (1, 5):
        method, path, who, kwargs, expected = setup(api, make_plan, make_user, n)
        queries, response = counter.count(lambda m=method, p=path, w=who, k=kwargs:
                                          api.request(m, p, w, **k))
        assert response.status_code == expected, response.get_json()
        counts.append(queries)
    assert counts[0] == counts[1], (f"{name}: {counts[0]} queries with 1 item, {counts[1]} "
                                    f"with 5 (N+1)\n" + "\n".join(counter.statements))
    assert counts[1] <= most, f"{name}: {counts[1]} queries\n" + "\n".join(counter.statements)
