"""guard_failed: each unmet condition named in `reasons`, and nothing stored."""

from workflow import service
from workflow.errors import GuardFailed


def reasons(err: GuardFailed) -> list[str]:
    assert err.extra["reasons"] == err.reasons
    return err.reasons


def test_a_plan_without_measures_is_not_sent_for_review(make_plan, call, refused):
    plan_id = make_plan(content={"summary": "Intentions only"})
    call("drafter", service.assign_reviewer, plan_id, username="reviewer")
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "submit_for_review")
    assert len(reasons(err)) == 1 and "no measures" in err.reasons[0]


def test_a_plan_needs_a_required_reviewer_before_review(make_plan, call, refused):
    plan_id = make_plan(content={"summary": "Intentions only"})
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "submit_for_review")
    assert len(reasons(err)) == 2  # every unmet condition, not only the first
    assert "no measures" in err.reasons[0] and "no required reviewer" in err.reasons[1]

    plan_id = make_plan()
    call("drafter", service.assign_reviewer, plan_id, username="reviewer", required=False)
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "submit_for_review")
    assert reasons(err) == ["no required reviewer is assigned"]


def test_endorse_needs_every_required_approval_and_no_request_for_changes(
        make_plan, call, refused):
    plan_id = make_plan("stakeholder_review")
    call("drafter", service.assign_reviewer, plan_id, username="reviewer2", required=False)
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
    assert reasons(err) == ["required reviewer reviewer has not approved version 1"]

    call("reviewer", service.record_review, plan_id, decision="approve")
    call("reviewer2", service.record_review, plan_id, decision="request_changes",
         comment="customs is missing")
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
    # an optional reviewer need not approve, but one asking for changes holds the plan back
    assert reasons(err) == ["reviewer reviewer2 requests changes on version 1"]


def test_transitions_that_need_a_comment(make_plan, refused):
    cases = [("stakeholder_review", "request_changes", "drafter"),
             ("stakeholder_review", "request_changes", "reviewer"),
             ("stakeholder_review", "withdraw", "drafter"),
             ("national_approval", "return", "approver"),
             ("national_approval", "withdraw", "approver"),
             ("approved", "return", "approver"),
             ("draft", "withdraw", "drafter")]
    plans = {state: make_plan(state) for state, _, _ in cases}
    for state, trigger, role in cases:
        for comment in (None, "", "   "):
            err = refused(GuardFailed, role, service.fire, plans[state], trigger,
                          comment=comment)
            assert reasons(err) == ["a comment is required"], (trigger, role, comment)


def test_submission_needs_a_reference_and_a_publication_choice(make_plan, refused, call):
    plan_id = make_plan("approved")
    for data, missing in [({}, ["reference", "publication_consent"]),
                          ({"reference": "  ", "publication_consent": False}, ["reference"]),
                          ({"reference": "NV/1", "publication_consent": None},
                           ["publication_consent"]),
                          ({"reference": None}, ["reference", "publication_consent"])]:
        err = refused(GuardFailed, "submitter", service.fire, plan_id, "submit_to_committee",
                      data=data)
        assert len(reasons(err)) == len(missing), data
        for reason, field in zip(err.reasons, missing, strict=True):
            assert f"data.{field}" in reason
    plan = call("submitter", service.fire, plan_id, "submit_to_committee",
                data={"reference": "NV/1", "publication_consent": False})
    assert plan.state == "submitted"
