"""Which reviews count, four eyes, and what available_triggers tells each caller."""

import pytest

from models import ContentVersion, ReviewerAssignment
from workflow import service, users
from workflow.access import load_plan
from workflow.errors import GuardFailed

MEASURE = {"obligation": "OP2", "description": "Criminalise proliferation financing",
           "lead_agency": "Ministry of Justice"}


@pytest.fixture
def available(session_factory, people):
    """available("drafter", plan_id) -> {trigger: (ready, reasons)} as that caller sees it."""
    def read(name: str, plan_id: int) -> dict[str, tuple[bool, list[str]]]:
        with session_factory() as session:
            actor = users.get_user(session, people[name].username if name in people else name)
            plan = load_plan(session, actor, plan_id)
            return {t["trigger"]: (t["ready"], t["reasons"])
                    for t in service.available_triggers(session, actor, plan)}
    return read


def test_only_a_reviewers_latest_decision_counts(make_plan, call, refused):
    plan_id = make_plan("stakeholder_review")
    call("reviewer", service.record_review, plan_id, decision="approve")
    call("reviewer", service.record_review, plan_id, decision="request_changes", comment="wait")
    refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
    call("reviewer", service.record_review, plan_id, decision="approve")
    assert call("drafter", service.fire, plan_id, "endorse").state == "national_approval"


def test_approvals_of_an_older_version_stop_counting_after_an_edit(make_plan, call, refused, db):
    plan_id = make_plan("stakeholder_review")
    call("reviewer", service.record_review, plan_id, decision="approve")
    call("drafter", service.fire, plan_id, "request_changes", comment="add OP2")
    plan = call("drafter", service.edit_plan, plan_id, content={"measures": [MEASURE]})
    assert plan.content_version == 2
    call("drafter", service.fire, plan_id, "submit_for_review")

    err = refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
    assert err.reasons == ["required reviewer reviewer has not approved version 2"]
    call("reviewer", service.record_review, plan_id, decision="approve")
    assert call("drafter", service.fire, plan_id, "endorse").state == "national_approval"
    versions = db.query(ContentVersion).filter_by(plan_id=plan_id).order_by("number").all()
    assert [(v.number, v.author) for v in versions] == [(1, "drafter"), (2, "drafter")]


def test_an_edit_that_changes_nothing_makes_no_version(make_plan, call, plan_row):
    plan_id = make_plan("draft", content={"measures": [MEASURE]})
    before = plan_row(plan_id)
    # the same content in another spelling: defaults left out, or spelled out
    for same in ({"measures": [MEASURE]},
                 {"measures": [{**MEASURE, "assistance_needed": False, "status": "planned"}]}):
        call("drafter", service.edit_plan, plan_id, content=same)
    after = plan_row(plan_id)
    assert (after.content_version, after.audit_seq) == (1, before.audit_seq)


def test_revise_resets_decisions_and_keeps_assignments(make_plan, call, refused, db):
    plan_id = make_plan("acknowledged")
    plan = call("drafter", service.fire, plan_id, "revise")
    assert (plan.state, plan.revision, plan.content_version) == ("draft", 2, 1)
    assigned = db.query(ReviewerAssignment).filter_by(plan_id=plan_id).all()
    assert [a.username for a in assigned] == ["reviewer"]

    call("drafter", service.fire, plan_id, "submit_for_review")  # no need to assign again
    err = refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
    # same content version, but the approval belongs to revision 1
    assert err.reasons == ["required reviewer reviewer has not approved version 1"]
    call("reviewer", service.record_review, plan_id, decision="approve")
    assert call("drafter", service.fire, plan_id, "endorse").state == "national_approval"


@pytest.fixture
def to_approval(call):
    """Send a draft plan through review to national approval."""
    def walk(plan_id: int) -> None:
        call("drafter", service.assign_reviewer, plan_id, username="reviewer")
        call("drafter", service.fire, plan_id, "submit_for_review")
        call("reviewer", service.record_review, plan_id, decision="approve")
        call("drafter", service.fire, plan_id, "endorse")
    return walk


def test_four_eyes_whoever_wrote_any_version_of_the_revision(
        make_plan, make_user, call, refused, available, to_approval):
    make_user("dual", "drafter:THA", "approver:THA")
    plan_id = make_plan("draft")
    call("dual", service.edit_plan, plan_id, content={"measures": [MEASURE]})
    # someone else writes the version under approval: dual still wrote one of this revision
    call("drafter2", service.edit_plan, plan_id, content={"measures": [MEASURE, MEASURE]})
    to_approval(plan_id)

    reason = "dual wrote a content version of this revision and may not approve it (four eyes)"
    assert available("dual", plan_id)["approve"] == (False, [reason])
    err = refused(GuardFailed, "dual", service.fire, plan_id, "approve")
    assert err.reasons == [reason]
    assert available("approver", plan_id)["approve"] == (True, [])
    assert call("approver", service.fire, plan_id, "approve").state == "approved"


def test_four_eyes_forgets_authors_of_earlier_revisions(
        make_plan, make_user, call, to_approval, request_for):
    make_user("dual", "drafter:THA", "approver:THA")
    plan_id = make_plan("draft")
    call("dual", service.edit_plan, plan_id, content={"measures": [MEASURE]})
    call("drafter2", service.edit_plan, plan_id, content={"measures": [MEASURE, MEASURE]})
    to_approval(plan_id)
    for who, trigger in [("approver", "approve"), ("submitter", "submit_to_committee"),
                         ("committee", "acknowledge"), ("drafter", "revise")]:
        call(who, service.fire, plan_id, trigger, **request_for(trigger))
    call("drafter", service.edit_plan, plan_id, content={"measures": [MEASURE] * 3})
    call("drafter", service.fire, plan_id, "submit_for_review")
    call("reviewer", service.record_review, plan_id, decision="approve")
    call("drafter", service.fire, plan_id, "endorse")
    assert call("dual", service.fire, plan_id, "approve").state == "approved"


# (state, caller) -> {trigger: ready}: each trigger the caller's roles may fire from the state.
AVAILABLE = [
    ("draft", "drafter", {"submit_for_review": False, "withdraw": True}),
    ("draft", "approver", {"withdraw": True}),
    ("draft", "reviewer", {}),
    ("stakeholder_review", "drafter",
     {"endorse": False, "request_changes": True, "withdraw": True}),
    ("stakeholder_review", "reviewer", {"request_changes": True}),
    ("stakeholder_review", "reviewer2", {}),
    ("national_approval", "approver", {"approve": True, "return": True, "withdraw": True}),
    ("national_approval", "drafter", {"withdraw": True}),
    ("approved", "submitter", {"submit_to_committee": True}),
    ("approved", "approver", {"return": True, "withdraw": True}),
    ("submitted", "committee", {"acknowledge": True}),
    ("submitted", "drafter", {}),
    ("acknowledged", "drafter", {"revise": True}),
    ("withdrawn", "drafter", {}),
]


def test_available_triggers_per_caller(make_plan, available):
    plans: dict[str, int] = {}
    for state, caller, expected in AVAILABLE:
        plan_id = plans.setdefault(state, make_plan(state))
        found = available(caller, plan_id)
        assert {t: ready for t, (ready, _) in found.items()} == expected, (state, caller)
        for ready, reasons in found.values():
            assert ready == (not reasons)
    for name in ("viewer", "auditor", "global_auditor"):
        assert available(name, plans["draft"]) == {}
    assert available("drafter", plans["draft"])["submit_for_review"] == (
        False, ["no required reviewer is assigned"])
    assert available("drafter", plans["stakeholder_review"])["endorse"] == (
        False, ["required reviewer reviewer has not approved version 1"])
