"""POST /plans/{id}/transitions: the lifecycle over HTTP, as the cast walks it."""

import pytest

from tests.api.api_support import CONTENT, MEASURE, REQUEST, assert_problem

STATES = ["draft", "stakeholder_review", "national_approval", "approved", "submitted",
          "acknowledged", "withdrawn"]
# Which triggers each state allows, as the 409 invalid_transition body lists them.
ALLOWED = {
    "draft": ["submit_for_review", "withdraw"],
    "stakeholder_review": ["endorse", "request_changes", "withdraw"],
    "national_approval": ["approve", "return", "withdraw"],
    "approved": ["return", "submit_to_committee", "withdraw"],
    "submitted": ["acknowledge"],
    "acknowledged": ["revise"],
    "withdrawn": [],
}


def test_a_plan_walks_from_draft_to_acknowledged_and_into_its_next_revision(api):
    # The drafter writes the plan and assigns a stakeholder agency.
    created = api.post("/plans", "drafter", json={"country": "THA", "title": "NAP 2026-2028",
                                                  "content": CONTENT})
    assert created.status_code == 201
    plan_id = created.get_json()["id"]
    assert api.post(f"/plans/{plan_id}/reviewers", "drafter",
                    json={"username": "reviewer"}).status_code == 201

    def step(who, trigger, state, **body):
        response = api.fire(plan_id, trigger, who, headers={"If-Match": api.etag(plan_id)},
                            **body)
        assert response.status_code == 200, response.get_json()
        assert response.get_json()["state"] == state
        assert response.headers["ETag"] == api.etag(plan_id)
        return response.get_json()

    step("drafter", "submit_for_review", "stakeholder_review")
    review = api.post(f"/plans/{plan_id}/reviews", "reviewer",
                      json={"decision": "approve", "comment": "customs agrees"})
    assert review.status_code == 201
    step("drafter", "endorse", "national_approval")
    step("approver", "approve", "approved")
    submitted = step("submitter", "submit_to_committee", "submitted",
                     data={"reference": " NV/2026/17 ", "publication_consent": False})
    submission = submitted["submission"]
    assert set(submission) == {"reference", "submitted_at", "publication_consent"}
    assert submission["reference"] == "NV/2026/17"
    assert submission["publication_consent"] is False
    assert submission["submitted_at"].endswith("Z")
    assert api.plan(plan_id, "committee")["submission"] == submission
    step("committee", "acknowledge", "acknowledged")
    revised = step("drafter", "revise", "draft")
    assert revised["revision"] == 2
    assert revised["submission"] == submission  # the last submission stays on record

    # The next revision starts over: reviewers kept, their earlier decisions no longer count.
    reviewers = api.get(f"/plans/{plan_id}/reviewers", "drafter").get_json()["items"]
    assert [r["username"] for r in reviewers] == ["reviewer"]
    step("drafter", "submit_for_review", "stakeholder_review")
    [endorse] = [t for t in api.plan(plan_id)["available_triggers"] if t["trigger"] == "endorse"]
    assert endorse["ready"] is False

    actions = [(e["actor"], e["action"], e["from_state"], e["to_state"])
               for e in api.history(plan_id)]
    assert actions == [
        ("drafter", "create", None, "draft"),
        ("drafter", "assign_reviewer", "draft", "draft"),
        ("drafter", "submit_for_review", "draft", "stakeholder_review"),
        ("reviewer", "review", "stakeholder_review", "stakeholder_review"),
        ("drafter", "endorse", "stakeholder_review", "national_approval"),
        ("approver", "approve", "national_approval", "approved"),
        ("submitter", "submit_to_committee", "approved", "submitted"),
        ("committee", "acknowledge", "submitted", "acknowledged"),
        ("drafter", "revise", "acknowledged", "draft"),
        ("drafter", "submit_for_review", "draft", "stakeholder_review"),
    ]
    verified = api.get(f"/plans/{plan_id}/history/verify", "auditor").get_json()
    assert verified["valid"] is True and verified["events"] == len(actions)


# (state, trigger, who, expected state) for every transition of nap-1540.
FIRED = [
    ("draft", "submit_for_review", "drafter", "stakeholder_review"),
    ("draft", "withdraw", "drafter", "withdrawn"),
    ("draft", "withdraw", "approver", "withdrawn"),
    ("stakeholder_review", "request_changes", "drafter", "draft"),
    ("stakeholder_review", "request_changes", "reviewer", "draft"),
    ("stakeholder_review", "withdraw", "drafter", "withdrawn"),
    ("national_approval", "approve", "approver", "approved"),
    ("national_approval", "return", "approver", "draft"),
    ("national_approval", "withdraw", "approver", "withdrawn"),
    ("approved", "return", "approver", "draft"),
    ("approved", "submit_to_committee", "submitter", "submitted"),
    ("approved", "withdraw", "drafter", "withdrawn"),
    ("submitted", "acknowledge", "committee", "acknowledged"),
    ("acknowledged", "revise", "drafter", "draft"),
]


def rows_from(table, state):
    return [row[1:] for row in table if row[0] == state]


@pytest.mark.parametrize("state", list(dict.fromkeys(row[0] for row in FIRED)))
def test_each_transition_fires_for_its_roles(api, make_plan, state):
    for trigger, who, dest in rows_from(FIRED, state):
        plan_id = make_plan(state)  # a fresh plan for each firing
        if trigger == "submit_for_review":
            api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
        response = api.fire(plan_id, trigger, who, **REQUEST.get(trigger, {}))
        assert response.status_code == 200, (trigger, who, response.get_json())
        assert response.get_json()["state"] == dest
        last = api.history(plan_id)[-1]
        assert (last["action"], last["actor"], last["to_state"]) == (trigger, who, dest)
        assert last["comment"] == REQUEST.get(trigger, {}).get("comment")


# (state, trigger, who): roles that may not fire the trigger, answered 403 in any state.
REFUSED_ROLES = [
    ("draft", "submit_for_review", "reviewer"),
    ("draft", "withdraw", "viewer"),
    ("stakeholder_review", "endorse", "reviewer"),
    ("stakeholder_review", "request_changes", "reviewer2"),  # a reviewer, but not assigned
    ("national_approval", "approve", "drafter"),
    ("national_approval", "approve", "global_auditor"),
    ("approved", "submit_to_committee", "approver"),
    ("submitted", "acknowledge", "submitter"),
    ("acknowledged", "revise", "approver"),
    ("draft", "approve", "drafter"),          # a role problem outranks a state problem
]


@pytest.mark.parametrize("state", list(dict.fromkeys(row[0] for row in REFUSED_ROLES)))
def test_a_role_that_may_not_fire_the_trigger_is_403(api, make_plan, state):
    plan_id = make_plan(state)
    before = api.snapshot(plan_id)
    for trigger, who in rows_from(REFUSED_ROLES, state):
        assert_problem(api.fire(plan_id, trigger, who, **REQUEST.get(trigger, {})), 403,
                       "forbidden")
    assert api.snapshot(plan_id) == before


def test_admin_is_no_drafter_even_where_it_sees_the_plan(api, make_plan, make_user):
    # admin alone does not see plans (404); with a viewer grant it sees them, fires nothing.
    plan_id = make_plan("draft")
    assert_problem(api.fire(plan_id, "withdraw", "admin", comment="x"), 404, "not_found")
    admin_viewer = make_user("admin-viewer", "admin", "viewer:THA")
    assert api.plan(plan_id, admin_viewer)["available_triggers"] == []
    for trigger in ("withdraw", "submit_for_review"):
        assert_problem(api.fire(plan_id, trigger, admin_viewer, comment="x"), 403, "forbidden")


@pytest.mark.parametrize(("state", "trigger", "who"), [
    ("draft", "endorse", "drafter"),
    ("draft", "return", "approver"),
    ("stakeholder_review", "submit_for_review", "drafter"),
    ("approved", "approve", "approver"),
    ("submitted", "withdraw", "drafter"),
    ("acknowledged", "acknowledge", "committee"),
    ("withdrawn", "revise", "drafter"),
])
def test_a_trigger_from_the_wrong_state_is_409_with_the_allowed_triggers(
        api, make_plan, state, trigger, who):
    plan_id = make_plan(state)
    problem = assert_problem(api.fire(plan_id, trigger, who, **REQUEST.get(trigger, {})), 409,
                             "invalid_transition")
    assert problem["state"] == state
    assert problem["allowed_triggers"] == ALLOWED[state]


def test_a_trigger_the_workflow_does_not_have_is_422_unknown_trigger(api, make_plan):
    plan_id = make_plan("draft")
    for trigger in ("to_submitted", "publish", "Approve", "submitted"):
        problem = assert_problem(api.fire(plan_id, trigger, "drafter"), 422, "unknown_trigger")
        assert "submit_for_review" in problem["triggers"]


# (state, trigger, who, request body, expected reasons): guards that do not hold yet.
GUARDS = [
    ("draft", "submit_for_review", "drafter", {},
     ["no required reviewer is assigned"]),
    ("stakeholder_review", "endorse", "drafter", {},
     ["required reviewer reviewer has not approved version 1"]),
    ("stakeholder_review", "request_changes", "drafter", {}, ["a comment is required"]),
    ("national_approval", "return", "approver", {"comment": "  "}, ["a comment is required"]),
    ("draft", "withdraw", "drafter", {}, ["a comment is required"]),
    ("approved", "submit_to_committee", "submitter", {"data": {"publication_consent": True}},
     ["data.reference (note verbale or letter reference) is required"]),
    ("approved", "submit_to_committee", "submitter", {"data": {"reference": "NV/1"}},
     ["data.publication_consent must be true or false"]),
]


@pytest.mark.parametrize("state", list(dict.fromkeys(row[0] for row in GUARDS)))
def test_a_guard_that_does_not_hold_is_422_with_its_reasons(api, make_plan, state):
    plan_id = make_plan(state)
    before = api.snapshot(plan_id)
    for trigger, who, body, reasons in rows_from(GUARDS, state):
        problem = assert_problem(api.fire(plan_id, trigger, who, **body), 422, "guard_failed")
        assert problem["reasons"] == reasons, (trigger, body)
    assert api.snapshot(plan_id) == before


def test_submit_for_review_needs_at_least_one_measure(api, make_plan):
    plan_id = make_plan("draft", content={"summary": "not yet"})
    api.post(f"/plans/{plan_id}/reviewers", "drafter", json={"username": "reviewer"})
    problem = assert_problem(api.fire(plan_id, "submit_for_review", "drafter"), 422,
                             "guard_failed")
    assert problem["reasons"] == ["content has no measures: at least one is needed before review"]


def test_an_edit_after_the_review_makes_the_reviews_stop_counting(api, make_plan):
    plan_id = make_plan("stakeholder_review")
    api.post(f"/plans/{plan_id}/reviews", "reviewer", json={"decision": "approve"})
    api.fire(plan_id, "request_changes", "drafter", comment="one more measure")
    api.patch(f"/plans/{plan_id}", "drafter", json={"content": {"measures": [MEASURE]}},
              headers={"If-Match": api.etag(plan_id)})
    api.fire(plan_id, "submit_for_review", "drafter")
    problem = assert_problem(api.fire(plan_id, "endorse", "drafter"), 422, "guard_failed")
    assert problem["reasons"] == ["required reviewer reviewer has not approved version 2"]


def test_if_match_is_optional_on_transitions_but_checked_when_given(api, make_plan):
    for if_match, status in [(None, 200), ("*", 200), ("stale", 412), ("current", 200),
                             ("list", 200)]:
        plan_id = make_plan("draft")
        etag = api.etag(plan_id)
        tags = {"stale": '"999.1"', "current": etag, "list": f'"999.1", {etag}'}
        headers = {} if if_match is None else {"If-Match": tags.get(if_match, if_match)}
        response = api.fire(plan_id, "withdraw", "drafter", headers=headers, comment="gone")
        assert response.status_code == status, if_match
        if status == 412:
            assert_problem(response, 412, "precondition_failed")
            assert api.plan(plan_id)["state"] == "draft"


MALFORMED = [  # (transition request, the path of its error)
    ({}, "trigger"),
    ({"trigger": "withdraw", "comment": 5}, "comment"),
    ({"trigger": "withdraw", "data": []}, "data"),
    ({"trigger": "withdraw", "why": "no"}, "why"),
    ({"trigger": "submit_to_committee", "data": {"reference": "NV", "note": "x"}}, "data.note"),
    ({"trigger": "submit_to_committee", "data": {"reference": 17}}, "data.reference"),
]


def test_a_malformed_transition_request_is_422_validation_error(api, make_plan):
    plan_id = make_plan("approved")
    for body, field in MALFORMED:
        problem = assert_problem(api.post(f"/plans/{plan_id}/transitions", "submitter",
                                          json=body), 422, "validation_error")
        assert field in problem["errors"], (body, problem["errors"])
    assert api.plan(plan_id)["state"] == "approved"
