"""The authorization matrix: every endpoint of the contract x every caller x own or other
country -> the answer the contract promises (OWASP API1 object level, API5 function level)."""

from dataclasses import dataclass
from datetime import timedelta

import pytest

from models import utcnow
from tests.api.api_support import CONTENT, PROBLEM_JSON, REQUEST

# -- who asks ----------------------------------------------------------------------------------
# Every plan in the matrix is Thai. National roles are held for one country: an "own" caller
# holds its role for Thailand, an "other" caller the same role for Viet Nam. A Vietnamese
# reviewer cannot be assigned to a Thai plan, so "other" has no assigned reviewer.
# "admin and viewer" holds both: being admin adds nothing to what the viewer may do.
NATIONAL = ("drafter", "assigned reviewer", "unassigned reviewer", "approver", "submitter",
            "viewer", "auditor", "admin and viewer")
COUNTRYLESS = ("committee", "global auditor", "admin", "no grants")
# No valid token. The revoked and expired tokens belong to users holding every grant there is.
LOCKED_OUT = ("no token", "unknown token", "revoked token", "expired token")
CALLERS = ([(role, "own") for role in NATIONAL]
           + [(role, "other") for role in NATIONAL if role != "assigned reviewer"]
           + [(role, "-") for role in COUNTRYLESS + LOCKED_OUT])
CAST = {"drafter": "drafter", "assigned reviewer": "reviewer", "unassigned reviewer": "reviewer2",
        "approver": "approver", "submitter": "submitter", "viewer": "viewer", "auditor": "auditor",
        "admin and viewer": "admin_viewer", "committee": "committee",
        "global auditor": "global_auditor", "admin": "admin", "no grants": "grantless",
        "unknown token": "unknown", "revoked token": "revoked", "expired token": "expired"}

# -- who sees a plan (API1) --------------------------------------------------------------------
# Everyone else gets 404 not_found, word for word what an unknown id gets: other countries'
# users, the admin (who manages users, not plans: least privilege) and a user without grants.
# Choice: every national role of the country reads all of its plans (the viewer included: it
# follows the national process, read-only), as the contract gives no narrower national view.
NATIONAL_READERS = frozenset(NATIONAL) | {"global auditor"}
SEES = {
    "draft": NATIONAL_READERS,
    "stakeholder_review": NATIONAL_READERS,
    "national_approval": NATIONAL_READERS,
    "approved": NATIONAL_READERS,
    "submitted": NATIONAL_READERS | {"committee"},  # from its first submission on
    "acknowledged": NATIONAL_READERS | {"committee"},
    "withdrawn": NATIONAL_READERS,  # withdrawn before it was ever submitted
}
STATES = list(SEES)
# Events that concern no plan (users, grants, tokens) are read by whoever manages or audits all
# countries; choice: not by a country's auditor, as they name other countries' users.
SEES_SYSTEM_EVENTS = {"global auditor", "admin", "admin and viewer"}

ANYONE = frozenset({"anyone with a valid token"})


@dataclass(frozen=True)
class Row:
    """A request, the state its plan is in, who may make it and what they get. A national role
    in `may` is that role for the plan's country. Every other caller who sees the plan gets
    403 forbidden, one who does not 404 not_found, one without a valid token 401."""

    method: str
    path: str  # {id} is the plan under test
    state: str | None  # of the plan under test; None: the request involves no plan
    may: frozenset[str]
    success: int
    body: dict | None = None
    lists_plans: bool = False  # a 200 that must list the plan only to those who see it
    days_later: int = 0  # the server's clock moved on by this many days for the request

    def __str__(self):
        trigger = f" {self.body['trigger']}" if self.path.endswith("transitions") else ""
        return f"{self.method} {self.path}{trigger} [{self.state or 'no plan'}]"


def row(method, path, state, may, success, body=None, **kwargs):
    return Row(method, path, state, may if may is ANYONE else frozenset(may), success, body,
               **kwargs)


def fire(trigger):
    return {"trigger": trigger, **REQUEST.get(trigger, {})}


TRANSITIONS = "/plans/{id}/transitions"
NEW_PLAN = {"country": "THA", "title": "NAP 2026-2028", "content": CONTENT}

# What the contract's HTTP API table and lifecycle say, request by request.
MATRIX = [
    row("GET", "/me", None, ANYONE, 200),
    row("GET", "/workflows", None, ANYONE, 200),
    row("GET", "/workflows/nap-1540", None, ANYONE, 200),
    # A drafter of another country gets 403, not 404: there is no plan to hide, and which
    # countries exist is public.
    row("POST", "/plans", None, {"drafter"}, 201, NEW_PLAN),
]
# Reading: whoever sees the plan, in every state; lists show it only to them.
for state in STATES:
    MATRIX += [
        row("GET", "/plans", state, ANYONE, 200, lists_plans=True),
        row("GET", "/audit?limit=500", state, ANYONE, 200, lists_plans=True),
        row("GET", "/status", state, ANYONE, 200, lists_plans=True),
        # Past the review's default due day; but a ready plan's review is decided (in
        # review, its reviewer approved): it is listed to no one. An undecided one: below.
        row("GET", "/reviews/overdue?limit=500", state, ANYONE, 200, lists_plans=True,
            days_later=31),
        row("GET", "/plans/{id}", state, SEES[state], 200),
        row("GET", "/plans/{id}/versions", state, SEES[state], 200),
        row("GET", "/plans/{id}/versions/1", state, SEES[state], 200),
        row("GET", "/plans/{id}/history", state, SEES[state], 200),
        row("GET", "/plans/{id}/history/verify", state, SEES[state], 200),
        # The Committee sees the plan but never who reviews it or what they said: 403.
        row("GET", "/plans/{id}/reviewers", state, NATIONAL_READERS, 200),
        row("GET", "/plans/{id}/reviews", state, NATIONAL_READERS, 200),
    ]
# Changing: the lifecycle's roles, each in a state from which the change succeeds for them.
MATRIX += [
    row("PATCH", "/plans/{id}", "draft", {"drafter"}, 200, {"title": "Revised title"}),
    row("POST", "/plans/{id}/reviewers", "draft", {"drafter"}, 201, {"username": "reviewer2"}),
    row("DELETE", "/plans/{id}/reviewers/reviewer", "draft", {"drafter"}, 204),
    row("POST", TRANSITIONS, "draft", {"drafter"}, 200, fire("submit_for_review")),
    row("POST", TRANSITIONS, "draft", {"drafter", "approver"}, 200, fire("withdraw")),
    row("POST", "/plans/{id}/reviewers", "stakeholder_review", {"drafter"}, 201,
        {"username": "reviewer2"}),
    row("POST", "/plans/{id}/reviews", "stakeholder_review", {"assigned reviewer"}, 201,
        {"decision": "approve"}),
    row("POST", TRANSITIONS, "stakeholder_review", {"drafter"}, 200, fire("endorse")),
    row("POST", TRANSITIONS, "stakeholder_review", {"drafter", "assigned reviewer"}, 200,
        fire("request_changes")),
    row("POST", TRANSITIONS, "stakeholder_review", {"drafter", "approver"}, 200,
        fire("withdraw")),
    row("POST", TRANSITIONS, "national_approval", {"approver"}, 200, fire("approve")),
    row("POST", TRANSITIONS, "national_approval", {"approver"}, 200, fire("return")),
    row("POST", TRANSITIONS, "national_approval", {"drafter", "approver"}, 200,
        fire("withdraw")),
    row("POST", TRANSITIONS, "approved", {"approver"}, 200, fire("return")),
    row("POST", TRANSITIONS, "approved", {"submitter"}, 200, fire("submit_to_committee")),
    row("POST", TRANSITIONS, "approved", {"drafter", "approver"}, 200, fire("withdraw")),
    row("POST", TRANSITIONS, "submitted", {"committee"}, 200, fire("acknowledge")),
    row("POST", TRANSITIONS, "acknowledged", {"drafter"}, 200, fire("revise")),
]


def expected(row: Row, caller: tuple[str, str]) -> tuple[int, str | None]:
    role, where = caller
    if role in LOCKED_OUT:
        return 401, "unauthenticated"
    if "{id}" in row.path and (where == "other" or role not in SEES[row.state]):
        return 404, "not_found"
    if row.may is ANYONE or (where != "other" and role in row.may):
        return row.success, None
    return 403, "forbidden"


def test_the_matrix_covers_every_endpoint_trigger_and_caller():
    endpoints = {(r.method, r.path.split("?")[0]) for r in MATRIX}
    assert endpoints == {
        ("GET", "/me"), ("GET", "/workflows"), ("GET", "/workflows/nap-1540"),
        ("POST", "/plans"), ("GET", "/plans"), ("GET", "/plans/{id}"), ("PATCH", "/plans/{id}"),
        ("POST", TRANSITIONS), ("GET", "/plans/{id}/reviewers"),
        ("POST", "/plans/{id}/reviewers"), ("DELETE", "/plans/{id}/reviewers/reviewer"),
        ("GET", "/plans/{id}/reviews"), ("POST", "/plans/{id}/reviews"),
        ("GET", "/plans/{id}/versions"), ("GET", "/plans/{id}/versions/1"),
        ("GET", "/plans/{id}/history"), ("GET", "/plans/{id}/history/verify"),
        ("GET", "/audit"), ("GET", "/status"), ("GET", "/reviews/overdue")}
    fired = {(r.body["trigger"], r.state) for r in MATRIX if r.path == TRANSITIONS}
    assert fired == {  # every (trigger, source) of the contract's lifecycle
        ("submit_for_review", "draft"), ("endorse", "stakeholder_review"),
        ("request_changes", "stakeholder_review"), ("approve", "national_approval"),
        ("return", "national_approval"), ("return", "approved"),
        ("submit_to_committee", "approved"), ("acknowledge", "submitted"),
        ("revise", "acknowledged"), *(("withdraw", s) for s in
                                      ("draft", "stakeholder_review", "national_approval",
                                       "approved"))}
    assert len(CALLERS) == 23
    outcomes = {expected(r, c)[0] for r in MATRIX for c in CALLERS}
    assert outcomes == {200, 201, 204, 401, 403, 404}


class Caller:
    """Sends one row's request as one caller of the matrix."""

    def __init__(self, client, people):
        self.client, self.people = client, people

    def headers(self, caller) -> dict[str, str]:
        role, where = caller
        if role == "no token":
            return {}
        return self.people[("vnm_" if where == "other" else "") + CAST[role]].headers

    def send(self, row: Row, caller, plan_id: int | None, etag: str | None = None):
        headers = self.headers(caller)
        if row.method == "PATCH":
            headers["If-Match"] = etag
        config = self.client.application.config
        clock = config.get("CLOCK")
        if row.days_later:
            config["CLOCK"] = lambda: utcnow() + timedelta(days=row.days_later)
        try:
            return self.client.open("/api/v1" + row.path.format(id=plan_id),
                                    method=row.method, headers=headers, json=row.body)
        finally:
            config["CLOCK"] = clock

    def observe(self, plan_id: int | None) -> dict:
        """All that a refused request must leave as it was, as the global auditor reads it."""
        def get(path):
            return self.client.get("/api/v1" + path,
                                   headers=self.people["global_auditor"].headers).get_json()
        seen = {"audit": get("/audit?limit=500"), "plans": get("/plans?limit=500")}
        if plan_id is not None:
            seen.update({path: get(f"/plans/{plan_id}{path}") for path in (
                "", "/versions?limit=500", "/reviewers?limit=500", "/reviews?limit=500")})
        return seen


def listed(row: Row, body: dict) -> set:
    """Which plans (and, as None, which system events) a 200 list answer shows."""
    if row.path == "/plans":
        return {item["id"] for item in body["items"]}
    if row.path.startswith(("/audit", "/reviews/overdue")):
        return {item["plan_id"] for item in body["items"]}
    return {(entry["country"], entry["state"], entry["count"]) for entry in body["plans"]}


def wrong_answer(row: Row, caller, response, plan_id, state) -> str | None:
    status, code = expected(row, caller)
    if response.status_code != status:
        return f"{response.status_code} {response.get_data(True)[:200]}"
    if code is not None:
        body = response.get_json(force=True)
        if response.mimetype != PROBLEM_JSON or body.get("code") != code:
            return f"{status} with {response.mimetype} {body}"
        if status == 401 and not response.headers.get("WWW-Authenticate", "").startswith(
                "Bearer"):
            return "401 without WWW-Authenticate: Bearer"
    elif row.lists_plans:
        sees = caller[1] != "other" and caller[0] in SEES[state]
        want = {("THA", state, 1)} if row.path == "/status" else {plan_id}
        if row.path.startswith("/reviews/overdue"):
            sees = False  # see test_an_overdue_review_is_listed_to_who_sees_the_plan_nationally
        want = (want if sees else set()) | (
            {None} if row.path.startswith("/audit") and caller[0] in SEES_SYSTEM_EVENTS
            else set())
        if listed(row, response.get_json()) != want:
            return f"lists {listed(row, response.get_json())}, not {want}"
    return None


@pytest.mark.parametrize("state", [None, *STATES], ids=lambda s: s or "no-plan")
def test_authorization_matrix(client, people, more_people, ready_plan, state):
    """One state's rows x every caller. Refusals all go to one plan, which must come out of
    them unchanged; each success gets a fresh plan of its own."""
    callers = Caller(client, {**people, **more_people})
    plan_id = ready_plan(state) if state else None
    etag = client.get(f"/api/v1/plans/{plan_id}", headers=people["drafter"].headers
                      ).headers["ETag"] if state else None
    unknown_id = (plan_id or 0) + 10**6
    before = callers.observe(plan_id)
    wrong, successes = [], []
    for r in (r for r in MATRIX if r.state == state):
        for caller in CALLERS:
            status, _ = expected(r, caller)
            if status < 400 and r.method != "GET":
                successes.append((r, caller))
                continue
            response = callers.send(r, caller, plan_id, etag)
            if problem := wrong_answer(r, caller, response, plan_id, state):
                wrong.append((str(r), caller, expected(r, caller), problem))
            if status == 404:  # indistinguishable from a plan that does not exist
                unknown = callers.send(r, caller, unknown_id, etag).get_json()
                unknown["detail"] = unknown["detail"].replace(str(unknown_id), str(plan_id))
                # each request has its own id (X-Request-ID): everything else is the same
                answered = response.get_json()
                answered.pop("request_id"), unknown.pop("request_id")
                if answered != unknown:
                    wrong.append((str(r), caller, "as for an unknown id", response.get_json()))
    assert not wrong, "\n".join(map(str, wrong))
    assert callers.observe(plan_id) == before, "a refused request changed something"
    for r, caller in successes:
        fresh = ready_plan(state) if state else None
        fresh_etag = client.get(f"/api/v1/plans/{fresh}", headers=people["drafter"].headers
                                ).headers["ETag"] if state else None
        response = callers.send(r, caller, fresh, fresh_etag)
        if problem := wrong_answer(r, caller, response, fresh, state):
            wrong.append((str(r), caller, expected(r, caller), problem))
    assert not wrong, "\n".join(map(str, wrong))


def test_an_overdue_review_is_listed_to_who_sees_the_plan_nationally(client, people,
                                                                      more_people, make_plan):
    """Every caller of the matrix, a review undecided past its due day: the Committee sees
    the plan (once submitted) but never who has yet to review it."""
    callers = Caller(client, {**people, **more_people})
    plan_id = make_plan("stakeholder_review")
    overdue = row("GET", "/reviews/overdue", "stakeholder_review", ANYONE, 200, days_later=31)
    wrong = []
    for caller in CALLERS:
        response = callers.send(overdue, caller, plan_id)
        status, _ = expected(overdue, caller)
        listed_to = caller[1] != "other" and caller[0] in NATIONAL_READERS
        found = ({item["plan_id"] for item in response.get_json()["items"]}
                 if response.status_code == 200 else None)
        if (response.status_code, found) != (status, ({plan_id} if listed_to else set())
                                             if status == 200 else None):
            wrong.append((caller, response.status_code, found))
    assert not wrong, wrong
