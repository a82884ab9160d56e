"""A transition's write: the plan row's one version-checked UPDATE and its audit event."""

from functools import cache
from typing import Any

from sqlalchemy import Insert, Update, bindparam, insert, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.exc import StaleDataError

from models import AuditEvent, Plan, utcnow

PLANS, EVENTS = Plan.__table__, AuditEvent.__table__


@cache
def _plan_update(columns: tuple[str, ...]) -> Update:
    """UPDATE of these columns, if the row is still at the version read. Built once per set
    of columns (a transition's effects decide which): building it cost as much as sending it."""
    return (update(PLANS)
            .where(PLANS.c.id == bindparam("plan_id"),
                   PLANS.c.row_version == bindparam("read_version"))
            .values({PLANS.c[name]: bindparam(f"new_{name}", type_=PLANS.c[name].type)
                     for name in columns}))


@cache
def _event_insert() -> Insert:
    return insert(EVENTS)


def write_plan(session: Session, plan: Plan, changes: dict[str, Any],
               event: dict[str, Any]) -> None:
    """Write `changes` to the plan's row (its new state, what the effects changed) with its
    audit head moved on to `event` (`next_link`'s fields), then insert the event.

    The one place a transition writes its plan row: UPDATE ... WHERE row_version is the one
    read (the check the ORM's version_id_col makes), in the caller's transaction. Sent with
    Core: the unit of work cost about a seventh of a transition. The plan object is given
    the written values as its loaded state, so the session has nothing left to write.
    """
    values = {**changes, "audit_seq": event["seq"], "audit_head": event["hash"],
              "row_version": plan.row_version + 1, "updated_at": utcnow()}
    written = session.connection().execute(
        _plan_update(tuple(values)),
        {"plan_id": plan.id, "read_version": plan.row_version,
         **{f"new_{name}": value for name, value in values.items()}})
    if written.rowcount != 1:
        raise StaleDataError(f"plan {plan.id} changed since row version {plan.row_version}")
    for name, value in values.items():
        set_committed_value(plan, name, value)
    session.connection().execute(_event_insert(), event)
