"""Audit search: the filters, visibility and order of GET /audit, its export and the CLI's.

One query builder serves a page and an export, so the two cannot disagree: an export is the
concatenation of the pages for the same filters. Events come oldest first, by (`at`, `id`):
every filter has an index that ends in (at, id) (models/audit.py), so a time range seeks
straight to its start, and the next page seeks past the last event instead of counting an
offset: page 10,000 costs what page 1 does.
"""

import csv
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, fields
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, false, or_, select, true, tuple_
from sqlalchemy.orm import Session, sessionmaker

from models import AuditEvent, Plan, User, isoformat
from models.audit import HASHED_FIELDS, canonical_json
from workflow.access import national_countries
from workflow.queries import NATIONAL_ACTIONS, Page

# Every field of an event, as the API shows it and the export writes it.
EVENT_FIELDS = (*HASHED_FIELDS, "hash")
# Rows fetched per statement when streaming: memory stays bounded by this, not by the log.
EXPORT_BATCH = 1000

_events = AuditEvent.__table__.c


@dataclass(frozen=True)
class AuditFilters:
    """The search: each given field narrows it (time range: since <= at < until)."""

    country: str | None = None
    plan: int | None = None
    actor: str | None = None
    action: str | None = None
    from_state: str | None = None
    to_state: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def of(cls, args: dict[str, Any]) -> "AuditFilters":
        """The filters among parsed request arguments (the cursor, limit... are not)."""
        return cls(**{f.name: args[f.name] for f in fields(cls) if f.name in args})


def committee_events() -> ColumnElement[bool]:
    """What the Committee sees of the log: a submitted plan's events from its submission on,
    never the national drafting and reviewing."""
    # A correlated lookup rather than the join: the Committee sees a large share of the log,
    # which is read fastest walking (at, id) and probing each event's plan; with a join,
    # SQLite would start from the plans and sort every visible event on each page.
    # (Its own alias: a country filter may join the plans in the outer query too.)
    plan = Plan.__table__.alias("submitted_plan")
    from_seq = select(plan.c.committee_from_seq).where(plan.c.id == _events.plan_id)
    return and_(_events.seq >= from_seq.scalar_subquery(),
                _events.action.not_in(NATIONAL_ACTIONS))


def visible_events(user: User | None) -> tuple[ColumnElement[bool], bool]:
    """The SQL condition on events that `user` may see, and whether it needs each event's
    plan joined; `None` is the operator at the command line, who sees everything."""
    if user is None:
        return true(), False
    countries = national_countries(user)
    system = None in countries or user.holds("admin")  # users, grants and tokens
    if None in countries:  # a global auditor
        return true() if system else _events.plan_id.is_not(None), False
    visible = []
    if countries:
        visible.append(Plan.country.in_(sorted(countries)))
    if user.holds("committee"):
        visible.append(committee_events())
    if system:
        visible.append(_events.plan_id.is_(None))
    return (or_(*visible), bool(countries)) if visible else (false(), False)


def search(user: User | None, filters: AuditFilters) -> Select:
    """The events `user` may see that match `filters`, oldest first (`user` None: all)."""
    visible, needs_plan = visible_events(user)
    query = select(_events.id, *(_events[name] for name in EVENT_FIELDS)).where(visible)
    if filters.country is not None:
        query = query.where(Plan.country == filters.country)
        needs_plan = True
    if needs_plan:
        # Events do not carry their country: the plan does. The join probes plans by primary
        # key, while the order comes from an (…, at, id) index of audit_events.
        query = query.outerjoin(Plan, Plan.id == _events.plan_id)
    for name in ("plan", "actor", "action", "from_state", "to_state"):
        value = getattr(filters, name)
        if value is not None:
            query = query.where(_events["plan_id" if name == "plan" else name] == value)
    # `at` is stored as the exact text shown (UTC, microseconds, Z): text order is time order.
    if filters.since is not None:
        query = query.where(_events.at >= isoformat(filters.since))
    if filters.until is not None:
        query = query.where(_events.at < isoformat(filters.until))
    return query.order_by(_events.at, _events.id)


def seek_after(query: Select, at: str, event_id: int) -> Select:
    """`query` from just after the event (at, event_id): a seek in the (…, at, id) index."""
    return query.where(tuple_(_events.at, _events.id) > tuple_(at, event_id))


def page(session: Session, query: Select, after: int | None, limit: int) -> Page:
    """One page of `query` after the event with id `after` (the previous page's cursor)."""
    if after is not None:
        at = session.scalar(select(_events.at).where(_events.id == after))
        if at is None:  # not an event napflow wrote: nothing comes after it
            return Page([], None)
        query = seek_after(query, at, after)
    rows = session.execute(query.limit(limit + 1)).mappings().all()
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(rows, rows[-1]["id"] if more and rows else None)


def stream(session: Session, query: Select, batch: int | None = None
           ) -> Iterator[dict[str, Any]]:
    """Every event of `query` as a dict of EVENT_FIELDS, fetched `batch` rows per statement
    with the same seek a page uses, so memory never holds more than one batch."""
    batch = batch or EXPORT_BATCH
    position: tuple[str, int] | None = None
    while True:
        rows = session.execute((query if position is None else seek_after(query, *position))
                               .limit(batch)).mappings().all()
        for row in rows:
            yield {name: row[name] for name in EVENT_FIELDS}
        if len(rows) < batch:
            return
        position = rows[-1]["at"], rows[-1]["id"]


def export(sessions: sessionmaker[Session], query: Select,
           batch: int | None = None) -> Iterator[dict[str, Any]]:
    """`stream` in a session of its own, which outlives the request that started it, reading
    one snapshot of the log throughout (PostgreSQL needs REPEATABLE READ for that; SQLite's
    read transaction is one)."""
    with sessions() as session:
        if session.get_bind().dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield from stream(session, query, batch)


def jsonl_lines(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """One event per line, every field exactly as the API returns it (an auditor can re-hash
    each line as the contract says)."""
    for event in events:
        yield json.dumps(event, ensure_ascii=False, separators=(",", ":")) + "\n"


class _Line:
    """A file whose write hands the text back, so csv.writer renders one row at a time."""

    def write(self, text: str) -> str:
        return text


def csv_lines(events: Iterable[dict[str, Any]]) -> Iterator[str]:
    """A header row of EVENT_FIELDS, then one row per event (RFC 4180): `data` as canonical
    JSON, an empty cell for null."""
    writer = csv.writer(_Line())
    yield writer.writerow(EVENT_FIELDS)
    for event in events:
        data = event["data"]
        yield writer.writerow([canonical_json(data) if name == "data" and data is not None
                               else event[name] for name in EVENT_FIELDS])


EXPORT_FORMATS = {"jsonl": jsonl_lines, "csv": csv_lines}
# jsonl: the JSON Lines media type most tools know (NDJSON is the same format).
EXPORT_MEDIA_TYPES = {"jsonl": "application/x-ndjson", "csv": "text/csv"}


def export_body(sessions: sessionmaker[Session], query: Select, format: str
                ) -> Iterator[bytes]:
    """The encoded export of `query` (API and pages serve the same), its first batch read
    now: a database that fails does so before any of the stream is sent, and the caller
    answers with an error instead of a cut-off file."""
    events = export(sessions, query)
    first = next(events, None)
    lines = EXPORT_FORMATS[format](events if first is None else chain([first], events))
    return (line.encode() for line in lines)
