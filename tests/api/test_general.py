"""GET /me, /workflows and /status: the caller, the lifecycle as data, and the overview."""

from tests.api.api_support import assert_problem

NAP_TRIGGERS = ["submit_for_review", "endorse", "request_changes", "approve", "return",
                "submit_to_committee", "acknowledge", "revise", "withdraw"]


ME = [  # (who in the cast, username, grants)
    ("drafter", "drafter", ["drafter:THA"]),
    ("vnm_approver", "vnm-approver", ["approver:VNM"]),
    ("committee", "committee", ["committee"]),
    ("global_auditor", "global-auditor", ["auditor"]),
]


def test_me_names_the_caller_and_its_grants(api):
    for who, username, grants in ME:
        response = api.get("/me", who)
        assert response.status_code == 200
        assert response.get_json() == {"username": username, "grants": grants}


def test_me_lists_every_grant_of_a_user_holding_several(api, make_user):
    person = make_user("multi", "drafter:THA", "approver:VNM", "committee")
    assert sorted(api.get("/me", person).get_json()["grants"]) == [
        "approver:VNM", "committee", "drafter:THA"]


def test_workflows_lists_nap_1540_with_states_and_transitions(api):
    response = api.get("/workflows", "viewer")
    assert response.status_code == 200
    body = response.get_json()
    assert body["next_cursor"] is None
    [workflow] = [w for w in body["items"] if w["key"] == "nap-1540"]
    assert workflow["initial"] == "draft"
    assert [s["name"] for s in workflow["states"]] == [
        "draft", "stakeholder_review", "national_approval", "approved", "submitted",
        "acknowledged", "withdrawn"]
    assert [t["trigger"] for t in workflow["transitions"]] == NAP_TRIGGERS
    for transition in workflow["transitions"]:
        assert {"trigger", "source", "dest", "roles", "guards"} <= set(transition)


TRANSITIONS = [  # (trigger, source, dest, roles, guards) as GET /workflows/nap-1540 shows them
    ("submit_for_review", ["draft"], "stakeholder_review", ["drafter"],
     ["content_complete", "has_required_reviewer"]),
    ("request_changes", ["stakeholder_review"], "draft", ["drafter", "assigned_reviewer"],
     ["comment"]),
    ("approve", ["national_approval"], "approved", ["approver"], ["approver_not_author"]),
    ("return", ["national_approval", "approved"], "draft", ["approver"], ["comment"]),
    ("submit_to_committee", ["approved"], "submitted", ["submitter"], ["submission_data"]),
    ("acknowledge", ["submitted"], "acknowledged", ["committee"], []),
    ("withdraw", ["draft", "stakeholder_review", "national_approval", "approved"], "withdrawn",
     ["drafter", "approver"], ["comment"]),
]


def test_workflow_by_key_describes_each_transition(api):
    response = api.get("/workflows/nap-1540", "drafter")
    assert response.status_code == 200
    described = {t["trigger"]: t for t in response.get_json()["transitions"]}
    for trigger, source, dest, roles, guards in TRANSITIONS:
        shown = described[trigger]
        assert (shown["source"], shown["dest"], shown["roles"], shown["guards"]) == (
            source, dest, roles, guards), trigger


def test_unknown_workflow_is_404(api):
    assert_problem(api.get("/workflows/nap-9999", "drafter"), 404, "not_found")


def test_status_counts_visible_plans_by_country_and_state(api, make_plan):
    make_plan("draft")
    make_plan("draft")
    make_plan("approved")
    make_plan("draft", country="VNM")
    response = api.get("/status", "viewer")
    assert response.status_code == 200
    body = response.get_json()
    assert body["plans"] == [{"country": "THA", "state": "approved", "count": 1},
                             {"country": "THA", "state": "draft", "count": 2}]
    assert body["overdue"] == []
    everyone = api.get("/status", "global_auditor").get_json()["plans"]
    assert {"country": "VNM", "state": "draft", "count": 1} in everyone


def test_status_shows_the_committee_only_submitted_plans(api, make_plan):
    make_plan("approved")
    make_plan("submitted", country="VNM")
    assert api.get("/status", "committee").get_json()["plans"] == [
        {"country": "VNM", "state": "submitted", "count": 1}]
