"""Workflows are data: a new one runs without engine code, a wrong one is refused when loaded."""

import copy

import pytest

from workflow import service
from workflow.engine import DefinitionError, Workflow, WorkflowRegistry, default_registry
from workflow.errors import GuardFailed, InvalidTransition, UnknownTrigger
from workflow.guards import Assignment, FiringRequest, PlanFacts

MEMO = {
    "key": "memo",
    "title": "An internal memo, circulated then filed",
    "initial": "draft",
    "states": [{"name": "draft", "editable": True}, {"name": "circulated"},
               {"name": "filed", "final": True}],
    "transitions": [
        {"trigger": "circulate", "source": ["draft"], "dest": "circulated", "roles": ["drafter"],
         "guards": ["content_complete"]},
        {"trigger": "recall", "source": ["circulated"], "dest": "draft", "roles": ["drafter"],
         "requires": ["comment"]},
        {"trigger": "file", "source": ["circulated"], "dest": "filed", "roles": ["approver"]},
    ],
}
NAP_TRIGGERS = {"submit_for_review", "endorse", "request_changes", "approve", "return",
                "submit_to_committee", "acknowledge", "revise", "withdraw"}


@pytest.fixture
def memo():
    """The memo workflow, known to the service for one test."""
    registry = default_registry()
    workflow = registry.register(copy.deepcopy(MEMO))
    yield workflow
    registry.unregister("memo")
    assert "memo" not in registry


def test_a_new_workflow_runs_from_its_definition_alone(memo, call, refused, db):
    plan = call("drafter", service.create_plan, country="THA", title="Memo", workflow="memo",
                content={"measures": [{"obligation": "OP1", "description": "Report",
                                       "lead_agency": "Foreign Affairs"}]})
    assert (plan.workflow, plan.state) == ("memo", "draft")
    err = refused(InvalidTransition, "approver", service.fire, plan.id, "file")
    assert err.extra["allowed_triggers"] == ["circulate"]
    for trigger in ("submit_for_review", "to_filed", "to_circulated"):
        refused(UnknownTrigger, "drafter", service.fire, plan.id, trigger)

    assert call("drafter", service.fire, plan.id, "circulate").state == "circulated"
    refused(GuardFailed, "drafter", service.fire, plan.id, "recall")
    assert call("drafter", service.fire, plan.id, "recall", comment="typo").state == "draft"
    call("drafter", service.fire, plan.id, "circulate")
    assert call("approver", service.fire, plan.id, "file").state == "filed"

    assert set(memo.machine.events) == {"circulate", "recall", "file"}
    assert memo.machine.auto_transitions is False
    assert len(memo.machine.models) == 0


def test_plans_are_checked_against_their_own_workflow(memo, make_plan, refused):
    nap_plan = make_plan("draft")
    err = refused(UnknownTrigger, "drafter", service.fire, nap_plan, "circulate")
    assert set(err.extra["triggers"]) == NAP_TRIGGERS


def test_the_builtin_machine_has_only_the_contracts_triggers():
    machine = default_registry().get("nap-1540").machine
    assert set(machine.events) == NAP_TRIGGERS
    assert machine.auto_transitions is False
    assert not [name for name in machine.events if name.startswith("to_")]


def broken(change):
    data = copy.deepcopy(MEMO)
    change(data)
    return data


MALFORMED = {
    "unknown plan guard": lambda d: d["transitions"][0]["guards"].append("moon_is_full"),
    "unknown request guard": lambda d: d["transitions"][1]["requires"].append("signature"),
    "request guard used as plan guard": lambda d: d["transitions"][0]["guards"].append(
        "comment"),
    "unknown role": lambda d: d["transitions"][2]["roles"].append("minister"),
    "no role": lambda d: d["transitions"][2].update(roles=[]),
    "unknown source state": lambda d: d["transitions"][2]["source"].append("archived"),
    "unknown destination": lambda d: d["transitions"][2].update(dest="archived"),
    "unknown initial state": lambda d: d.update(initial="new"),
    "unknown effect": lambda d: d["transitions"][2].update(effects=["send_email"]),
    "unknown state attribute": lambda d: d["states"][0].update(colour="red"),
    "unknown transition attribute": lambda d: d["transitions"][0].update(when="always"),
    "transition without trigger": lambda d: d["transitions"][0].pop("trigger"),
    "no states": lambda d: d.pop("states"),
    "no key": lambda d: d.pop("key"),
    "review due in no days": lambda d: d.update(review_due_days=0),
    "review due in a text": lambda d: d.update(review_due_days="30"),
    "review due in a fraction of days": lambda d: d.update(review_due_days=1.5),
}


@pytest.mark.parametrize("flaw", MALFORMED)
def test_a_malformed_definition_is_refused(flaw):
    registry = WorkflowRegistry()
    with pytest.raises(DefinitionError):
        registry.register(broken(MALFORMED[flaw]))
    assert "memo" not in registry


def test_the_shared_machine_keeps_no_models(make_plan, call, refused, request_for):
    machine = default_registry().get("nap-1540").machine
    plan_id = make_plan("acknowledged")
    for _ in range(3):  # a few revisions: dozens of fires through the one machine
        for who, trigger in [("drafter", "revise"), ("drafter", "submit_for_review")]:
            call(who, service.fire, plan_id, trigger)
        refused(GuardFailed, "drafter", service.fire, plan_id, "endorse")
        refused(InvalidTransition, "approver", service.fire, plan_id, "approve")
        call("reviewer", service.record_review, plan_id, decision="approve")
        for who, trigger in [("drafter", "endorse"), ("approver", "approve"),
                             ("submitter", "submit_to_committee"), ("committee", "acknowledge")]:
            call(who, service.fire, plan_id, trigger, **request_for(trigger))
    assert len(machine.models) == 0
    assert default_registry().get("nap-1540").machine is machine  # built once, not per fire


def test_the_engine_fires_on_facts_alone():
    workflow = Workflow.from_definition(copy.deepcopy(MEMO))
    facts = PlanFacts(state="draft", content={}, content_version=1,
                      assignments=(Assignment("reviewer", True),))
    with pytest.raises(GuardFailed) as info:
        workflow.fire("draft", "circulate", facts, FiringRequest())
    assert "no measures" in info.value.reasons[0]
    with pytest.raises(InvalidTransition):
        workflow.fire("filed", "recall", facts, FiringRequest(comment="why"))
    taken = workflow.fire("circulated", "recall", facts, FiringRequest(comment="why"))
    assert taken.dest == "draft"
    assert len(workflow.machine.models) == 0
