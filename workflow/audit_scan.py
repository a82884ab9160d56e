"""Verifying every chain in one streaming pass over the audit log, on one core or several.

`verify_chain` reads one chain, a query per plan, and hashes every event in Python by the
contract's recipe. Here the log is read in id order as plain driver rows, keeping for each
chain only a few values; each event's hash is checked by the database itself
(workflow/audit_sql.py), and only an event it does not confirm is fetched whole and judged by
the Python recipe. Both cores fetch: the ids are cut into contiguous ranges, one per worker
process, each scanning its range of the same snapshot and returning, per chain, a *segment*:
how its first event there starts (seq, prev_hash), how many events follow on intact, where it
ends, and the first break inside it. Joining the segments in id order gives each chain's
verdict, then the plan rows' stored heads and states are compared. The checks, their order and
the reports are verify_chain's (workflow/audit.py), so both verifiers name the same first bad
event."""

import os
import sqlite3
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_all_start_methods, get_context

from sqlalchemy import Connection, func, select, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from models import GENESIS_HASH, AuditEvent, Plan, SystemChainHead
from models.db import make_engine
from workflow.audit import SYSTEM_HEAD_ID, ChainReport, chain_report
from workflow.audit_rows import row_hash
from workflow.audit_sql import judge, lenient_text, prepare, suspect_column, whole_rows

__all__ = ["row_hash", "scan_range", "verify_log", "default_workers", "PARALLEL_FROM"]

EVENTS = AuditEvent.__table__
# Below this many events a worker process costs more to start than it saves.
PARALLEL_FROM = 50_000
BATCH = 5_000
# The hashed columns _rows adds when the database does not hash: with plan_id, seq, prev_hash
# and to_state before them, the row has every one.
WHOLE = "at, actor, action, from_state, content_version, comment, CAST(data AS TEXT)"
# Batches judged in Python alone after one the database mostly could not confirm.
RETRY = 8

# Kinds of break, in the order verify_chain checks them.
SEQ, PREV, HASH = "seq", "prev", "hash"
PREV_PROBLEM = "prev_hash does not match the previous event's hash"
HASH_PROBLEM = "hash does not match the event's fields"

# A chain's segment within one id range: [seq and prev_hash of its first event there, events
# seen there, hash and to_state of the last intact one (None before any), first break there as
# (position within the range, kind, seq the event claims) or None].
Segment = list
# A chain's running state once segments are joined: [events intact, head, last to_state,
# (position, problem) of the first break or None].
Scan = list


def _cursor(connection: Connection, streaming: bool):
    # The caller's connection, so its transaction (and snapshot) is the one read. PostgreSQL
    # streams from a named (server-side) cursor, in binary (numbers cost less to read than
    # their text); sqlite3 steps as rows are fetched.
    driver = connection.connection.driver_connection
    return driver.cursor(name="napflow_verify", binary=True) if streaming else driver.cursor()


def _rows(connection: Connection, after: int, upto: int,
          in_sql: bool) -> Iterator[list[tuple]]:
    """Batches of (plan_id, seq, prev_hash, hash, to_state, suspect, id, ...) for the events
    with after < id <= upto in id order, as the driver returns them: suspect is 0 where the
    database confirmed the hash (workflow/audit_sql.py), else the event's id; without the
    database's hashing, every event is a suspect and its other hashed columns follow."""
    suspect = suspect_column(connection.dialect.name) if in_sql else f"{EVENTS.name}.id"
    rest = "" if in_sql else f", {WHOLE}"
    # Named, as PostgreSQL would name the CASE after its ELSE column: "id".
    sql = (f"SELECT plan_id, seq, prev_hash, hash, to_state, {suspect} AS suspect, "
           f"{EVENTS.name}.id{rest} FROM {EVENTS.name} "
           f"WHERE id > {int(after)} AND id <= {int(upto)} ORDER BY {EVENTS.name}.id")
    cursor = _cursor(connection, connection.dialect.name == "postgresql")
    try:
        cursor.execute(sql)
        while batch := cursor.fetchmany(BATCH):
            yield batch
    finally:
        cursor.close()


def _batches(connection: Connection, after: int,
             upto: int) -> Iterator[tuple[list[tuple], dict[int, bool]]]:
    """The range's rows in batches, in id order, each with the verdicts on its events that the
    database did not confirm. A log written before JSON columns were canonical leaves most
    events unconfirmed, and hashing them in SQL first would only add to the work: after such a
    batch, the next RETRY batches are judged in Python alone, then the database is tried
    again. A blob where SQLite should hold text makes its JSON functions fail: that batch is
    judged in Python."""
    prepare(connection)
    canonical: dict[str | None, str] = {None: "null"}
    done, python_left, lenient = after, 0, False
    while done < upto:
        rows = _rows(connection, done, upto, not python_left)
        try:
            with lenient_text(connection, lenient):
                for batch in rows:
                    if python_left:
                        whole = [(r[6], r[0], r[1], r[7], r[8], r[9], r[10], r[4], r[11], r[12],
                                  r[13], r[2], r[3]) for r in batch]
                        yield batch, judge(whole, canonical)
                    else:
                        suspects = [row[5] for row in batch if row[5]]
                        yield batch, (judge(whole_rows(connection, suspects), canonical)
                                      if suspects else {})
                    done = batch[-1][6]
                    if python_left:
                        python_left -= 1
                        if not python_left:
                            break
                    elif len(suspects) * 4 > len(batch):
                        python_left = RETRY
                        break
                else:
                    done = upto
            lenient = False
        except (sqlite3.OperationalError, DBAPIError):
            if lenient or connection.dialect.name != "sqlite":
                raise
            # SQLite's JSON functions refused a blob, or the driver text that is not UTF-8:
            # the batch again, judged in Python, text read leniently.
            python_left, lenient = max(python_left, 1), True
        finally:
            rows.close()


def scan_range(connection: Connection, after: int, upto: int) -> dict[int | None, Segment]:
    """Each chain's segment among the events with after < id <= upto, read in id order: a
    swapped or renumbered event must show up as a break."""
    segments: dict[int | None, Segment] = {}
    for batch, verdicts in _batches(connection, after, upto):
        for plan_id, seq, prev, h, to_state, suspect, *_ in batch:
            segment = segments.get(plan_id)
            if segment is None:
                # Its seq and prev_hash are checked when segments are joined; its hash is
                # judged here.
                segment = segments[plan_id] = [seq, prev, 1, None, None, None]
                if not isinstance(seq, int | float):  # it cannot continue any chain
                    segment[5] = (1, SEQ, seq)
                    continue
                position = 1
            else:
                if segment[5] is not None:
                    continue  # the chain is broken already: its first break is what counts
                position = segment[2] = segment[2] + 1
                if seq != segment[0] + position - 1:
                    segment[5] = (position, SEQ, seq)
                    continue
                if prev != segment[3]:
                    segment[5] = (position, PREV, seq)
                    continue
            if suspect and not verdicts[suspect]:
                segment[5] = (position, HASH, seq)
                continue
            segment[3], segment[4] = h, to_state
    return segments


def join(chains: dict[int | None, Scan], segments: dict[int | None, Segment]) -> None:
    """Continue each chain with its segment of the next id range."""
    for plan_id, (first_seq, first_prev, seen, last, to_state, broken) in segments.items():
        chain = chains.get(plan_id)
        if chain is None:
            chain = chains[plan_id] = [0, GENESIS_HASH, None, None]
        elif chain[3] is not None:
            continue
        count = chain[0]
        if first_seq != count + 1:
            chain[3] = (count + 1, f"seq {first_seq} where {count + 1} was expected")
        elif first_prev != chain[1]:
            chain[3] = (count + 1, PREV_PROBLEM)
        elif broken is not None:
            position, kind, claimed = broken
            if kind == SEQ:
                problem = f"seq {claimed} where {count + position} was expected"
            else:
                problem = PREV_PROBLEM if kind == PREV else HASH_PROBLEM
            chain[3] = (count + position, problem)
            if position > 1:  # the events before the break in this range are intact
                chain[1], chain[2] = last, to_state
            chain[0] = count + position - 1
        else:
            chain[0], chain[1], chain[2] = count + seen, last, to_state


def _scan_part(url: str, snapshot: str | None, after: int,
               upto: int) -> dict[int | None, Segment]:
    """A worker's range: its own connection, on the coordinator's snapshot where the database
    can share one (PostgreSQL); on SQLite, ids <= watermark were committed in id order."""
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            if snapshot is not None:
                connection.execute(text("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ"))
                connection.execute(text(f"SET TRANSACTION SNAPSHOT '{snapshot}'"))
            return scan_range(connection, after, upto)
    finally:
        engine.dispose()


def id_ranges(first: int, last: int, parts: int) -> list[tuple[int, int]]:
    """(after, upto] bounds cutting first..last into `parts` ranges of about as many ids."""
    bounds = [first - 1 + (last - first + 1) * part // parts for part in range(parts + 1)]
    return list(zip(bounds, bounds[1:], strict=False))


def _scan_all(session: Session, first: int, last: int, workers: int) -> dict[int | None, Scan]:
    connection = session.connection()
    chains: dict[int | None, Scan] = {}
    if workers <= 1:
        join(chains, scan_range(connection, first - 1, last))
        return chains
    snapshot = None
    if connection.dialect.name == "postgresql":
        snapshot = connection.execute(text("SELECT pg_export_snapshot()")).scalar_one()
    url = connection.engine.url.render_as_string(hide_password=False)
    # fork: a spawned worker would import the whole app again, which costs more than the
    # scan on a loaded machine. The workers open their own connections and never touch the
    # inherited ones (they end with os._exit, so nothing closes those either).
    method = "fork" if "fork" in get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=get_context(method)) as pool:
        futures = [pool.submit(_scan_part, url, snapshot, after, upto)
                   for after, upto in id_ranges(first, last, workers)]
        for future in futures:  # in id order, as the chains must be continued
            join(chains, future.result())
    return chains


def default_workers(events: int) -> int:
    return min(os.cpu_count() or 1, 4) if events >= PARALLEL_FROM else 1


def verify_log(session: Session, workers: int | None = None) -> Iterator[ChainReport]:
    """Reports for every plan chain in plan order, then the system chain, as verify_all gives
    them. Call it in a transaction that sees one snapshot (REPEATABLE READ on PostgreSQL)."""
    first, last = session.execute(select(func.coalesce(func.min(EVENTS.c.id), 1),
                                         func.coalesce(func.max(EVENTS.c.id), 0))).one()
    if workers is None:
        workers = default_workers(last - first + 1)  # ids have no gaps but rolled-back inserts
    yield from chain_reports(session, _scan_all(session, first, last, workers))


def chain_reports(session: Session, chains: dict[int | None, Scan]) -> Iterator[ChainReport]:
    """The verdict on each plan's chain, then the system chain's, from the joined scans."""
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
