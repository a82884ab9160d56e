"""The streaming verifier, on one process or several, reports what verify_chain reports."""

import json

import pytest
from sqlalchemy import func, select, text, update

from models import Plan
from tests.workflow.test_audit_chain import (
    EVENTS,
    FIELD_EDITS,
    chain,
    event_of,
    reviewed_plan,  # noqa: F401 (a fixture)
    tamperings,
)
from workflow.audit import verify_chain
from workflow.audit_scan import (
    chain_reports,
    id_ranges,
    join,
    scan_range,
    verify_log,
)
from workflow.audit_sql import prepare, suspect_column


def fields(report):
    return (report.plan_id, report.valid, report.events, report.head,
            report.first_invalid_seq, report.problem)


@pytest.mark.parametrize("workers", [1, 2])
def test_every_kind_of_tampering_at_once_is_reported_as_verify_chain_does(
        make_plan, engine, tamper, session_factory, workers):
    intact = make_plan("acknowledged")
    tampering = tamperings(engine)
    attacked = {attack: make_plan("national_approval") for attack in tampering}
    statements = [s for attack, plan_id in attacked.items()
                  for s in tampering[attack][0](plan_id, chain(engine, plan_id))]
    system = chain(engine, None)
    tamper(*statements, update(EVENTS).where(event_of(system, 4)).values(actor="mallory"))

    with session_factory() as session:
        found = [fields(r) for r in verify_log(session, workers=workers)]
        expected = [fields(verify_chain(session, plan_id))
                    for plan_id in session.scalars(select(Plan.id).order_by(Plan.id))]
        expected.append(fields(verify_chain(session, None)))
    assert found == expected
    broken = {plan_id: seq for plan_id, valid, _, _, seq, _ in found if not valid}
    assert broken == {**{attacked[a]: tampering[a][1] for a in tampering}, None: 4}
    assert intact not in broken


def every_chain(session, workers=1):
    """(verify_log's reports, verify_chain's reports), each chain in the same order."""
    found = [fields(r) for r in verify_log(session, workers=workers)]
    expected = [fields(verify_chain(session, plan_id))
                for plan_id in session.scalars(select(Plan.id).order_by(Plan.id))]
    return found, [*expected, fields(verify_chain(session, None))]


def unconfirmed(session) -> set[int]:
    """The ids of the events whose hash the database did not confirm (audit_sql.py)."""
    connection = session.connection()
    prepare(connection)
    return set(connection.scalars(text(
        f"SELECT id FROM audit_events WHERE {suspect_column(connection.dialect.name)} <> 0")))


@pytest.mark.parametrize("workers", [1, 2])
def test_editing_any_column_of_an_event_is_reported_as_verify_chain_does(
        reviewed_plan, make_plan, engine, tamper, session_factory, workers):  # noqa: F811
    edited = {field: reviewed_plan() for field, _ in FIELD_EDITS}
    moved_id, moved = reviewed_plan()
    other = make_plan("draft")
    tamper(*[update(EVENTS).where(event_of(edited[field][1], 3)).values({field: value})
             for field, value in FIELD_EDITS],
           update(EVENTS).where(event_of(moved, 3)).values(plan_id=other))

    with session_factory() as session:
        found, expected = every_chain(session, workers)
        assert found == expected
        # Each edited event is left to the recipe (every column is hashed), and only those.
        assert unconfirmed(session) == {events[2]["id"] for _, events in
                                        [*edited.values(), (moved_id, moved)]}
    broken = {plan_id: seq for plan_id, valid, _, _, seq, _ in found if not valid}
    assert broken == {**{plan_id: 3 for plan_id, _ in edited.values()}, moved_id: 3, other: 1}


def test_an_ordinary_log_is_confirmed_by_the_database_event_by_event(
        make_plan, session_factory):
    """Every event the app writes is hashed in the database: the Python recipe judges none."""
    for state in ("draft", "national_approval", "acknowledged"):
        make_plan(state)
    with session_factory() as session:
        assert session.scalar(select(func.count()).select_from(EVENTS)) > 20
        assert unconfirmed(session) == set()
        found, expected = every_chain(session)
    assert found == expected
    assert all(valid for _, valid, *_ in found)


# How another writer may have stored the same value of `data`: json.dumps as SQLAlchemy's
# default serializer writes it, indented, keys in another order, a character escaped needlessly.
SAME_VALUE = {
    "json.dumps": json.dumps,
    "indented": lambda value: json.dumps(value, indent=1),
    "keys reversed": lambda value: json.dumps(dict(reversed(value.items())),
                                              separators=(",", ":")),
    "escaped": lambda value: json.dumps(value, separators=(",", ":")).replace(
        '"username"', '"us\\u0065rname"'),
}


@pytest.mark.parametrize("form", SAME_VALUE)
def test_data_stored_in_another_form_verifies_intact_through_the_recipe(
        reviewed_plan, engine, tamper, session_factory, form):  # noqa: F811
    """An event whose `data` text is not canonical (an older writer's) is not confirmed by
    the database, yet the recipe finds it intact; another value, in the same form, breaks."""
    (kept_id, kept), (changed_id, changed) = reviewed_plan(), reviewed_plan()
    assignment = kept[1]["data"]
    assert kept[1]["action"] == "assign_reviewer" and len(assignment) == 2
    statement = text("UPDATE audit_events SET data = "
                     f"{'CAST(:data AS json)' if engine.dialect.name == 'postgresql' else ':data'}"
                     " WHERE id = :id")
    write = SAME_VALUE[form]
    tamper(statement.bindparams(data=write(assignment), id=kept[1]["id"]),
           statement.bindparams(data=write({**changed[1]["data"], "required": False}),
                                id=changed[1]["id"]))

    with session_factory() as session:
        assert unconfirmed(session) == {kept[1]["id"], changed[1]["id"]}
        found, expected = every_chain(session)
    assert found == expected
    assert {plan_id: seq for plan_id, valid, _, _, seq, _ in found if not valid} == {
        changed_id: 2}
    assert kept_id in {plan_id for plan_id, valid, *_ in found if valid}


def test_a_log_written_before_canonical_json_is_judged_in_python_batch_by_batch(
        reviewed_plan, make_plan, engine, tamper, session_factory, monkeypatch):  # noqa: F811
    """Every `data` text in another form (a leading space), as an older writer's log: batches
    the database mostly cannot confirm switch the scan to Python alone, then back; the
    reports, breaks included, are verify_chain's."""
    plans = [reviewed_plan() for _ in range(4)]
    make_plan("acknowledged")
    spaced = ("(' ' || data::text)::json" if engine.dialect.name == "postgresql"
              else "' ' || data")
    tamper(text(f"UPDATE audit_events SET data = {spaced} WHERE data IS NOT NULL"),
           update(EVENTS).where(event_of(plans[2][1], 4)).values(actor="mallory"))
    monkeypatch.setattr("workflow.audit_scan.BATCH", 4)
    monkeypatch.setattr("workflow.audit_scan.RETRY", 2)

    with session_factory() as session:
        assert len(unconfirmed(session)) > session.scalar(
            select(func.count()).select_from(EVENTS)) / 2
        found, expected = every_chain(session)
    assert found == expected
    assert {plan_id: seq for plan_id, valid, _, _, seq, _ in found if not valid} == {
        plans[2][0]: 4}


def test_a_blob_where_sqlite_should_hold_text_is_a_break_found_in_python(
        reviewed_plan, engine, tamper, session_factory):  # noqa: F811
    """SQLite lets a column hold a blob, which the database's JSON refuses to write: the range
    is then judged in Python, and the other chains get verify_chain's reports all the same."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL columns hold only their own type")
    (plan_id, events), _ = reviewed_plan(), reviewed_plan()
    tamper(update(EVENTS).where(event_of(events, 3)).values(actor=text("x'6d616c6c6f7279'")))

    with session_factory() as session:
        found = [fields(r) for r in verify_log(session, workers=1)]
        others = [fields(verify_chain(session, other)) for other in
                  session.scalars(select(Plan.id).where(Plan.id != plan_id).order_by(Plan.id))]
        others.append(fields(verify_chain(session, None)))
        alone = fields(verify_chain(session, plan_id))  # the per-plan verify, no crash either
    assert [report for report in found if report[0] != plan_id] == others
    assert [report for report in found if report[0] == plan_id] == [alone]
    assert alone[1:2] + alone[4:] == (False, 3, "hash does not match the event's fields")
    assert all(valid for _, valid, *_ in others)


def test_the_log_cut_between_any_two_events_is_joined_into_the_same_reports(
        make_plan, engine, tamper, session_factory):
    """Workers scan contiguous id ranges: wherever a range ends (before a break, on it, inside
    a chain's first event there), joining the segments gives verify_chain's reports."""
    make_plan("acknowledged")
    tampering = tamperings(engine)
    attacked = {attack: make_plan("national_approval") for attack in tampering}
    tamper(*[s for attack, plan_id in attacked.items()
             for s in tampering[attack][0](plan_id, chain(engine, plan_id))])

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
    assert sum(not valid for _, valid, *_ in expected) == len(tampering)


def test_id_ranges_cover_every_id_once_in_order():
    for first, last, parts in [(1, 1_000_000, 2), (1, 7, 3), (5, 6, 4), (1, 0, 2)]:
        ranges = id_ranges(first, last, parts)
        covered = [i for after, upto in ranges for i in range(after + 1, upto + 1)]
        assert covered == list(range(first, last + 1))
        assert len(ranges) == parts


def test_data_that_is_not_json_at_all_is_a_break_not_a_crash(
        reviewed_plan, engine, tamper, session_factory):  # noqa: F811
    """SQLite lets `data` hold any text: one cut short is left to the recipe, which cannot
    read it as JSON and so finds the event broken, instead of stopping the whole verify."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL's json type holds only valid JSON")
    plan_id, events = reviewed_plan()
    assignment = json.dumps(events[1]["data"], sort_keys=True, separators=(",", ":"))
    tamper(text("UPDATE audit_events SET data = :data WHERE id = :id").bindparams(
        data=assignment[:-1], id=events[1]["id"]))

    with session_factory() as session:
        assert unconfirmed(session) == {events[1]["id"]}
        found = [fields(r) for r in verify_log(session, workers=1)]
    assert [(valid, seq) for plan, valid, _, _, seq, _ in found if plan == plan_id] == [
        (False, 2)]
