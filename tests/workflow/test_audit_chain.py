"""The audit chain: one event per change, hashes an auditor can recompute, tampering detected."""

import hashlib
import json

import pytest
from sqlalchemy import Text, delete, insert, literal, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from models import AuditEvent, Plan
from workflow import service
from workflow.audit import verify_all, verify_chain

EVENTS = AuditEvent.__table__
FIELDS = ("plan_id", "seq", "at", "actor", "action", "from_state", "to_state",
          "content_version", "comment", "data", "prev_hash")
MEASURE = {"obligation": "OP3a", "description": "Account for nuclear material — 核物质",
           "lead_agency": "Office of Atoms for Peace"}


def chain(engine, plan_id):
    """The plan's events (or the system's, for None) as stored, in the order written."""
    with engine.connect() as conn:
        return [row._asdict() for row in conn.execute(
            select(EVENTS).where(EVENTS.c.plan_id.is_(None) if plan_id is None
                                 else EVENTS.c.plan_id == plan_id).order_by(EVENTS.c.id))]


def auditors_hash(event: dict) -> str:
    """The contract's recipe, written out as an auditor would, without napflow's code."""
    body = json.dumps({name: event[name] for name in FIELDS}, sort_keys=True,
                      separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def test_every_change_appends_exactly_one_event(make_plan, call, engine, plan_row):
    plan_id = make_plan("draft")
    steps = [
        ("drafter", service.edit_plan, {"title": "Plan 2026-2028"}, "edit"),
        ("drafter", service.edit_plan, {"content": {"measures": [MEASURE]}}, "edit"),
        ("drafter", service.assign_reviewer, {"username": "reviewer"}, "assign_reviewer"),
        ("drafter", service.assign_reviewer, {"username": "reviewer2"}, "assign_reviewer"),
        ("drafter", service.remove_reviewer, {"username": "reviewer2"}, "remove_reviewer"),
        ("drafter", service.fire, {"trigger": "submit_for_review"}, "submit_for_review"),
        ("reviewer", service.record_review, {"decision": "request_changes",
                                             "comment": "Ajoutez les douanes — ça presse"},
         "review"),
        ("reviewer", service.fire, {"trigger": "request_changes", "comment": "see review"},
         "request_changes"),
        ("drafter", service.edit_plan, {"title": "Plan 2026-2028"}, None),  # no change, no event
    ]
    for who, operation, kwargs, action in steps:
        before = len(chain(engine, plan_id))
        call(who, operation, plan_id, **kwargs)
        events = chain(engine, plan_id)
        assert len(events) == before + (action is not None), (operation.__name__, kwargs)
        if action:
            assert (events[-1]["action"], events[-1]["actor"]) == (action, who)

    events = chain(engine, plan_id)
    assert [e["action"] for e in events][:1] == ["create"]
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == "0" * 64
    for previous, event in zip(events, events[1:], strict=False):
        assert event["prev_hash"] == previous["hash"]
    for event in events:
        assert event["hash"] == auditors_hash(event)
    assert events[4]["data"] == {"username": "reviewer2", "required": True}
    plan = plan_row(plan_id)
    assert (plan.audit_seq, plan.audit_head) == (len(events), events[-1]["hash"])
    assert events[-1]["to_state"] == plan.state == "draft"


def test_a_full_lifecycle_verifies(make_plan, db):
    plan_id = make_plan("acknowledged")
    report = verify_chain(db, plan_id)
    assert report.as_dict() == {"valid": True, "events": 8, "head": report.head,
                                "first_invalid_seq": None}
    assert report.head == db.get(Plan, plan_id).audit_head


@pytest.fixture
def reviewed_plan(make_plan, engine):
    """A plan in national approval: create, assign, submit, review, endorse (seq 1 to 5)."""
    def make() -> tuple[int, list[dict]]:
        plan_id = make_plan("national_approval")
        events = chain(engine, plan_id)
        assert [e["action"] for e in events] == [
            "create", "assign_reviewer", "submit_for_review", "review", "endorse"]
        return plan_id, events
    return make


def event_of(events, seq):
    return EVENTS.c.id == events[seq - 1]["id"]


FIELD_EDITS = [("at", "2020-01-01T00:00:00.000000Z"), ("actor", "mallory"),
               ("action", "approve"), ("from_state", "national_approval"),
               ("to_state", "approved"), ("content_version", 7), ("comment", "all fine"),
               ("data", {"decision": "approve"}), ("prev_hash", "0" * 64), ("hash", "f" * 64),
               ("seq", 9)]


def test_editing_any_field_of_an_event_is_detected(reviewed_plan, tamper, session_factory):
    for field, value in FIELD_EDITS:
        plan_id, events = reviewed_plan()
        tamper(update(EVENTS).where(event_of(events, 3)).values({field: value}))
        with session_factory() as session:
            report = verify_chain(session, plan_id)
        assert (report.valid, report.first_invalid_seq) == (False, 3), field


def test_moving_an_event_to_another_plan_breaks_both_chains(
        reviewed_plan, make_plan, tamper, session_factory):
    plan_id, events = reviewed_plan()
    other = make_plan("draft")  # one event: seq 3 is free there
    tamper(update(EVENTS).where(event_of(events, 3)).values(plan_id=other))
    with session_factory() as session:
        assert [(r.valid, r.first_invalid_seq) for r in verify_all(session)] == [
            (False, 3), (False, 1), (True, None)]


def forged(events, seq, **fields):
    event = {**{name: events[-1][name] for name in FIELDS}, "seq": seq,
             "prev_hash": events[-1]["hash"], "actor": "mallory", **fields}
    return {**event, "hash": auditors_hash(event)}


def swap_ids(events, a, b):
    ida, idb = events[a - 1]["id"], events[b - 1]["id"]
    return [update(EVENTS).where(EVENTS.c.id == ida).values(id=-1),
            update(EVENTS).where(EVENTS.c.id == idb).values(id=ida),
            update(EVENTS).where(EVENTS.c.id == -1).values(id=idb)]


def move_head(plan_id, events, seq):
    return update(Plan.__table__).where(Plan.__table__.c.id == plan_id).values(
        audit_seq=seq, audit_head=events[seq - 1]["hash"])


class AsStored(FunctionElement):
    """A text put in a JSON column as it is, not as the app's serializer would write it."""
    inherit_cache = True


@compiles(AsStored)
def _as_stored(element, compiler, **kw):
    return compiler.process(element.clauses, **kw)


@compiles(AsStored, "postgresql")
def _as_stored_postgresql(element, compiler, **kw):
    return f"CAST({compiler.process(element.clauses, **kw)} AS json)"  # which must take it


def stored_data(events, seq, stored: str):
    return update(EVENTS).where(event_of(events, seq)).values(
        data=AsStored(literal(stored, Text)))


def cut_short(data) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"))[:-1]


# what the attacker does to a plan's chain of 5 events -> the first seq that no longer verifies
TAMPERING = {
    "delete an event": (lambda p, e: [delete(EVENTS).where(event_of(e, 3))], 3),
    "swap two events": (lambda p, e: swap_ids(e, 3, 4), 3),
    "insert a forged event": (lambda p, e: [insert(EVENTS).values(forged(e, 6))], 6),
    "insert a badly forged event": (
        lambda p, e: [insert(EVENTS).values({**forged(e, 6), "hash": "a" * 64})], 6),
    "truncate the tail": (lambda p, e: [delete(EVENTS).where(EVENTS.c.seq >= 4,
                                                             EVENTS.c.plan_id == p)], 4),
    "truncate the tail and move the head": (
        lambda p, e: [delete(EVENTS).where(event_of(e, 5)), move_head(p, e, 4)], 5),
    "change the plan's state without an event": (
        lambda p, e: [update(Plan.__table__).where(Plan.__table__.c.id == p)
                      .values(state="approved")], 6),
    # A `data` no writer could have hashed (event 2 is the assignment, with data), in each form
    # a database keeps one: SQLite any text; PostgreSQL's json type refuses text that is not
    # JSON, but keeps JSON nested deeper than Python reads, and an escaped half of a surrogate
    # pair, which Python reads into a string that UTF-8 (so the hash) cannot carry.
    "cut data short (not JSON)": (lambda p, e: [stored_data(e, 2, cut_short(e[1]["data"]))], 2),
    "nest data deeper than Python reads": (
        lambda p, e: [stored_data(e, 2, "[" * 2000 + "]" * 2000)], 2),
    "put half a surrogate pair in data": (
        lambda p, e: [stored_data(e, 2, '{"required":true,"username":"\\ud800"}')], 2),
    # Bytes that are not UTF-8 kept as text (SQLite keeps any): in a column only the whole
    # event's reading fetches, and in one the scan's every row fetches.
    "write bytes that are not UTF-8 in actor": (lambda p, e: [
        update(EVENTS).where(event_of(e, 3)).values(actor=text("CAST(x'6d616cff' AS TEXT)"))], 3),
    "write bytes that are not UTF-8 in to_state": (lambda p, e: [
        update(EVENTS).where(event_of(e, 4)).values(to_state=text("CAST(x'ff' AS TEXT)"))], 4),
}
# What the column types of PostgreSQL refuse to store: no attacker can leave it there.
SQLITE_ONLY = {"cut data short (not JSON)", "write bytes that are not UTF-8 in actor",
               "write bytes that are not UTF-8 in to_state"}


def tamperings(engine) -> dict:
    """TAMPERING, less what this database cannot hold."""
    return {attack: how for attack, how in TAMPERING.items()
            if engine.dialect.name == "sqlite" or attack not in SQLITE_ONLY}


def skip_unless_stored(engine, attack):
    if attack not in tamperings(engine):
        pytest.skip(f"{engine.dialect.name} cannot store it")


@pytest.mark.parametrize("attack", TAMPERING)
def test_tampering_is_detected(reviewed_plan, tamper, session_factory, engine, attack):
    skip_unless_stored(engine, attack)
    plan_id, events = reviewed_plan()
    statements, first_invalid = TAMPERING[attack]
    tamper(*statements(plan_id, events))
    with session_factory() as session:
        report = verify_chain(session, plan_id)
    assert (report.valid, report.first_invalid_seq) == (False, first_invalid)


def test_verify_all_reports_each_chain_then_the_system_chain(
        reviewed_plan, tamper, engine, session_factory):
    (first, _), (second, events), (third, _) = [reviewed_plan() for _ in range(3)]
    with session_factory() as session:
        assert [r.valid for r in verify_all(session)] == [True] * 4
    system = chain(engine, None)
    tamper(delete(EVENTS).where(event_of(events, 2)),
           update(EVENTS).where(event_of(system, 2)).values(actor="mallory"))
    with session_factory() as session:
        assert [(r.plan_id, r.valid, r.first_invalid_seq) for r in verify_all(session)] == [
            (first, True, None), (second, False, 2), (third, True, None), (None, False, 2)]
        assert [r.plan_id for r in verify_all(session, third)] == [third]


def test_the_database_refuses_to_change_or_remove_events(make_plan, engine, tamper):
    plan_id = make_plan("stakeholder_review")
    tamper(text("SELECT 1"))  # the tampering fixture puts the guards back
    before = chain(engine, plan_id)
    emptying = ("TRUNCATE audit_events" if engine.dialect.name == "postgresql"
                else "DELETE FROM audit_events")
    for sql in ("UPDATE audit_events SET actor = 'mallory' WHERE plan_id = :plan",
                "DELETE FROM audit_events WHERE plan_id = :plan AND seq = 3", emptying):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(text(sql), {"plan": plan_id})
    assert chain(engine, plan_id) == before
