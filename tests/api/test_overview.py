"""Due days of reviews, GET /status, GET /me/tasks, and the /plans filters built on them."""

from datetime import timedelta
from urllib.parse import parse_qsl

import jsonschema_rs
import pytest

from api.schemas import StatusSchema
from models import utcnow
from tests.api.api_support import assert_problem


def day(offset: int) -> str:
    return (utcnow().date() + timedelta(days=offset)).isoformat()


def reviewers(api, plan_id) -> dict[str, str | None]:
    items = api.get(f"/plans/{plan_id}/reviewers", "drafter").get_json()["items"]
    return {r["username"]: r["due"] for r in items}


DUE = [  # (assigned in, due given (days from today), due shown then, due shown once in review)
    ("draft", None, None, 30),
    ("draft", 5, 5, 5),
    ("stakeholder_review", None, 30, 30),
    ("stakeholder_review", 3, 3, 3),
]


@pytest.mark.parametrize("state, given, shown, in_review", DUE)
def test_a_review_is_due_by_the_workflows_default_or_the_day_given(
        api, make_plan, state, given, shown, in_review):
    plan_id = make_plan(state)
    body = {"username": "reviewer2", **({"due": day(given)} if given is not None else {})}
    response = api.post(f"/plans/{plan_id}/reviewers", "drafter", json=body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["due"] == (None if shown is None else day(shown))
    if state == "draft":
        api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
        assert api.fire(plan_id, "submit_for_review", "drafter").status_code == 200
    assert reviewers(api, plan_id)["reviewer2"] == day(in_review)


def test_a_new_round_of_review_counts_from_its_start_but_keeps_a_given_day(api, make_plan):
    plan_id = make_plan("draft")
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    api.post(f"/plans/{plan_id}/reviewers", "drafter",
             json={"username": "reviewer2", "due": day(9)})
    assert api.fire(plan_id, "submit_for_review", "drafter").status_code == 200
    assert api.fire(plan_id, "request_changes", "drafter", comment="more").status_code == 200
    assert reviewers(api, plan_id) == {"reviewer": day(30), "reviewer2": day(9)}


BAD_DUE = ["yesterday", "2026-02-30", "", None]


def test_a_due_day_in_the_past_or_not_a_date_is_refused(api, make_plan):
    plan_id = make_plan("draft")
    for due in [*BAD_DUE, day(-1)]:
        response = api.post(f"/plans/{plan_id}/reviewers", "drafter",
                            json={"username": "reviewer", "due": due})
        assert "due" in assert_problem(response, 422, "validation_error")["errors"], due
    assert reviewers(api, plan_id) == {}


# -- overdue, by a clock the test moves -------------------------------------------------
OVERDUE = [  # (due given, days the clock moves on, reviewer's decision, overdue?)
    (None, 30, None, False),
    (None, 31, None, True),
    (5, 5, None, False),
    (5, 6, None, True),
    (None, 31, "approve", False),
    (None, 31, "request_changes", False),
]


@pytest.mark.parametrize("given, later, decision, overdue", OVERDUE)
def test_a_review_is_overdue_once_its_due_day_has_passed_undecided(
        app, api, make_plan, given, later, decision, overdue):
    plan_id = make_plan("draft")
    api.post(f"/plans/{plan_id}/reviewers", "drafter",
             json={"username": "reviewer", **({"due": day(given)} if given else {})})
    api.fire(plan_id, "submit_for_review", "drafter")
    if decision:
        assert api.post(f"/plans/{plan_id}/reviews", "reviewer",
                        json={"decision": decision, "comment": "noted"}).status_code == 201
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=later)
    listed = api.get("/reviews/overdue", "drafter").get_json()["items"]
    assert [(o["plan_id"], o["reviewer"], o["required"]) for o in listed] == (
        [(plan_id, "reviewer", True)] if overdue else [])
    assert api.get("/status", "drafter").get_json()["overdue"] == (
        [{"country": "THA", "count": 1}] if overdue else [])
    if overdue:
        assert listed[0]["due"] == day(given or 30)
    tasks = [t for t in api.get("/me/tasks", "reviewer").get_json()["items"]
             if t["kind"] == "review"]
    assert [(t["plan"]["id"], t["overdue"]) for t in tasks] == (
        [] if decision else [(plan_id, overdue)])


OVERDUE_SEEN_BY = [("drafter", 1), ("viewer", 1), ("global_auditor", 1), ("vnm_drafter", 0),
                   ("committee", 0)]


def test_overdue_reviews_are_shown_only_to_who_sees_the_plan_nationally(app, api, make_plan):
    make_plan("stakeholder_review")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)
    for who, count in OVERDUE_SEEN_BY:
        assert len(api.get("/reviews/overdue", who).get_json()["items"]) == count, who
        counted = api.get("/status", who).get_json()["overdue"]
        assert counted == ([{"country": "THA", "count": 1}] if count else []), who


def pages(api, path, who, limit, **query) -> list[list[dict]]:
    """Every page of a list, following next_cursor."""
    found, cursor = [], None
    while True:
        body = api.get(path, who, query_string={
            **query, "limit": limit, **({"cursor": cursor} if cursor else {})}).get_json()
        found.append(body["items"])
        cursor = body["next_cursor"]
        if cursor is None:
            return found


@pytest.fixture
def overdue_in_two_countries(app, api, make_plan):
    """Overdue reviews: THA plans due in 5, 3 and 30 days (two reviewers on the last), a
    VNM plan due in 30 days; the clock then moves 60 days on."""
    plans = []
    for due, country in [(5, "THA"), (3, "THA"), (None, "THA"), (None, "VNM")]:
        drafter, reviewer = (("drafter", "reviewer") if country == "THA"
                             else ("vnm_drafter", "vnm_reviewer"))
        plan_id = make_plan("draft", country=country)
        who = [reviewer] + (["reviewer2"] if due is None and country == "THA" else [])
        for username in who:
            api.post(f"/plans/{plan_id}/reviewers", drafter, json={
                "username": api.people[username].username,
                **({"due": day(due)} if due else {})})
        assert api.fire(plan_id, "submit_for_review", drafter).status_code == 200
        plans.append(plan_id)
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)
    return plans


OVERDUE_PAGES = [  # (who, filter, page size, the (plan index, reviewer) listed, most overdue first)
    ("global_auditor", {}, 1, [(1, "reviewer"), (0, "reviewer"), (2, "reviewer"),
                               (2, "reviewer2"), (3, "vnm_reviewer")]),
    ("global_auditor", {}, 2, [(1, "reviewer"), (0, "reviewer"), (2, "reviewer"),
                               (2, "reviewer2"), (3, "vnm_reviewer")]),
    ("global_auditor", {"country": "VNM"}, 1, [(3, "vnm_reviewer")]),
    ("global_auditor", {"country": "THA"}, 3, [(1, "reviewer"), (0, "reviewer"),
                                               (2, "reviewer"), (2, "reviewer2")]),
    ("viewer", {}, 2, [(1, "reviewer"), (0, "reviewer"), (2, "reviewer"), (2, "reviewer2")]),
    ("viewer", {"country": "VNM"}, 2, []),
    ("vnm_viewer", {}, 500, [(3, "vnm_reviewer")]),
    ("committee", {}, 1, []),
]


@pytest.mark.parametrize("who, query, limit, expected", OVERDUE_PAGES)
def test_overdue_reviews_page_most_overdue_first(api, overdue_in_two_countries, who, query,
                                                 limit, expected):
    plans = overdue_in_two_countries
    found = pages(api, "/reviews/overdue", who, limit, **query)
    assert all(len(page) <= limit for page in found)
    assert [(o["plan_id"], o["reviewer"]) for page in found for o in page] == [
        (plans[i], api.people[r].username) for i, r in expected]


def test_status_counts_overdue_reviews_by_country(api, overdue_in_two_countries):
    for who, expected in [("global_auditor", [("THA", 4), ("VNM", 1)]),
                          ("viewer", [("THA", 4)]), ("committee", [])]:
        counted = api.get("/status", who).get_json()["overdue"]
        assert [(c["country"], c["count"]) for c in counted] == expected, who


def test_a_review_decided_while_paging_leaves_the_rest_in_place(api, overdue_in_two_countries):
    plans = overdue_in_two_countries
    first = api.get("/reviews/overdue?limit=2", "viewer").get_json()
    api.post(f"/plans/{plans[2]}/reviews", "reviewer", json={"decision": "approve"})
    rest = api.get("/reviews/overdue", "viewer", query_string={
        "cursor": first["next_cursor"]}).get_json()
    assert [(o["plan_id"], o["reviewer"]) for o in rest["items"]] == [
        (plans[2], api.people["reviewer2"].username)]


BAD_PAGES = [("/reviews/overdue", "country=XXX"), ("/reviews/overdue", "cursor=1.2"),
             ("/reviews/overdue", "cursor="), ("/reviews/overdue", "limit=501"),
             ("/reviews/overdue", "plan=1"), ("/me/tasks", "cursor=12"),
             ("/me/tasks", "cursor=a.b.c"), ("/me/tasks", "limit=0"),
             ("/me/tasks", "country=THA")]


@pytest.mark.parametrize("path, query", BAD_PAGES)
def test_a_bad_filter_cursor_or_limit_is_refused(api, path, query):
    problem = assert_problem(api.get(f"{path}?{query}", "viewer"), 422, "validation_error")
    assert query.split("=")[0] in problem["errors"], query


PAST_THE_END = [("/reviews/overdue", "9" * 40 + ".1.1"), ("/reviews/overdue", "3652059.0.0"),
                ("/me/tasks", "9" * 40 + ".0.0"), ("/me/tasks", "9" * 20 + "." + "9" * 30 + ".9")]


@pytest.mark.parametrize("path, cursor", PAST_THE_END)
def test_a_cursor_past_the_end_is_an_empty_page(api, overdue_in_two_countries, path, cursor):
    for who in ("global_auditor", "reviewer"):
        assert api.get(path, who).get_json()["items"] or who == "global_auditor"
        body = api.get(path, who, query_string={"cursor": cursor}).get_json()
        assert body == {"items": [], "next_cursor": None}, who


# -- whom plans wait on -------------------------------------------------------------------
WAITING = {  # who asks: the `waiting` counts of /status
    "global_auditor": [("THA", "approver", 1), ("THA", "committee", 1), ("THA", "drafter", 3),
                       ("THA", "submitter", 1), ("VNM", "drafter", 1)],
    "viewer": [("THA", "approver", 1), ("THA", "committee", 1), ("THA", "drafter", 3),
               ("THA", "submitter", 1)],
    "vnm_viewer": [("VNM", "drafter", 1)],
    "committee": [("THA", "committee", 1)],
}
STATES = ["draft", "stakeholder_review", "national_approval", "approved", "submitted",
          "acknowledged", "withdrawn", "draft"]


@pytest.fixture
def plans_in_every_state(make_plan):
    ids = {(state, i): make_plan(state) for i, state in enumerate(STATES)}
    ids["vnm"] = make_plan("draft", country="VNM")
    return ids


def test_status_counts_plans_by_whom_they_wait_on(api, plans_in_every_state):
    for who, expected in WAITING.items():
        body = api.get("/status", who).get_json()
        assert [(w["country"], w["role"], w["count"]) for w in body["waiting"]] == expected, who


def test_the_status_body_is_what_its_schema_documents(api, client, plans_in_every_state,
                                                      make_plan, app):
    """/status is written as JSON directly, not dumped by marshmallow: for every kind of
    caller it is what the dump would give and what the OpenAPI document describes."""
    make_plan("stakeholder_review", country="VNM")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)  # and overdue counts
    document = client.get("/openapi.json").get_json()
    described = document["paths"]["/api/v1/status"]["get"]["responses"]["200"]["content"][
        "application/json"]["schema"]
    validator = jsonschema_rs.validator_for(
        {"allOf": [described], "components": document["components"]})
    assert not validator.is_valid({"plans": [{"country": "THA", "state": "draft"}],
                                   "waiting": [], "overdue": []})  # it does check rows
    for who in ("global_auditor", "viewer", "vnm_viewer", "committee", "drafter"):
        response = api.get("/status", who)
        body = response.get_json()
        assert response.status_code == 200 and response.mimetype == "application/json"
        assert StatusSchema().validate(body) == {} and StatusSchema().dump(body) == body, who
        assert [e.message for e in validator.iter_errors(body)] == [], who
        assert body["plans"] and all(row["count"] > 0 for row in body["plans"]), who
    assert api.get("/status", "global_auditor").get_json()["overdue"] == [
        {"country": "THA", "count": 1}, {"country": "VNM", "count": 1}]


WAITING_ON = [  # (role, who asks, the states of the plans listed, "vnm-" for Viet Nam's)
    ("drafter", "global_auditor", ["draft", "stakeholder_review", "draft", "vnm-draft"]),
    ("drafter", "viewer", ["draft", "stakeholder_review", "draft"]),
    ("approver", "viewer", ["national_approval"]),
    ("submitter", "auditor", ["approved"]),
    ("committee", "committee", ["submitted"]),
    ("drafter", "committee", []),
    ("reviewer", "global_auditor", []),
    ("drafter", "vnm_viewer", ["vnm-draft"]),
]


def test_plans_filter_by_the_role_they_wait_on(api, plans_in_every_state):
    for role, who, expected in WAITING_ON:
        items = api.get(f"/plans?waiting_on={role}", who).get_json()["items"]
        found = [("vnm-" if p["country"] == "VNM" else "") + p["state"] for p in items]
        assert found == expected, (role, who)


def test_an_unknown_role_or_sort_is_refused(api):
    for query in ("waiting_on=boss", "waiting_on=assigned_reviewer", "sort=title",
                  "updated_since=yesterday", "updated_since=2026-01-01T00:00:00"):
        problem = assert_problem(api.get(f"/plans?{query}", "viewer"), 422, "validation_error")
        assert query.split("=")[0] in problem["errors"], query


# -- sort=updated and updated_since -------------------------------------------------------
def walk(api, query, who, limit):
    items, cursor = [], None
    while True:
        page = {**dict(parse_qsl(query)), "limit": limit, **({"cursor": cursor} if cursor else {})}
        body = api.get("/plans", who, query_string=page).get_json()
        items += [p["id"] for p in body["items"]]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_plans_sorted_by_update_page_past_the_first_page(api, make_plan):
    first, second, third, other = (make_plan("draft"), make_plan("draft"), make_plan("draft"),
                                   make_plan("draft", country="VNM"))
    api.patch(f"/plans/{first}", "drafter", json={"title": "Touched"},
              headers={"If-Match": api.etag(first)})
    assert walk(api, "sort=updated", "viewer", 1) == [second, third, first]
    assert walk(api, "sort=updated", "global_auditor", 2) == [second, third, other, first]
    assert walk(api, "", "viewer", 1) == [first, second, third]  # the default order stays


def test_a_plan_changed_while_paging_by_update_comes_again_and_none_is_skipped(
        api, make_plan):
    ids = [make_plan("draft") for _ in range(3)]
    page = api.get("/plans?sort=updated&limit=2", "viewer").get_json()
    assert [p["id"] for p in page["items"]] == ids[:2]
    api.patch(f"/plans/{ids[0]}", "drafter", json={"title": "Touched"},
              headers={"If-Match": api.etag(ids[0])})
    rest = api.get("/plans", "viewer", query_string={
        "sort": "updated", "limit": 10, "cursor": page["next_cursor"]}).get_json()
    assert [p["id"] for p in rest["items"]] == [ids[2], ids[0]]


def test_updated_since_lists_plans_changed_from_then_on(api, make_plan):
    old, touched = make_plan("draft"), make_plan("draft")
    make_plan("draft", country="VNM")
    since = api.plan(touched)["updated_at"]
    api.patch(f"/plans/{old}", "drafter", json={"title": "Touched"},
              headers={"If-Match": api.etag(old)})
    for query, who, expected in [
            (f"updated_since={since}", "viewer", [old, touched]),
            (f"updated_since={since}&sort=updated", "viewer", [touched, old]),
            (f"updated_since={since}&state=submitted", "viewer", []),
            ("updated_since=2999-01-01T00:00:00Z", "global_auditor", [])]:
        assert walk(api, query, who, 1) == expected, query


def test_a_cursor_of_one_sort_order_names_a_position_in_the_other(api, make_plan):
    # Every cursor the document's pattern allows is accepted: by id, `<micros>.<id>` is
    # the id; by update, `<id>` alone is (time 0, id), before every plan.
    first, second, third = (make_plan("draft") for _ in range(3))
    api.patch(f"/plans/{first}", "drafter", json={"title": "Touched"},
              headers={"If-Match": api.etag(first)})
    by_id = api.get("/plans?limit=1", "viewer").get_json()["next_cursor"]
    by_update = api.get("/plans?limit=1&sort=updated", "viewer").get_json()["next_cursor"]
    assert (by_id, by_update.rpartition(".")[2]) == (str(first), str(second))
    for query, expected in [(f"cursor={by_update}", [third]),
                            (f"sort=updated&cursor={by_id}", [second, third, first])]:
        listed = api.get(f"/plans?{query}", "viewer").get_json()["items"]
        assert [p["id"] for p in listed] == expected, query


# -- GET /me/tasks ------------------------------------------------------------------------
TASKS = {  # who asks: (kind, state of the plan, triggers) oldest first, for plans_in_every_state
    "drafter": [],  # its drafts have no reviewer yet; the plan in review has no decision yet
    "reviewer": [("review", "stakeholder_review", [])],
    "approver": [("transition", "national_approval", ["approve"])],
    "submitter": [("transition", "approved", ["submit_to_committee"])],
    "committee": [("transition", "submitted", ["acknowledge"])],
    "viewer": [], "auditor": [], "global_auditor": [], "admin": [],
    "vnm_drafter": [],
    "vnm_approver": [],
}


def test_my_tasks_are_what_the_caller_can_act_on_now(api, plans_in_every_state):
    for who, expected in TASKS.items():
        items = api.get("/me/tasks", who).get_json()["items"]
        found = [(t["kind"], t["plan"]["state"], [g["trigger"] for g in t["triggers"]])
                 for t in items]
        assert found == expected, who
        assert [t["since"] for t in items] == sorted(t["since"] for t in items), who


def test_a_review_owed_is_a_task_and_endorsing_waits_for_it(api, make_plan):
    plan_id = make_plan("draft")
    for username in ("reviewer", "reviewer2"):
        api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": username})
    [task] = api.get("/me/tasks", "drafter").get_json()["items"]
    assert (task["plan"]["id"], task["triggers"]) == (
        plan_id, [{"trigger": "submit_for_review", "ready": True, "reasons": []}])
    assert api.get("/me/tasks", "vnm_drafter").get_json()["items"] == []
    api.fire(plan_id, "submit_for_review", "drafter")
    steps = [  # (who reviews, then: the tasks of drafter, reviewer, reviewer2)
        (None, [], [("review", day(30), False)], [("review", day(30), False)]),
        ("reviewer", [], [], [("review", day(30), False)]),
        ("reviewer2", [("transition", None, False)], [], []),
    ]
    for reviewer, *expected in steps:
        if reviewer:
            api.post(f"/plans/{plan_id}/reviews", reviewer, json={"decision": "approve"})
        for who, tasks in zip(("drafter", "reviewer", "reviewer2"), expected, strict=True):
            items = api.get("/me/tasks", who).get_json()["items"]
            assert [(t["kind"], t["due"], t["overdue"]) for t in items] == tasks, (reviewer, who)


def test_four_eyes_an_approver_who_wrote_the_plan_has_no_task(api, make_user, make_plan):
    both = make_user("both", "drafter:THA", "approver:THA")
    plan_id = api.post("/plans", both, json={"country": "THA", "title": "Mine"}).get_json()["id"]
    make_plan("national_approval")
    assert api.plan(plan_id)["state"] == "draft"
    items = api.get("/me/tasks", both).get_json()["items"]
    assert [(t["plan"]["state"], [g["trigger"] for g in t["triggers"]]) for t in items] == [
        ("national_approval", ["approve"])]  # the empty draft of its own has no measures


@pytest.fixture
def busy(api, make_user, make_plan):
    """A Thai user who drafts, reviews and approves, with tasks of both kinds, and plans in
    between that are no task: (the user, its tasks oldest first as (kind, plan id))."""
    user = make_user("busy", "drafter:THA", "reviewer:THA", "approver:THA")
    make_plan("draft", content={"measures": []})  # cannot be sent for review: no task
    approvals = [make_plan("national_approval") for _ in range(2)]
    reviews = []
    for _ in range(2):
        reviews.append(make_plan("stakeholder_review"))
        assert api.post(f"/plans/{reviews[-1]}/reviewers", "drafter",
                        json={"username": user.username}).status_code == 201
    make_plan("draft", content={"measures": []})
    ready = make_plan("draft")
    api.post(f"/plans/{ready}/reviewers", "drafter", json={"username": "reviewer"})
    make_plan("national_approval", country="VNM")  # another country's: no task
    return user, [("transition", approvals[0]), ("transition", approvals[1]),
                  ("review", reviews[0]), ("review", reviews[1]), ("transition", ready)]


@pytest.mark.parametrize("limit", [1, 2, 3, 5, 500])
def test_my_tasks_page_oldest_first_past_the_first_page(api, busy, limit):
    user, expected = busy
    found = pages(api, "/me/tasks", user, limit)
    assert [len(page) for page in found] == [
        min(limit, len(expected) - i) for i in range(0, len(expected), limit)]
    tasks = [t for page in found for t in page]
    assert [(t["kind"], t["plan"]["id"]) for t in tasks] == expected
    assert [t["since"] for t in tasks] == sorted(t["since"] for t in tasks)


def test_a_task_that_arises_or_is_done_while_paging(api, busy, make_plan):
    user, expected = busy
    first = api.get("/me/tasks?limit=2", user).get_json()
    assert [t["plan"]["id"] for t in first["items"]] == [p for _, p in expected[:2]]
    arisen = make_plan("national_approval")  # enters its state now: the newest task
    api.post(f"/plans/{expected[2][1]}/reviews", user, json={"decision": "approve"})
    rest = pages(api, "/me/tasks", user, 2, cursor=first["next_cursor"])
    assert [(t["kind"], t["plan"]["id"]) for page in rest for t in page] == [
        *expected[3:], ("transition", arisen)]
