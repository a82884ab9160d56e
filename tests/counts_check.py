"""What the kept counts and review flags should be, recomputed from scratch, for the tests."""

from sqlalchemy import Connection, func, select

from models import OpenReviewCount, Plan, PlanCount, ReviewerAssignment
from workflow.review_rounds import open_rounds


def kept_and_fresh(conn: Connection) -> dict[str, tuple[dict, dict]]:
    """(kept, recomputed) for each thing the database or the service keeps: plan counts,
    open-review counts (zero rows left out: they may stay) and each assignment's flag."""
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
    return {"plan counts": plans, "open flags": flags, "open review counts": reviews}


def drift(conn: Connection) -> dict[str, tuple[dict, dict]]:
    """Only what differs from its recomputation: {} when everything kept is exact."""
    return {name: ({k: v for k, v in kept.items() if fresh.get(k) != v},
                   {k: v for k, v in fresh.items() if kept.get(k) != v})
            for name, (kept, fresh) in kept_and_fresh(conn).items() if kept != fresh}
