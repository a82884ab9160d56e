"""The tasks' query plans: each state's candidates are one index range, never a sort.

The plans table is filled with Core inserts (every state, 193 countries, planner statistics
refreshed), large enough that both planners take the indexes seriously. Each firing source
(tasks.firing_sources: one per state whose forward trigger the caller may fire) is explained
as its first page and as a page after a cursor: both must be a range scan of an index on
(..., workflow, state, state_since, id), which hands the plans over in page order (PostgreSQL
may instead sort one country's few plans in one state: see _postgres_problems).
"""

import random
from datetime import UTC, datetime, timedelta

import pycountry
import pytest
from sqlalchemy import insert

from models import Grant, Plan, User
from tests.audit_fill import analyze
from tests.query_plans import postgres_nodes, sqlite_plan
from tests.sizes import size
from workflow.engine import default_registry
from workflow.tasks import REVIEW, TRANSITION, firing_query, firing_sources

PLANS = size("NAPFLOW_TASK_PLAN_PLANS", 20_000, 60_000)
COUNTRIES = sorted(c.alpha_3 for c in pycountry.countries)[:193]
START = datetime(2020, 1, 1, tzinfo=UTC)
BY_STATE = "ix_plans_workflow_state_since"
BY_COUNTRY = "ix_plans_country_workflow_state_since"


def Caller(*grants: str) -> User:  # noqa: N802 (reads as a kind of caller in the table)
    """A user with these grants, as the task query sees one (it reads only the grants)."""
    return User(id=1, username="caller", grants=[
        Grant(role=role, country=country or None)
        for role, _, country in (grant.partition(":") for grant in grants)])


# (caller, the states it has a source in, the index each source must range over)
CALLERS = [
    (Caller("drafter:ARG"), {"draft", "stakeholder_review"}, BY_COUNTRY),
    (Caller("approver:ARG"), {"national_approval"}, BY_COUNTRY),
    (Caller("submitter:FRA"), {"approved"}, BY_COUNTRY),
    (Caller("reviewer:ARG"), set(), BY_COUNTRY),  # reviewers fire nothing forward
    (Caller("committee"), {"submitted"}, BY_STATE),
    (Caller("viewer:ARG", "approver:ARG"), {"national_approval"}, BY_COUNTRY),
    (Caller("auditor"), set(), BY_STATE),
]


@pytest.fixture
def filled(engine):
    rng = random.Random(1540)
    states = list(default_registry().get("nap-1540").states)
    rows = []
    for i in range(1, PLANS + 1):
        state = rng.choice(states)
        rows.append({
            "id": i, "country": rng.choice(COUNTRIES), "title": f"plan {i}",
            "workflow": "nap-1540", "state": state, "row_version": 1, "created_by": "fill",
            "state_since": START + timedelta(minutes=rng.randint(0, 3_000_000)),
            "committee_from_seq": 9 if state in ("submitted", "acknowledged") else None})
    with engine.begin() as conn:
        conn.execute(insert(Plan), rows)
    analyze(engine)
    return engine


def _sqlite_problems(lines: list[str], index: str) -> list[str]:
    found = []
    if any("USE TEMP B-TREE" in line for line in lines):
        found.append("sorts the candidates")
    if not any(f"plans USING INDEX {index} " in line or
               f"plans USING COVERING INDEX {index} " in line for line in lines):
        found.append(f"does not range over {index}: {lines}")
    return found


def _postgres_problems(nodes: list[dict], index: str) -> list[str]:
    found = []
    if any(n["Node Type"] == "Seq Scan" for n in nodes):
        found.append("reads the whole table")
    # One country's plans in one state are few (tens at a million events): PostgreSQL may
    # gather them by either index on (country, workflow, state, ...) and sort them. Never a
    # whole state's plans of the world.
    sorts = [n["Plan Rows"] for n in nodes if n["Node Type"] in ("Sort", "Incremental Sort")]
    if sorts and (index == BY_STATE or max(sorts) > PLANS // len(COUNTRIES)):
        found.append(f"sorts {max(sorts)} candidates")
    used = {n.get("Index Name") for n in nodes} - {None}
    if not (index in used or index == BY_COUNTRY and "ix_plans_country_workflow_state" in used):
        found.append(f"does not range over {index}: {sorted(used)}")
    return found


def test_each_states_tasks_are_one_index_range_first_page_or_deep(filled):
    dialect = filled.dialect.name
    middle = (START + timedelta(days=1000), PLANS // 2)
    problems = {}
    for caller, states, index in CALLERS:
        sources = firing_sources(caller)
        shown = {str(s.compile(filled, compile_kwargs={"literal_binds": True}))
                 for s in sources}
        assert {state for state in default_registry().get("nap-1540").states
                if any(f"'{state}'" in sql for sql in shown)} == states
        for source in sources:
            for where, after in (("first page", None), ("after a review", (*middle, REVIEW)),
                                 ("after a transition", (*middle, TRANSITION))):
                sql = str(firing_query(source, after, 51).compile(
                    filled, compile_kwargs={"literal_binds": True}))
                with filled.connect() as conn:
                    found = (_sqlite_problems(sqlite_plan(conn, sql), index)
                             if dialect == "sqlite" else
                             _postgres_problems(postgres_nodes(conn, sql), index))
                if found:
                    problems[f"{[g.role for g in caller.grants]} {where}: {sql}"] = found
    assert problems == {}
