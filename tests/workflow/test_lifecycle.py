"""The contract's lifecycle table, row by row: (state, trigger, role, outcome)."""

import pytest

from models import AuditEvent
from workflow import service
from workflow.audit import verify_chain
from workflow.errors import Forbidden, InvalidTransition, NotFound

STATES = ("draft", "stakeholder_review", "national_approval", "approved", "submitted",
          "acknowledged", "withdrawn")

# The contract's table, transcribed: trigger -> (from states, to state, roles that may fire it).
# `reviewer` here is the reviewer assigned to the plan (make_plan assigns `reviewer`).
LIFECYCLE = {
    "submit_for_review": (("draft",), "stakeholder_review", ("drafter",)),
    "endorse": (("stakeholder_review",), "national_approval", ("drafter",)),
    "request_changes": (("stakeholder_review",), "draft", ("drafter", "reviewer")),
    "approve": (("national_approval",), "approved", ("approver",)),
    "return": (("national_approval", "approved"), "draft", ("approver",)),
    "submit_to_committee": (("approved",), "submitted", ("submitter",)),
    "acknowledge": (("submitted",), "acknowledged", ("committee",)),
    "revise": (("acknowledged",), "draft", ("drafter",)),
    "withdraw": (("draft", "stakeholder_review", "national_approval", "approved"), "withdrawn",
                 ("drafter", "approver")),
}

# Everyone who might try: Thailand's cast (the plans are Thai), `reviewer2` is never assigned,
# Viet Nam's drafter, and the country-less roles.
ROLES = ("drafter", "reviewer", "reviewer2", "approver", "submitter", "viewer", "auditor",
         "global_auditor", "committee", "admin", "vnm_drafter", "vnm_approver")


def sees(role: str, state: str) -> bool:
    """Who can see a Thai plan: its country's roles and global auditors; the Committee only
    once it was submitted; admin and Viet Nam never."""
    if role == "committee":
        return state in ("submitted", "acknowledged")
    return role not in ("admin", "vnm_drafter", "vnm_approver")


def allowed_from(state: str) -> set[str]:
    return {trigger for trigger, (sources, _, _) in LIFECYCLE.items() if state in sources}


ALLOWED = [(state, trigger, role, dest)
           for trigger, (sources, dest, roles) in LIFECYCLE.items()
           for state in sources for role in roles]

# Roles outside the row: 403, or 404 when they cannot see the plan at all.
OTHER_ROLES = [(state, trigger, role, Forbidden if sees(role, state) else NotFound)
               for trigger, (sources, _, roles) in LIFECYCLE.items()
               for state in sources for role in ROLES if role not in roles]

# Triggers from states that do not allow them, by a role that may fire them elsewhere.
WRONG_STATES = [(state, trigger, roles[0], InvalidTransition if sees(roles[0], state) else NotFound)
                for trigger, (sources, _, roles) in LIFECYCLE.items()
                for state in STATES if state not in sources]

REFUSALS = OTHER_ROLES + WRONG_STATES


@pytest.fixture
def ready_plan(make_plan, call):
    """A plan in `state` on which `trigger`'s plan guards hold."""
    def make(state: str, trigger: str) -> int:
        plan_id = make_plan(state)
        if trigger == "submit_for_review":
            call("drafter", service.assign_reviewer, plan_id, username="reviewer")
        if trigger == "endorse":
            call("reviewer", service.record_review, plan_id, decision="approve")
        return plan_id
    return make


def test_the_table_covers_every_trigger_from_every_state():
    assert {(s, t) for s, t, _, _ in ALLOWED} | {(s, t) for s, t, _, _ in WRONG_STATES} == {
        (s, t) for s in STATES for t in LIFECYCLE}
    assert len(ALLOWED) == 18


@pytest.mark.parametrize(("state", "trigger", "role", "dest"), ALLOWED)
def test_allowed(ready_plan, call, plan_row, db, people, request_for, state, trigger, role, dest):
    plan_id = ready_plan(state, trigger)
    before = plan_row(plan_id)

    plan = call(role, service.fire, plan_id, trigger, **request_for(trigger))

    assert plan.state == dest
    after = plan_row(plan_id)
    assert after.state == dest and after.row_version > before.row_version  # a new ETag
    last = db.query(AuditEvent).filter_by(plan_id=plan_id, seq=after.audit_seq).one()
    assert (last.action, last.from_state, last.to_state) == (trigger, state, dest)
    assert last.actor == people[role].username
    assert verify_chain(db, plan_id).valid


@pytest.mark.parametrize("state", STATES)
def test_refused(make_plan, refused, request_for, state):
    """Every refused row of one state, on one plan: a refusal changes nothing, so it can be
    reused, and `refused` checks after each row that nothing was written."""
    plan_id = make_plan(state)
    rows = [row for row in REFUSALS if row[0] == state]
    assert rows
    for _, trigger, role, outcome in rows:
        err = refused(outcome, role, service.fire, plan_id, trigger, **request_for(trigger))
        if outcome is InvalidTransition:
            assert err.extra["state"] == state
            assert set(err.extra["allowed_triggers"]) == allowed_from(state), (trigger, role)
