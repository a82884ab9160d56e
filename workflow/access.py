"""Who may see which plans, and which roles a user holds on a plan."""

from functools import cache

from sqlalchemy import ColumnElement, Select, bindparam, false, or_, select, true
from sqlalchemy.orm import Session

from models import Plan, ReviewerAssignment, User
from workflow.errors import NotFound

# Ids are PostgreSQL INTEGERs: a larger number names nothing, and must not reach the database.
MAX_ID = 2**31 - 1

# session.info: (transaction, ids of the plans it has locked).
LOCKED = "napflow.locked_plans"

# Roles that see every plan of their country, whatever its state.
NATIONAL_ROLES = ("drafter", "reviewer", "approver", "submitter", "viewer", "auditor")


def national_countries(user: User) -> set[str | None]:
    """Countries the user sees in full; None stands for every country (a global auditor)."""
    return {g.country for g in user.grants if g.role in NATIONAL_ROLES}


def sees_all(user: User) -> bool:
    return None in national_countries(user)


def committee_only(user: User, plan: Plan) -> bool:
    """True when the user sees `plan` only as the Committee does (from submission on)."""
    return not sees_nationally(user, plan) and user.holds("committee")


def sees_nationally(user: User, plan: Plan) -> bool:
    countries = national_countries(user)
    return None in countries or plan.country in countries


def can_see(user: User, plan: Plan) -> bool:
    return sees_nationally(user, plan) or (
        user.holds("committee") and plan.committee_from_seq is not None)


def visible_plans(user: User, *, nationally: bool = False) -> ColumnElement[bool]:
    """The SQL condition matching exactly the plans `can_see` allows (with `nationally`,
    those `sees_nationally` allows: not the Committee's view of submitted plans)."""
    countries = national_countries(user)
    if None in countries:
        return true()
    clauses = []
    if countries:
        clauses.append(Plan.country.in_(sorted(countries)))
    if user.holds("committee") and not nationally:
        clauses.append(Plan.committee_from_seq.is_not(None))
    return or_(*clauses) if clauses else false()


@cache
def _locked_plan() -> Select:
    # Fresh from the row, not from an identity map that an earlier transaction filled.
    return (select(Plan).where(Plan.id == bindparam("plan_id")).with_for_update()
            .execution_options(populate_existing=True))


def load_plan(session: Session, user: User, plan_id: int, *, lock: bool = False) -> Plan:
    """The plan if `user` may see it, else NotFound (never Forbidden: existence is private).

    With `lock`, the row is locked until the transaction ends (SELECT ... FOR UPDATE on
    PostgreSQL; on SQLite the writing transaction already holds the database's write lock),
    once per transaction: a plan locked already (by the request pipeline) is not read again.
    """
    if not 0 < plan_id <= MAX_ID:
        raise NotFound(f"plan {plan_id} not found")
    transaction, locked = session.get_transaction(), session.info.get(LOCKED)
    if lock and not (locked and locked[0] is transaction and plan_id in locked[1]):
        plan = session.scalars(_locked_plan(), {"plan_id": plan_id}).one_or_none()
        if plan is not None:
            if not (locked and locked[0] is transaction):
                locked = session.info[LOCKED] = (transaction, set())
            locked[1].add(plan_id)
    else:  # loaded already (by the request pipeline, or locked in this transaction)
        plan = session.get(Plan, plan_id)
    if plan is None or not can_see(user, plan):
        raise NotFound(f"plan {plan_id} not found")
    return plan


def is_assigned(session: Session, user: User, plan: Plan) -> bool:
    return session.scalar(
        select(ReviewerAssignment.id).where(ReviewerAssignment.plan_id == plan.id,
                                            ReviewerAssignment.user_id == user.id)
    ) is not None


def holds_transition_role(session: Session, user: User, plan: Plan,
                          roles: tuple[str, ...]) -> bool:
    for role in roles:
        if role == "assigned_reviewer":
            if user.holds("reviewer", plan.country) and is_assigned(session, user, plan):
                return True
        elif role in ("committee", "admin"):
            if user.holds(role):
                return True
        elif any(g.role == role and g.country == plan.country for g in user.grants):
            return True
    return False
