"""What the kept counts and review flags should be, recomputed from scratch, for the tests."""

import json
from collections import Counter
from datetime import date

from sqlalchemy import Connection, func, select
from sqlalchemy.orm import Session

from models import (
    OpenReviewCount,
    OpenReviewTotal,
    Plan,
    ReviewerAssignment,
    StatusCount,
    User,
)
from workflow.access import national_countries, visible_plans
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
    """(kept, recomputed) for each thing the database or the service keeps: /status's plan
    rows (status_counts, with their bodies), open-review counts and totals (zero rows left
    out: they may stay) and each assignment's flag."""
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
    return {"open flags": flags, "open review counts": reviews,
            "open review totals": totals, "status counts": status}


def drift(conn: Connection) -> dict[str, tuple[dict, dict]]:
    """Only what differs from its recomputation: {} when everything kept is exact."""
    return {name: ({k: v for k, v in kept.items() if fresh.get(k) != v},
                   {k: v for k, v in fresh.items() if kept.get(k) != v})
            for name, (kept, fresh) in kept_and_fresh(conn).items() if kept != fresh}


def recomputed_status(session: Session, user: User, today: date) -> dict[str, list[dict]]:
    """GET /status for `user` from scratch, in Python's order: the plans it sees
    (visible_plans) by country and state and by the role their state waits on (the
    definitions'), and the open rounds past their due day (from the assignments, not the
    kept counts) in the countries it sees nationally."""
    seen = session.execute(select(Plan.country, Plan.workflow, Plan.state)
                           .where(visible_plans(user))).all()
    states = Counter((country, state) for country, _, state in seen)
    roles = Counter((country, role) for country, key, state in seen
                    for role in default_registry().get(key).waiting_on(state))
    countries = national_countries(user)
    overdue = select(Plan.country, func.count()).select_from(ReviewerAssignment).join(
        Plan, Plan.id == ReviewerAssignment.plan_id).where(
        open_rounds(), ReviewerAssignment.due < today).group_by(Plan.country)
    if None not in countries:
        overdue = overdue.where(Plan.country.in_(sorted(c for c in countries if c)))
    late = dict(session.execute(overdue).all()) if countries else {}
    return {
        "overdue": [{"count": n, "country": c} for c, n in sorted(late.items())],
        "plans": [{"count": n, "country": c, "state": s} for (c, s), n in sorted(states.items())],
        "waiting": [{"count": n, "country": c, "role": r}
                    for (c, r), n in sorted(roles.items())],
    }
