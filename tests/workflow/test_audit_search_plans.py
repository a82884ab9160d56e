"""Audit search's query plans: every filter seeks an index, and no page sorts the log.

The log is filled with tests/audit_fill.py (Core inserts, planner statistics refreshed), large
enough that both planners take the indexes seriously. Each search is explained as its first
page and as a page deep in the log (after a cursor): keyset pagination means both are one
range scan of the same index, so page 10,000 costs what page 1 does.
"""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from models import AuditEvent, Grant, User
from tests.audit_fill import START, fill
from tests.query_plans import postgres_nodes, sqlite_plan
from tests.sizes import size
from workflow.audit_search import AuditFilters, search, seek_after

EVENTS = size("NAPFLOW_AUDIT_PLAN_EVENTS", 20_000, 100_000)
DAY = START + timedelta(days=3)  # inside the filled log at either size


def Caller(*grants: str) -> User:  # noqa: N802 (reads as a kind of caller in the table)
    """A user with these grants, as audit search sees one (it reads only the grants)."""
    return User(username="caller", grants=[
        Grant(role=role, country=country or None)
        for role, _, country in (grant.partition(":") for grant in grants)])


# (caller, filters, the indexes a selective search may seek (one of them must be used), None
# when no single one must). A plan's events are few: its (plan_id, seq) chain index, then a
# sort of that one plan's events, is as good a plan as (plan_id, at, id), and PostgreSQL picks
# it at 100,000 events.
PLAN = ("ix_audit_events_plan_id_at_id", "uq_audit_events_plan_id_seq")
SEARCHES = [
    (None, AuditFilters(), "ix_audit_events_at_id"),
    (None, AuditFilters(plan=7), PLAN),
    (None, AuditFilters(actor="arg-approver"), "ix_audit_events_actor_at_id"),
    (None, AuditFilters(action="acknowledge"), "ix_audit_events_action_at_id"),
    (None, AuditFilters(from_state="approved"), "ix_audit_events_from_state_at_id"),
    (None, AuditFilters(to_state="submitted"), "ix_audit_events_to_state_at_id"),
    (None, AuditFilters(since=DAY), "ix_audit_events_at_id"),
    (None, AuditFilters(since=DAY, until=DAY + timedelta(hours=6)), "ix_audit_events_at_id"),
    (None, AuditFilters(actor="arg-approver", since=DAY), "ix_audit_events_actor_at_id"),
    (None, AuditFilters(action="approve", until=DAY), "ix_audit_events_action_at_id"),
    (None, AuditFilters(plan=7, action="edit"), None),
    (None, AuditFilters(country="ARG"), None),
    (None, AuditFilters(country="ARG", action="approve", since=DAY), None),
    (Caller("auditor"), AuditFilters(), "ix_audit_events_at_id"),
    (Caller("auditor"), AuditFilters(to_state="acknowledged"), None),
    (Caller("viewer:ARG"), AuditFilters(), None),
    (Caller("viewer:ARG", "drafter:FRA"), AuditFilters(action="approve"), None),
    (Caller("committee"), AuditFilters(), "ix_audit_events_at_id"),
    (Caller("committee"), AuditFilters(country="ARG"), None),
    (Caller("admin"), AuditFilters(), None),
]


@pytest.fixture
def filled(engine):
    fill(engine, EVENTS)
    return engine


def _names(index: str | tuple[str, ...] | None) -> tuple[str, ...]:
    return (index,) if isinstance(index, str) else index or ()


def _sqlite_problems(lines: list[str], index: str | tuple[str, ...] | None) -> list[str]:
    found = []
    if any(line.startswith("SCAN audit_events") and "USING" not in line for line in lines):
        found.append("reads the whole table")
    # A country's events may be gathered plan by plan and sorted: bounded by that country's
    # share of the log, never the log itself.
    by_country = any(line.startswith("SEARCH plans") and "country=" in line for line in lines)
    if any("USE TEMP B-TREE" in line for line in lines) and not by_country:
        found.append("sorts the log")
    if index and not any(f"audit_events USING INDEX {name} " in line + " " or
                         f"audit_events USING COVERING INDEX {name} " in line + " "
                         for line in lines for name in _names(index)):
        found.append(f"uses none of {_names(index)}")
    return found


def _postgres_problems(nodes: list[dict], index: str | tuple[str, ...] | None,
                       table_rows: int) -> list[str]:
    found = []
    if any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") == "audit_events"
           for n in nodes):
        found.append("reads the whole table")
    if any(n["Node Type"] in ("Sort", "Incremental Sort") and
           n["Plan Rows"] > table_rows // 20 for n in nodes):
        found.append("sorts the log")
    used = {n.get("Index Name") for n in nodes}
    if not any(name and name.startswith(("ix_audit_events", "uq_audit_events", "pk_audit"))
               for name in used):
        found.append("uses no index of audit_events")
    # PostgreSQL weighs a filter's selectivity: a common value (an action every tenth event
    # carries) is found fastest walking (at, id) and checking it; a rare one by its index.
    if index and not used & {*_names(index), "ix_audit_events_at_id"}:
        found.append(f"uses none of {_names(index)} nor ix_audit_events_at_id, but "
                     f"{sorted(filter(None, used))}")
    return found


def test_every_search_seeks_an_index_and_no_page_sorts_the_log(filled, session_factory):
    dialect = filled.dialect.name
    with session_factory() as session:
        total = session.scalar(select(func.count()).select_from(AuditEvent))
        middle = session.execute(select(AuditEvent.at, AuditEvent.id)
                                 .order_by(AuditEvent.at, AuditEvent.id)
                                 .offset(total // 2).limit(1)).one()
    problems = {}
    for caller, filters, index in SEARCHES:
        query = search(caller, filters)
        for where, statement in (("first page", query),
                                 ("deep page", seek_after(query, middle.at, middle.id))):
            sql = str(statement.limit(51).compile(filled, compile_kwargs={"literal_binds": True}))
            with filled.connect() as conn:
                found = (_sqlite_problems(sqlite_plan(conn, sql), index)
                         if dialect == "sqlite" else
                         _postgres_problems(postgres_nodes(conn, sql), index, total))
            if found:
                who = "operator" if caller is None else [g.role for g in caller.grants]
                problems[f"{who} {filters} {where}"] = found
    assert problems == {}
