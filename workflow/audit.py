"""Appending to and verifying the hash chains of the audit log."""

from collections.abc import Iterator
from contextlib import closing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, Text, cast, select
from sqlalchemy.orm import Session

from models import GENESIS_HASH, AuditEvent, Plan, SystemChainHead, event_hash, isoformat, utcnow
from models.audit import HASHED_FIELDS
from workflow.audit_rows import recipe_matches
from workflow.audit_sql import lenient_text

SYSTEM_HEAD_ID = 1


def append_event(session: Session, *, plan: Plan | None, actor: str, action: str,
                 from_state: str | None = None, to_state: str | None = None,
                 content_version: int | None = None, comment: str | None = None,
                 data: dict[str, Any] | None = None) -> AuditEvent:
    """Add the next event of `plan`'s chain (or the system chain) to the session.

    The caller holds the plan row locked (or is the only writer, on SQLite), so reading the
    head and writing the next link cannot interleave with another writer.
    """
    what = {"actor": actor, "action": action, "from_state": from_state, "to_state": to_state,
            "content_version": content_version, "comment": comment, "data": data}
    if plan is not None:
        moment = utcnow()
        fields = next_link(plan.id, plan.audit_seq, plan.audit_head, moment, **what)
        plan.audit_seq, plan.audit_head = fields["seq"], fields["hash"]
        if from_state != to_state:  # created, or a transition into another state
            plan.state_since = moment
    else:
        head = _system_head(session)
        fields = next_link(None, head.seq, head.head, utcnow(), **what)
        head.seq, head.head = fields["seq"], fields["hash"]
    event = AuditEvent(**fields)
    session.add(event)
    return event


def next_link(plan_id: int | None, seq: int, head: str, at: datetime,
              **what: Any) -> dict[str, Any]:
    """The fields, hash included, of the event after (`seq`, `head`) on a chain, happening
    `at`; `what` is every hashed field but the chain's own. The caller moves the chain's head
    on to it (and a plan entering another state records `at` as its state_since)."""
    fields = {"plan_id": plan_id, **what, "seq": seq + 1, "at": isoformat(at),
              "prev_hash": head}
    fields["hash"] = event_hash(fields)
    return fields


def _system_head(session: Session) -> SystemChainHead:
    head = session.scalars(select(SystemChainHead).where(SystemChainHead.id == SYSTEM_HEAD_ID)
                           .with_for_update()).one_or_none()
    if head is None:
        head = SystemChainHead(id=SYSTEM_HEAD_ID, seq=0, head=GENESIS_HASH)
        session.add(head)
        session.flush()
    return head


@dataclass
class ChainReport:
    plan_id: int | None
    valid: bool
    events: int
    head: str
    first_invalid_seq: int | None = None
    problem: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return {"valid": self.valid, "events": self.events, "head": self.head,
                "first_invalid_seq": self.first_invalid_seq}


def _chain_rows(session: Session, plan_id: int | None) -> Iterator[Row]:
    """The chain's events as the eleven hashed columns, then `hash`, `data` as its stored text.

    Plain values, not AuditEvent objects: the ORM's JSON type would raise on loading a `data`
    that Python cannot read as JSON, which only tampering writes, and which must be reported
    as a break at that event (as the whole-log scan does), not end the verify in an error."""
    events = AuditEvent.__table__
    where = events.c.plan_id.is_(None) if plan_id is None else events.c.plan_id == plan_id
    columns = [cast(events.c.data, Text).label("data") if name == "data" else events.c[name]
               for name in HASHED_FIELDS]
    # Ordered by insertion, not by seq: a swapped or renumbered event must show up as a break.
    query = select(*columns, events.c.hash).where(where).order_by(events.c.id)
    with session.execute(query.execution_options(yield_per=500)) as rows:
        yield from rows


def verify_chain(session: Session, plan_id: int | None) -> ChainReport:
    """Re-check one chain: hashes, links, seq without gaps, and the head kept outside it."""
    expected_prev, count, last_to_state = GENESIS_HASH, 0, None
    # Closed even when stopping early at a bad event: on PostgreSQL yield_per streams from a
    # server-side cursor, which must not be left open. A chain is short enough for its text
    # to be read leniently (audit_sql.lenient_text): bytes that are not UTF-8 are a break.
    with lenient_text(session.connection()), closing(_chain_rows(session, plan_id)) as events:
        for event in events:
            count += 1
            problem = None
            if event.seq != count:
                problem = f"seq {event.seq} where {count} was expected"
            elif event.prev_hash != expected_prev:
                problem = "prev_hash does not match the previous event's hash"
            elif not recipe_matches(tuple(event)[:len(HASHED_FIELDS)], event.hash):
                problem = "hash does not match the event's fields"
            if problem:
                # The position where the chain breaks, not the seq the event claims: a
                # renumbered, deleted or swapped event must not point the auditor at a seq
                # that is intact.
                return ChainReport(plan_id, False, count, expected_prev, count, problem)
            expected_prev, last_to_state = event.hash, event.to_state
    if plan_id is None:
        head = session.get(SystemChainHead, SYSTEM_HEAD_ID)
        kept_seq, kept_head = (head.seq, head.head) if head else (0, GENESIS_HASH)
        state_ok = True
    else:
        plan = session.get(Plan, plan_id)
        kept_seq, kept_head = (plan.audit_seq, plan.audit_head) if plan else (0, GENESIS_HASH)
        state_ok = plan is None or (count > 0 and last_to_state == plan.state)
    return chain_report(plan_id, count, expected_prev, kept_seq, kept_head, state_ok)


def chain_report(plan_id: int | None, count: int, head: str, kept_seq: int, kept_head: str,
                 state_ok: bool) -> ChainReport:
    """The verdict on a chain whose `count` events all verified, ending in `head`: it must
    end where the stored head says, in the state the plan is in."""
    if kept_seq != count or kept_head != head:
        return ChainReport(plan_id, False, count, head, min(kept_seq, count) + 1,
                           f"the stored head (seq {kept_seq}) does not match the chain "
                           f"({count} events): events were cut off or added")
    if not state_ok:
        # The last event is intact; what is missing is the event that changed the state.
        return ChainReport(plan_id, False, count, head, count + 1,
                           "the plan's state differs from the last event's to_state")
    return ChainReport(plan_id, True, count, head)


def verify_all(session: Session, plan_id: int | None = None) -> Iterator[ChainReport]:
    """Reports for one plan, or for every plan chain and then the system chain (in one
    streaming pass over the log: workflow/audit_scan.py)."""
    if plan_id is not None:
        yield verify_chain(session, plan_id)
        return
    from workflow.audit_scan import verify_log  # it builds on this module's reports

    yield from verify_log(session)
