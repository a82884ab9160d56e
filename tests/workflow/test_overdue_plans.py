"""The overdue reviews' query plans: the page is a range of the open-rounds index, never a sort.

Assignments are filled with Core inserts in the proportions of a large log: most rounds
closed (decided, or their plan left review), with due days spread over years and falling
before the open ones' (the case that made an index on `due` alone useless: README, Scale),
a few open, part of them past due. Planner statistics are refreshed so both planners take
the index seriously. The global auditor's page, first and after a cursor, must be one range
of ix_reviewer_assignments_open_due in page order; a country's (a national caller, or the
country filter) gathers that country's plans' rounds, never the world's open rounds.
"""

import random
from datetime import date, timedelta

import pycountry
import pytest
from sqlalchemy import insert

from models import Grant, Plan, ReviewerAssignment, User
from tests.audit_fill import analyze
from tests.query_plans import postgres_nodes, sqlite_plan
from tests.sizes import size
from workflow.overview import overdue_query

ASSIGNMENTS = size("NAPFLOW_OVERDUE_PLAN_ASSIGNMENTS", 30_000, 100_000)
PLANS = -(-ASSIGNMENTS // 3)  # three reviewers a plan, the last plan perhaps fewer
COUNTRIES = sorted(c.alpha_3 for c in pycountry.countries)[:193]
TODAY = date(2026, 6, 1)
INDEX = "ix_reviewer_assignments_open_due"


def Caller(*grants: str) -> User:  # noqa: N802 (reads as a kind of caller in the table)
    return User(id=1, username="caller", grants=[
        Grant(role=role, country=country or None)
        for role, _, country in (grant.partition(":") for grant in grants)])


@pytest.fixture
def filled(engine):
    rng = random.Random(1540)
    plans = [{"id": i, "country": rng.choice(COUNTRIES), "title": f"plan {i}",
              "workflow": "nap-1540", "state": "draft", "row_version": 1, "created_by": "fill"}
             for i in range(1, PLANS + 1)]
    users = [{"id": i, "username": f"reviewer{i}"} for i in range(1, 4)]
    assignments = []
    for i in range(1, ASSIGNMENTS + 1):
        is_open = rng.random() < 0.1
        # closed rounds fell due over five years; open ones lately, some still ahead
        due = TODAY - timedelta(days=rng.randint(-30, 60) if is_open else rng.randint(60, 1800))
        assignments.append({"id": i, "plan_id": (i - 1) // 3 + 1, "user_id": (i - 1) % 3 + 1,
                            "required": True, "assigned_by": "fill", "due": due,
                            "due_given": False, "round_open": is_open})
    with engine.begin() as conn:
        conn.execute(insert(Plan), plans)
        conn.execute(insert(User), users)
        conn.execute(insert(ReviewerAssignment), assignments)
    analyze(engine)
    return engine


def _sqlite_problems(lines: list[str], ranged: bool) -> list[str]:
    found = []
    if ranged and any("USE TEMP B-TREE" in line for line in lines):
        found.append("sorts the open rounds")
    if ranged and not any(f"USING COVERING INDEX {INDEX} " in line
                          or f"USING INDEX {INDEX} " in line for line in lines):
        found.append(f"does not range over {INDEX}")
    if any(line.startswith("SCAN reviewer_assignments") for line in lines):
        found.append("reads every assignment")
    if not ranged and any(INDEX in line for line in lines):
        found.append("walks the world's open rounds for one country's")
    if not ranged and not any(line.startswith("SEARCH plans USING") and "country" in line
                              for line in lines):
        found.append("does not gather the country's plans by their country")
    return found


def _postgres_problems(nodes: list[dict], ranged: bool) -> list[str]:
    found = []
    # For two countries' plans (1% of them here) PostgreSQL may hash-join a scan of every
    # assignment: its cost estimate, at this table's size; the world's page must never.
    if ranged and any(n["Node Type"] == "Seq Scan" and n.get("Relation Name") ==
                      "reviewer_assignments" for n in nodes):
        found.append("reads every assignment")
    if not ranged and INDEX in {n.get("Index Name") for n in nodes}:
        found.append("walks the world's open rounds for one country's")
    if ranged:
        if any(n["Node Type"] in ("Sort", "Incremental Sort") for n in nodes):
            found.append("sorts the open rounds")
        if INDEX not in {n.get("Index Name") for n in nodes}:
            found.append(f"does not range over {INDEX}")
    return found


# (caller, the country filter, whether the page must be the index's range in page order)
CALLERS = [
    (Caller("auditor"), None, True),
    (Caller("auditor"), "ARG", False),
    (Caller("viewer:ARG"), None, False),
    (Caller("viewer:ARG", "approver:FRA"), None, False),
]


def test_the_overdue_page_is_one_index_range_first_page_or_deep(filled):
    dialect, problems = filled.dialect.name, {}
    for caller, country, ranged in CALLERS:
        for where, after in (("first page", None),
                             ("after a cursor", (TODAY - timedelta(days=10), PLANS // 2, 7))):
            sql = str(overdue_query(caller, TODAY, country=country, after=after, limit=50)
                      .compile(filled, compile_kwargs={"literal_binds": True}))
            with filled.connect() as conn:
                found = (_sqlite_problems(sqlite_plan(conn, sql), ranged)
                         if dialect == "sqlite" else
                         _postgres_problems(postgres_nodes(conn, sql), ranged))
            if found:
                problems[f"{[g.role for g in caller.grants]} {country} {where}: {sql}"] = found
    assert problems == {}
