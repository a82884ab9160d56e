"""The streaming verifier, on one process or several, reports what verify_chain reports."""

import pytest
from sqlalchemy import select, update

from models import Plan
from tests.workflow.test_audit_chain import EVENTS, TAMPERING, chain, event_of
from workflow.audit import verify_chain
from workflow.audit_scan import verify_log


def fields(report):
    return (report.plan_id, report.valid, report.events, report.head,
            report.first_invalid_seq, report.problem)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_kind_of_tampering_at_once_is_reported_as_verify_chain_does(
        make_plan, engine, tamper, session_factory, workers):
    intact = make_plan("acknowledged")
    attacked = {attack: make_plan("national_approval") for attack in TAMPERING}
    statements = [s for attack, plan_id in attacked.items()
                  for s in TAMPERING[attack][0](plan_id, chain(engine, plan_id))]
    system = chain(engine, None)
    tamper(*statements, update(EVENTS).where(event_of(system, 4)).values(actor="mallory"))

    with session_factory() as session:
        found = [fields(r) for r in verify_log(session, workers=workers)]
        expected = [fields(verify_chain(session, plan_id))
                    for plan_id in session.scalars(select(Plan.id).order_by(Plan.id))]
        expected.append(fields(verify_chain(session, None)))
    assert found == expected
    broken = {plan_id: seq for plan_id, valid, _, _, seq, _ in found if not valid}
    assert broken == {**{attacked[a]: TAMPERING[a][1] for a in TAMPERING}, None: 4}
    assert intact not in broken
