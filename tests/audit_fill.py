"""Fills a database with a large, realistic audit log fast (Core inserts), for audit search.

Used by tests/workflow/test_audit_search_plans.py (query plans need a table the planner takes
seriously) and, run as a script, to time page 1 against a page 10,000 pages deep:

    .venv/bin/python -m tests.audit_fill sqlite:///tmp/audit.db 200000
    .venv/bin/python -m tests.audit_fill postgresql+psycopg://postgres@127.0.0.1:5432/test 200000

The hashes are not a chain (search never reads them); everything search does read is as the
application writes it: one chain per plan with seq 1, 2, 3..., `at` increasing, the lifecycle's
actions and states, Committee visibility from each plan's first submission.
"""

import random
import sys
import time
from datetime import UTC, datetime, timedelta

import pycountry
from sqlalchemy import Engine, bindparam, func, insert, select, text

from models import AuditEvent, Plan, isoformat
from models.base import Base
from models.db import create_schema, make_engine

# One turn of the lifecycle, as (action, from_state, to_state, who); a plan goes round it again.
LIFECYCLE = [
    ("create", None, "draft", "drafter"), ("edit", None, None, "drafter"),
    ("assign_reviewer", None, None, "drafter"),
    ("submit_for_review", "draft", "stakeholder_review", "drafter"),
    ("review", None, None, "reviewer"),
    ("endorse", "stakeholder_review", "national_approval", "drafter"),
    ("approve", "national_approval", "approved", "approver"),
    ("submit_to_committee", "approved", "submitted", "submitter"),
    ("acknowledge", "submitted", "acknowledged", "committee"),
    ("revise", "acknowledged", "draft", "drafter"),
]
COUNTRIES = sorted(c.alpha_3 for c in pycountry.countries)[:193]
START = datetime(2020, 1, 1, tzinfo=UTC)
CHUNK = 10_000


def fill(engine: Engine, events: int, *, events_per_plan: int = 25, seed: int = 1540) -> None:
    """Append `events` events (one in a hundred about no plan) to the database's audit log."""
    rng = random.Random(seed)
    plans = max(1, events // events_per_plan)
    with engine.begin() as conn:  # after what is there: the cast's events, an earlier fill
        first = (conn.scalar(select(func.max(Plan.id))) or 0) + 1
        system_seq = conn.scalar(select(func.max(AuditEvent.seq))
                                 .where(AuditEvent.plan_id.is_(None))) or 0
    countries = [rng.choice(COUNTRIES) for _ in range(plans)]
    seqs, committee_from = [0] * plans, [None] * plans
    rows = []
    moment = START
    with engine.begin() as conn:
        conn.execute(insert(Plan), [
            {"id": first + i, "country": countries[i], "title": f"plan {i}",
             "workflow": "nap-1540", "state": "draft", "row_version": 1, "created_by": "fill"}
            for i in range(plans)])
        for _ in range(events):
            moment += timedelta(seconds=rng.randint(1, 90))
            if rng.random() < 0.01:
                system_seq += 1
                rows.append(_event(None, system_seq, moment, "cli", "grant", None, None))
            else:
                i = rng.randrange(plans)
                action, source, dest, who = LIFECYCLE[seqs[i] % len(LIFECYCLE)]
                seqs[i] += 1
                if action == "submit_to_committee" and committee_from[i] is None:
                    committee_from[i] = seqs[i]
                actor = who if who == "committee" else f"{countries[i].lower()}-{who}"
                rows.append(_event(first + i, seqs[i], moment, actor, action, source, dest))
            if len(rows) == CHUNK:
                conn.execute(insert(AuditEvent), rows)
                rows.clear()
        if rows:
            conn.execute(insert(AuditEvent), rows)
        plans_table = Plan.__table__
        conn.execute(plans_table.update().where(plans_table.c.id == bindparam("plan")).values(
            audit_seq=bindparam("seq"), committee_from_seq=bindparam("committee_from")), [
            {"plan": first + i, "seq": seqs[i], "committee_from": committee_from[i]}
            for i in range(plans)])
        if engine.dialect.name == "postgresql":
            for table in ("plans", "audit_events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    analyze(engine)


def _event(plan_id, seq, moment, actor, action, source, dest) -> dict:
    return {"plan_id": plan_id, "seq": seq, "at": isoformat(moment), "actor": actor,
            "action": action, "from_state": source, "to_state": dest, "content_version": 1,
            "comment": None, "data": None, "prev_hash": "0" * 64, "hash": "f" * 64}


def analyze(engine: Engine) -> None:
    """Fresh planner statistics, as autovacuum (PostgreSQL) or `ANALYZE` would keep them: of
    napflow's tables only, by name (a bare ANALYZE on PostgreSQL reads every schema of the
    shared test database, and waits behind other runs' locks there)."""
    tables = ", ".join(f'"{name}"' for name in Base.metadata.tables)
    with engine.begin() as conn:
        conn.execute(text(f"ANALYZE {tables}" if engine.dialect.name == "postgresql"
                          else "ANALYZE"))


def _time_pages(engine: Engine, events: int) -> None:
    from sqlalchemy.orm import Session

    from workflow.audit_search import AuditFilters, page, search

    searches = {"everything": AuditFilters(), "country": AuditFilters(country=COUNTRIES[7]),
                "action": AuditFilters(action="approve"),
                "actor": AuditFilters(actor=f"{COUNTRIES[7].lower()}-drafter"),
                "to_state": AuditFilters(to_state="submitted"),
                "since": AuditFilters(since=START + timedelta(days=events // 2000))}
    limit = 20
    with Session(engine) as session:
        for name, filters in searches.items():
            query = search(None, filters)
            # The cursor of a page far down: the id of the event that ends it.
            total = session.scalar(select(func.count()).select_from(query.subquery()))
            deep = session.execute(query.offset(max(0, total - 2 * limit)).limit(1)).first()
            timings = []
            for after in (None, deep.id if deep else None):
                began = time.perf_counter()
                for _ in range(20):
                    page(session, query, after, limit)
                timings.append((time.perf_counter() - began) / 20 * 1000)
            print(f"{name:<10} {total:>8} events  first page {timings[0]:6.2f} ms  "
                  f"page {total // limit - 1:>6} {timings[1]:6.2f} ms")


if __name__ == "__main__":
    url, count = sys.argv[1], int(sys.argv[2])
    engine = make_engine(url)
    create_schema(engine)
    began = time.perf_counter()
    fill(engine, count)
    print(f"{count} events in {time.perf_counter() - began:.1f} s")
    _time_pages(engine, count)
