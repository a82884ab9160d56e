"""Verifying every chain in one streaming pass over the audit log, on one core or several.

`verify_chain` reads one chain through the ORM, which costs a query per plan and an object per
event. Here the whole log is read once in id order as plain rows, keeping for each chain only
(events seen, last hash, last to_state, first break); the plan rows' stored heads and states are
compared at the end. Chains are independent, so the log can be split by plan id over worker
processes, each scanning its share of the same snapshot. The checks, their order and the reports
are verify_chain's (workflow/audit.py), so both verifiers name the same first bad event.
"""

import hashlib
import json
import os
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from json.encoder import encode_basestring
from multiprocessing import get_all_start_methods, get_context
from typing import Any

from sqlalchemy import Connection, Text, cast, func, select, text
from sqlalchemy.orm import Session

from models import GENESIS_HASH, AuditEvent, Plan, SystemChainHead, canonical_json, event_hash
from models.audit import HASHED_FIELDS
from models.db import make_engine
from workflow.audit import SYSTEM_HEAD_ID, ChainReport, chain_report

EVENTS = AuditEvent.__table__
# Below this many events a worker process costs more to start than it saves.
PARALLEL_FROM = 50_000
BATCH = 5_000
CANONICAL_CACHE = 200_000


def row_hash(plan_id, seq, at, actor, action, from_state, to_state, content_version, comment,
             data_json, prev_hash) -> str:
    """event_hash of a row, without building its dict: the canonical JSON written out field by
    field in sorted key order (the text canonical_json gives for the columns' types), with
    `data` given already in canonical form."""
    es = encode_basestring
    body = (f'{{"action":{es(action)},"actor":{es(actor)},"at":{es(at)},'
            f'"comment":{"null" if comment is None else es(comment)},'
            f'"content_version":{"null" if content_version is None else content_version},'
            f'"data":{data_json},'
            f'"from_state":{"null" if from_state is None else es(from_state)},'
            f'"plan_id":{"null" if plan_id is None else plan_id},"prev_hash":{es(prev_hash)},'
            f'"seq":{seq},"to_state":{"null" if to_state is None else es(to_state)}}}')
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


# A chain's running state: [events seen, hash of the last good event, its to_state,
# (position, problem) of the first break or None].
Scan = list


def _rows(connection: Connection, watermark: int, part: int, parts: int) -> Iterator[tuple]:
    """The events as the driver returns them, `data` as its stored JSON text: no ORM, no
    SQLAlchemy row objects, no JSON decoding of values seen before (see scan_events)."""
    columns = [EVENTS.c[name] for name in HASHED_FIELDS[:-2]]
    query = (select(*columns, cast(EVENTS.c.data, Text), EVENTS.c.prev_hash, EVENTS.c.hash)
             .where(EVENTS.c.id <= watermark).order_by(EVENTS.c.id))
    if parts > 1:
        query = query.where(func.coalesce(EVENTS.c.plan_id, 0) % parts == part)
    sql = str(query.compile(dialect=connection.dialect, compile_kwargs={"literal_binds": True}))
    # The caller's connection, so its transaction (and snapshot) is the one read.
    driver = connection.connection.driver_connection
    # PostgreSQL streams from a named (server-side) cursor; sqlite3 steps as rows are fetched.
    streaming = connection.dialect.name == "postgresql"
    cursor = driver.cursor(name="napflow_verify") if streaming else driver.cursor()
    try:
        cursor.execute(sql, ())  # (parameters given, so psycopg reads the compiled `%%`)
        while batch := cursor.fetchmany(BATCH):
            yield from batch
    finally:
        cursor.close()


def scan_events(connection: Connection, watermark: int, part: int = 0,
                parts: int = 1) -> dict[int | None, Scan]:
    """One pass over the events with id <= watermark (of chains in partition `part` of
    `parts`), in id order: a swapped or renumbered event must show up as a break."""
    chains: dict[int | None, Scan] = {}
    # Most events carry one of few `data` values (a decision, an assignment...): each stored
    # text is decoded and put in canonical form once.
    canonical: dict[str | None, str] = {None: "null"}
    es, sha256 = encode_basestring, hashlib.sha256
    for row in _rows(connection, watermark, part, parts):
        plan_id, seq, at, actor, action, from_state, to_state, cv, comment, data, prev, h = row
        chain = chains.get(plan_id)
        if chain is None:
            chain = chains[plan_id] = [0, GENESIS_HASH, None, None]
        elif chain[3] is not None:
            continue  # the chain is broken already: its first break is what counts
        count = chain[0] = chain[0] + 1
        if seq != count:
            chain[3] = (count, f"seq {seq} where {count} was expected")
            continue
        if prev != chain[1]:
            chain[3] = (count, "prev_hash does not match the previous event's hash")
            continue
        data_json = canonical.get(data)
        if data_json is None:
            data_json = canonical_json(json.loads(data))
            if len(canonical) < CANONICAL_CACHE:
                canonical[data] = data_json
        # row_hash, written out here: a call per event is a tenth of the cost. prev is the
        # previous hash (checked just above), hex, so it needs no escaping.
        body = (f'{{"action":{es(action)},"actor":{es(actor)},"at":{es(at)},'
                f'"comment":{"null" if comment is None else es(comment)},'
                f'"content_version":{"null" if cv is None else cv},"data":{data_json},'
                f'"from_state":{"null" if from_state is None else es(from_state)},'
                f'"plan_id":{"null" if plan_id is None else plan_id},"prev_hash":"{prev}",'
                f'"seq":{seq},"to_state":{"null" if to_state is None else es(to_state)}}}')
        if (sha256(body.encode()).hexdigest() != h
                and event_hash(dict(zip(HASHED_FIELDS, (*row[:9], _decoded(data), prev),
                                        strict=True))) != h):
            # (the reference recipe is asked before calling the event bad, so a difference
            # in how the fast path writes a value can never accuse an intact event)
            chain[3] = (count, "hash does not match the event's fields")
            continue
        chain[1], chain[2] = h, to_state
    return chains


def _decoded(data: str | None) -> Any:
    return None if data is None else json.loads(data)


def _scan_part(url: str, snapshot: str | None, watermark: int, part: int,
               parts: int) -> dict[int | None, Scan]:
    """A worker's share: its own connection, on the coordinator's snapshot where the database
    can share one (PostgreSQL); on SQLite, ids <= watermark were committed in id order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if snapshot is not None:
                connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                connection.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            return scan_events(connection, watermark, part, parts)
    finally:
        engine.dispose()


def _scan_all(session: Session, watermark: int, workers: int) -> dict[int | None, Scan]:
    connection = session.connection()
    if workers <= 1:
        return scan_events(connection, watermark)
    snapshot = None
    if connection.dialect.name == "postgresql":
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    url = connection.engine.url.render_as_string(hide_password=False)
    # fork: a spawned worker would import the whole app again, which costs more than the
    # scan on a loaded machine. The workers open their own connections and never touch the
    # inherited ones (they end with os._exit, so nothing closes those either).
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        futures = [pool.submit(_scan_part, url, snapshot, watermark, part, workers)
                   for part in range(workers)]
        chains: dict[int | None, Scan] = {}
        for future in futures:
            chains.update(future.result())  # partitions hold disjoint chains
    return chains


def default_workers(events: int) -> int:
    return min(os.cpu_count() or 1, 4) if events >= PARALLEL_FROM else 1


def verify_log(session: Session, workers: int | None = None) -> Iterator[ChainReport]:
    """Reports for every plan chain in plan order, then the system chain, as verify_all gives
    them. Call it in a transaction that sees one snapshot (REPEATABLE READ on PostgreSQL)."""
    watermark = session.scalar(select(func.coalesce(func.max(EVENTS.c.id), 0)))
    if workers is None:
        workers = default_workers(watermark)  # ids have no gaps but rolled-back inserts
    chains = _scan_all(session, watermark, workers)
    plans = session.execute(select(Plan.id, Plan.audit_seq, Plan.audit_head, Plan.state)
                            .order_by(Plan.id))
    for plan_id, kept_seq, kept_head, state in plans:
        yield _report(plan_id, chains.get(plan_id), kept_seq, kept_head, state)
    head = session.get(SystemChainHead, SYSTEM_HEAD_ID)
    kept_seq, kept_head = (head.seq, head.head) if head else (0, GENESIS_HASH)
    yield _report(None, chains.get(None), kept_seq, kept_head, None)


def _report(plan_id: int | None, chain: Scan | None, kept_seq: int, kept_head: str,
            state: str | None) -> ChainReport:
    count, head, last_to_state, broken = chain or (0, GENESIS_HASH, None, None)
    if broken is not None:
        position, problem = broken
        return ChainReport(plan_id, False, position, head, position, problem)
    state_ok = plan_id is None or (count > 0 and last_to_state == state)
    return chain_report(plan_id, count, head, kept_seq, kept_head, state_ok)
