"""What the kept counts and review flags should be, recomputed from scratch, for the tests."""

import json

from sqlalchemy import Connection, func, select

from models import (
    OpenReviewCount,
    OpenReviewTotal,
    Plan,
    PlanCount,
    ReviewerAssignment,
    StatusCount,
)
from workflow.engine import default_registry
from workflow.review_rounds import open_rounds


def status_rows(conn: Connection) -> dict[tuple[str, str, str, str], int]:
    """status_counts from scratch: every plan in its state and in each role its state waits
    on (the definitions themselves, not the database's copy), for everyone, and again for
    the Committee if it sees the plan."""
    fresh: dict[tuple[str, str, str, str], int] = {}
    for country, key, state, committee in conn.execute(
            select(Plan.country, Plan.workflow, Plan.state, Plan.committee_from_seq)):
        workflow = default_registry().get(key)
        names = [("state", state)] + [("role", role) for role in (
            workflow.waiting_on(state) if workflow else ())]
        for audience in ["all"] + (["committee"] if committee is not None else []):
            for kind, name in names:
                fresh[audience, kind, country, name] = fresh.get(
                    (audience, kind, country, name), 0) + 1
    return fresh


def kept_and_fresh(conn: Connection) -> dict[str, tuple[dict, dict]]:
    """(kept, recomputed) for each thing the database or the service keeps: plan counts,
    open-review counts and totals, /status's counts (zero rows left out: they may stay) and
    each assignment's flag."""
    plans = {
        (c, w, s, bool(k)): n for c, w, s, k, n in conn.execute(
            select(PlanCount.country, PlanCount.workflow, PlanCount.state, PlanCount.committee,
                   PlanCount.count)) if n}, {
        (c, w, s, bool(k)): n for c, w, s, k, n in conn.execute(
            select(Plan.country, Plan.workflow, Plan.state, Plan.committee_from_seq.is_not(None),
                   func.count()).group_by(Plan.country, Plan.workflow, Plan.state,
                                          Plan.committee_from_seq.is_not(None)))}
    flags = (
        {i: bool(f) for i, f in conn.execute(select(ReviewerAssignment.id,
                                                    ReviewerAssignment.round_open))},
        {i: bool(f) for i, f in conn.execute(
            select(ReviewerAssignment.id, open_rounds())
            .join(Plan, Plan.id == ReviewerAssignment.plan_id))})
    reviews = (
        {(c, d): n for c, d, n in conn.execute(select(
            OpenReviewCount.country, OpenReviewCount.due, OpenReviewCount.count)) if n},
        {(c, d): n for c, d, n in conn.execute(
            select(Plan.country, ReviewerAssignment.due, func.count())
            .join(Plan, Plan.id == ReviewerAssignment.plan_id)
            .where(open_rounds(), ReviewerAssignment.due.is_not(None))
            .group_by(Plan.country, ReviewerAssignment.due))})
    totals = (
        {c: n for c, n in conn.execute(select(OpenReviewTotal.country, OpenReviewTotal.count))
         if n},
        {c: n for c, n in conn.execute(
            select(Plan.country, func.count()).select_from(ReviewerAssignment)
            .join(Plan, Plan.id == ReviewerAssignment.plan_id)
            .where(open_rounds(), ReviewerAssignment.due.is_not(None))
            .group_by(Plan.country))})
    # each row with its body, the row as /status writes it
    status = ({(a, k, c, name): (n, json.loads(body)) for a, k, c, name, n, body in conn.execute(
        select(StatusCount.audience, StatusCount.kind, StatusCount.country, StatusCount.name,
               StatusCount.count, StatusCount.body)) if n},
              {(a, k, c, name): (n, {"count": n, "country": c, k: name})
               for (a, k, c, name), n in status_rows(conn).items()})
    return {"plan counts": plans, "open flags": flags, "open review counts": reviews,
            "open review totals": totals, "status counts": status}


def drift(conn: Connection) -> dict[str, tuple[dict, dict]]:
    """Only what differs from its recomputation: {} when everything kept is exact."""
    return {name: ({k: v for k, v in kept.items() if fresh.get(k) != v},
                   {k: v for k, v in fresh.items() if kept.get(k) != v})
            for name, (kept, fresh) in kept_and_fresh(conn).items() if kept != fresh}
