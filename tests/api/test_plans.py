"""POST /plans, GET /plans/{id} and PATCH /plans/{id}: a plan, its ETag and its content."""

import pytest

from tests.api.api_support import CONTENT, MEASURE, NORMAL_CONTENT, assert_problem

PLAN_FIELDS = {"id", "country", "title", "workflow", "state", "revision", "content_version",
               "content", "submission", "available_triggers"}


def create(api, who="drafter", **body):
    return api.post("/plans", who, json={"country": "THA", "title": "Plan 2026", **body})


# -- create ------------------------------------------------------------------------------
def test_create_answers_201_with_location_etag_and_the_plan(api):
    response = create(api, content=CONTENT)
    assert response.status_code == 201
    plan = response.get_json()
    assert set(plan) >= PLAN_FIELDS
    assert response.headers["Location"].endswith(f"/api/v1/plans/{plan['id']}")
    assert response.headers["ETag"]
    assert plan["country"] == "THA" and plan["title"] == "Plan 2026"
    assert plan["workflow"] == "nap-1540"  # the default
    assert (plan["state"], plan["revision"], plan["content_version"]) == ("draft", 1, 1)
    assert plan["content"] == NORMAL_CONTENT
    assert plan["submission"] is None
    assert plan["created_by"] == "drafter"


def test_the_location_of_a_new_plan_serves_it_with_the_same_etag(api):
    response = create(api, content=CONTENT)
    fetched = api.client.get(response.headers["Location"], headers=api.people["viewer"].headers)
    assert fetched.status_code == 200
    assert fetched.headers["ETag"] == response.headers["ETag"]
    assert fetched.get_json()["content"] == response.get_json()["content"]


def test_create_without_content_makes_an_empty_draft(api):
    plan = create(api).get_json()
    assert plan["content"] == {"measures": []}


INVALID = [  # (fields sent on top of a valid create, the path of the error)
    ({"country": "tha"}, "country"),
    ({"country": "XXX"}, "country"),
    ({"title": "  "}, "title"),
    ({"workflow": "nap-9999"}, "workflow"),
    ({"content": {"measures": [{**MEASURE, "description": " "}]}},
     "content.measures.0.description"),
    ({"content": {"measures": [{**MEASURE, "obligation": "OP4"}]}},
     "content.measures.0.obligation"),
    ({"content": {"measures": [{**MEASURE, "colour": "red"}]}}, "content.measures.0.colour"),
    ({"content": {"period": {"start": "2027-01-01", "end": "2026-01-01"}}}, "content.period.end"),
    ({"content": []}, "content"),
    ({"owner": "someone"}, "owner"),
]


def test_create_refuses_invalid_fields_keyed_by_path(api):
    for body, field in INVALID:
        problem = assert_problem(create(api, **body), 422, "validation_error")
        assert field in problem["errors"], (body, problem["errors"])
    assert api.get("/plans", "drafter").get_json()["items"] == []


def test_create_requires_country_and_title(api):
    problem = assert_problem(api.post("/plans", "drafter", json={}), 422, "validation_error")
    assert {"country", "title"} <= set(problem["errors"])


def test_only_a_drafter_of_the_country_may_create(api):
    # admin is not a drafter by virtue of being admin
    for who in ("vnm_drafter", "approver", "viewer", "admin", "committee", "global_auditor"):
        assert_problem(create(api, who), 403, "forbidden")
    assert api.get("/plans", "global_auditor").get_json()["items"] == []


# -- read --------------------------------------------------------------------------------
# For each state, the triggers each Thai role sees and whether they are ready; others see none.
AVAILABLE = {
    "draft": {"drafter": {"submit_for_review": False, "withdraw": True},
              "approver": {"withdraw": True}},
    "stakeholder_review": {"drafter": {"endorse": False, "request_changes": True,
                                       "withdraw": True},
                           "reviewer": {"request_changes": True}, "approver": {"withdraw": True}},
    "national_approval": {"drafter": {"withdraw": True},
                          "approver": {"approve": True, "return": True, "withdraw": True}},
    "approved": {"drafter": {"withdraw": True}, "approver": {"return": True, "withdraw": True},
                 "submitter": {"submit_to_committee": True}},
    "submitted": {"committee": {"acknowledge": True}},
    "acknowledged": {"drafter": {"revise": True}},
    "withdrawn": {},
}


@pytest.mark.parametrize("state", list(AVAILABLE))
def test_available_triggers_are_those_the_callers_roles_may_fire_now(api, make_plan, state):
    plan_id = make_plan(state)
    everyone = ["drafter", "reviewer", "reviewer2", "approver", "submitter", "viewer",
                "auditor", "global_auditor"]
    for who in everyone + (["committee"] if state in ("submitted", "acknowledged") else []):
        triggers = api.plan(plan_id, who)["available_triggers"]
        assert {t["trigger"]: t["ready"] for t in triggers} == AVAILABLE[state].get(who, {}), who
        for t in triggers:
            assert set(t) == {"trigger", "ready", "reasons"}
            assert t["ready"] == (t["reasons"] == [])


def test_a_trigger_not_ready_says_why(api, make_plan):
    [submit, _] = api.plan(make_plan("draft"))["available_triggers"]
    assert submit == {"trigger": "submit_for_review", "ready": False,
                      "reasons": ["no required reviewer is assigned"]}


def test_endorse_is_not_ready_until_the_reviewer_approves(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    [endorse] = [t for t in api.plan(plan_id)["available_triggers"] if t["trigger"] == "endorse"]
    assert endorse["reasons"] == ["required reviewer reviewer has not approved version 1"]


def test_approve_is_not_ready_for_an_approver_who_wrote_the_content(api, make_plan, make_user):
    both = make_user("both", "drafter:THA", "approver:THA")
    plan_id = create(api, both, content=CONTENT).get_json()["id"]
    assert api.post(f"/plans/{plan_id}/reviewers", both, json={"username": "reviewer"}
                    ).status_code == 201
    assert api.fire(plan_id, "submit_for_review", both).status_code == 200
    assert api.post(f"/plans/{plan_id}/reviews", "reviewer", json={"decision": "approve"}
                    ).status_code == 201
    assert api.fire(plan_id, "endorse", both).status_code == 200
    [approve] = [t for t in api.plan(plan_id, both)["available_triggers"]
                 if t["trigger"] == "approve"]
    assert approve["ready"] is False and "four eyes" in approve["reasons"][0]
    problem = assert_problem(api.fire(plan_id, "approve", both), 422, "guard_failed")
    assert problem["reasons"] == approve["reasons"]
    assert api.fire(plan_id, "approve", "approver").status_code == 200


def test_get_of_an_unknown_plan_is_404(api):
    assert_problem(api.get("/plans/999", "drafter"), 404, "not_found")


# -- edit --------------------------------------------------------------------------------
def test_patch_needs_if_match(api, make_plan):
    plan_id = make_plan("draft")
    problem = assert_problem(api.patch(f"/plans/{plan_id}", "drafter", json={"title": "New"}),
                             428, "precondition_required")
    assert problem["status"] == 428
    assert api.plan(plan_id)["title"] == "National action plan"


def test_patch_with_a_stale_etag_is_412(api, make_plan):
    plan_id = make_plan("draft")
    stale = api.etag(plan_id)
    assert api.patch(f"/plans/{plan_id}", "drafter", json={"title": "First"},
                     headers={"If-Match": stale}).status_code == 200
    assert_problem(api.patch(f"/plans/{plan_id}", "drafter", json={"title": "Second"},
                             headers={"If-Match": stale}), 412, "precondition_failed")
    assert api.plan(plan_id)["title"] == "First"


def test_patch_replaces_the_content_and_makes_a_version(api, make_plan):
    plan_id = make_plan("draft")
    etag = api.etag(plan_id)
    new = {"measures": [MEASURE]}
    response = api.patch(f"/plans/{plan_id}", "drafter2", json={"content": new, "title": "New"},
                         headers={"If-Match": etag})
    assert response.status_code == 200
    plan = response.get_json()
    assert response.headers["ETag"] != etag
    assert response.headers["ETag"] == api.etag(plan_id)
    assert plan["title"] == "New" and plan["content_version"] == 2
    # Replaced as a whole: the summary and period of version 1 are gone, not merged.
    assert plan["content"] == {"measures": [{**MEASURE, "assistance_needed": False,
                                             "status": "planned"}]}
    versions = api.get(f"/plans/{plan_id}/versions", "drafter").get_json()["items"]
    assert [(v["number"], v["author"]) for v in versions] == [(1, "drafter"), (2, "drafter2")]
    [edit] = [e for e in api.history(plan_id) if e["action"] == "edit"]
    assert edit["actor"] == "drafter2" and edit["content_version"] == 2


def test_a_patch_that_changes_nothing_makes_no_version_and_no_event(api, make_plan):
    plan_id = make_plan("draft", content=CONTENT)
    before = api.snapshot(plan_id)
    # The same content in another spelling (defaults given explicitly) is no change either.
    response = api.patch(f"/plans/{plan_id}", "drafter",
                         json={"title": "National action plan", "content": NORMAL_CONTENT},
                         headers={"If-Match": before["etag"]})
    assert response.status_code == 200
    assert response.headers["ETag"] == before["etag"]
    assert api.snapshot(plan_id) == before


def test_patch_refuses_unknown_fields_keyed_by_path(api, make_plan):
    plan_id = make_plan("draft")
    bad = {"measures": [MEASURE, {**MEASURE, "description": ""}], "extra": 1}
    problem = assert_problem(api.patch(f"/plans/{plan_id}", "drafter",
                                       json={"content": bad, "state": "approved"},
                                       headers={"If-Match": api.etag(plan_id)}),
                             422, "validation_error")
    assert set(problem["errors"]) == {"content.measures.1.description", "content.extra", "state"}
    assert all(isinstance(m, list) and m for m in problem["errors"].values())


def test_content_changes_only_in_draft(api, make_plan):
    for state in ("stakeholder_review", "national_approval", "approved", "submitted",
                  "acknowledged", "withdrawn"):
        plan_id = make_plan(state)
        assert_problem(api.patch(f"/plans/{plan_id}", "drafter", json={"title": "Late"},
                                 headers={"If-Match": api.etag(plan_id)}), 409, "not_editable")


def test_only_a_drafter_may_patch(api, make_plan):
    plan_id = make_plan("draft")
    for who in ("approver", "reviewer", "viewer", "global_auditor"):
        assert_problem(api.patch(f"/plans/{plan_id}", who, json={"title": "Mine"},
                                 headers={"If-Match": api.etag(plan_id)}), 403, "forbidden")
