"""The streaming verifier, on one process or several, reports what verify_chain reports."""

import pytest
from sqlalchemy import func, select, update

from models import Plan
from tests.workflow.test_audit_chain import EVENTS, TAMPERING, chain, event_of
from workflow.audit import verify_chain
from workflow.audit_scan import chain_reports, id_ranges, join, scan_range, verify_log


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


def test_the_log_cut_between_any_two_events_is_joined_into_the_same_reports(
        make_plan, engine, tamper, session_factory):
    """Workers scan contiguous id ranges: wherever a range ends (before a break, on it, inside
    a chain's first event there), joining the segments gives verify_chain's reports."""
    make_plan("acknowledged")
    attacked = {attack: make_plan("national_approval") for attack in TAMPERING}
    tamper(*[s for attack, plan_id in attacked.items()
             for s in TAMPERING[attack][0](plan_id, chain(engine, plan_id))])

    with session_factory() as session:
        expected = [fields(verify_chain(session, plan_id))
                    for plan_id in session.scalars(select(Plan.id).order_by(Plan.id))]
        expected.append(fields(verify_chain(session, None)))
        connection = session.connection()
        first, last = connection.execute(select(func.min(EVENTS.c.id),
                                                func.max(EVENTS.c.id))).one()
        for cut in range(first - 1, last + 1):
            chains = {}
            join(chains, scan_range(connection, first - 1, cut))
            join(chains, scan_range(connection, cut, last))
            assert [fields(r) for r in chain_reports(session, chains)] == expected, cut
    assert sum(not valid for _, valid, *_ in expected) == len(TAMPERING)


def test_id_ranges_cover_every_id_once_in_order():
    for first, last, parts in [(1, 1_000_000, 2), (1, 7, 3), (5, 6, 4), (1, 0, 2)]:
        ranges = id_ranges(first, last, parts)
        covered = [i for after, upto in ranges for i in range(after + 1, upto + 1)]
        assert covered == list(range(first, last + 1))
        assert len(ranges) == parts
