"""Each audit event's hash checked inside the database: the verifier's fast path.

The contract's recipe hashes the canonical JSON of the event's fields in a fixed, sorted key
order. That text is written here in SQL: every string through the database's JSON string
quoting (which escapes exactly what Python's `ensure_ascii=False` encoder escapes), numbers as
their decimal text, and `data` spliced as stored, which is the canonical text when the writer's
engine serialized it (models/db.make_engine). The database compares its sha256 with the stored
hash and names each event it could not confirm; such an event (an old row, a value of another
type, a text the database quotes differently, a tampered row) is judged by the Python recipe
(workflow/audit_rows.py), so the database can only confirm an event, never condemn one.
"""

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Text, cast, select

from models import AuditEvent
from models.audit import HASHED_FIELDS
from workflow.audit_rows import canonical_data, recipe_matches, row_hash

EVENTS = AuditEvent.__table__
# Distinct `data` texts kept in canonical form, for a log whose events are mostly unconfirmed.
CANONICAL_CACHE = 200_000

# The hashed fields in the body's key order (sorted); `data` is spliced as stored.
BEFORE_DATA = ("action", "actor", "at", "comment", "content_version")
AFTER_DATA = ("from_state", "plan_id", "prev_hash", "seq", "to_state")
INTEGERS = {"content_version", "plan_id", "seq"}
SQLITE_SHA256 = "napflow_sha256"


def _postgresql_body() -> str:
    def value(column: str) -> str:
        if column == "data":
            return "coalesce(data::text, 'null')"  # the json type keeps the text as written
        if column in INTEGERS:
            return f"coalesce({column}::text, 'null')"
        return f"coalesce(to_json({column})::text, 'null')"  # a JSON string, escaped
    columns = (*BEFORE_DATA, "data", *AFTER_DATA)
    return " || ".join(f"'{'{' if index == 0 else ','}\"{column}\":' || {value(column)}"
                       for index, column in enumerate(columns)) + " || '}'"


def _sqlite_body() -> str:
    # json_object writes each value as JSON (strings escaped), compact, in the order given,
    # and costs less than a json_quote() per column; `data` goes between two such objects
    # byte for byte, as stored (each object's one brace on that side is trimmed off).
    def fields(columns: tuple[str, ...]) -> str:
        return ", ".join(f"'{column}', {column}" for column in columns)
    return (f"rtrim(json_object({fields(BEFORE_DATA)}), '}}') || ',\"data\":' || "
            f"coalesce(data, 'null') || ',' || ltrim(json_object({fields(AFTER_DATA)}), '{{')")


def body_sql(dialect: str) -> str:
    """An SQL expression over an audit_events row: the text the recipe hashes, written from
    the row's stored values."""
    return _postgresql_body() if dialect == "postgresql" else _sqlite_body()


def suspect_column(dialect: str) -> str:
    """An SQL expression over an audit_events row: 0 where the stored hash is the sha256 of
    the body written from the row's stored values, else the row's id (for the Python recipe
    to judge). A value of a type other than the schema's is written as the recipe writes its
    type, or differently (a real): the event is then only left unconfirmed.

    On SQLite it fails, an error and not a verdict, where a column holds a blob (json_object
    refuses one): the caller then judges every event of its range in Python."""
    if dialect == "postgresql":
        digest = f"encode(sha256(convert_to({body_sql(dialect)}, 'UTF8')), 'hex')"
    else:
        digest = f"{SQLITE_SHA256}({body_sql(dialect)})"
    # `data` is spliced as raw text, and needs no json_valid(): every other value is written
    # escaped (a string cannot hold an unescaped quote), so the text before `"data":` and the
    # text from `,"from_state":` on each occur once outside strings, and an equal body means
    # the same columns and the same `data` text, byte for byte.
    return f"CASE WHEN hash = {digest} THEN 0 ELSE id END"


def _sha256_hex(body: str) -> str:
    return hashlib.sha256(body.encode("utf-8")).hexdigest()


def prepare(connection: Connection) -> None:
    """Give a SQLite connection the sha256 the body is hashed with (PostgreSQL has one)."""
    if connection.dialect.name == "sqlite":
        connection.connection.driver_connection.create_function(
            SQLITE_SHA256, 1, _sha256_hex, deterministic=True)


def _surrogate_text(stored: bytes) -> str:
    return stored.decode("utf-8", "surrogateescape")


@contextmanager
def lenient_text(connection: Connection, lenient: bool = True) -> Iterator[None]:
    """While it lasts, SQLite text that is not UTF-8 (SQLite keeps any bytes it is given as
    text, which only tampering does here) is read with each bad byte as a lone surrogate,
    instead of failing the fetch: UTF-8 cannot carry one, so the recipe finds that event
    broken. PostgreSQL checks text's encoding on its way in. Off by default: a Python
    text_factory costs a call per value fetched."""
    if not lenient or connection.dialect.name != "sqlite":
        yield
        return
    driver = connection.connection.driver_connection
    kept, driver.text_factory = driver.text_factory, _surrogate_text
    try:
        yield
    finally:
        driver.text_factory = kept


def whole_rows(connection: Connection, ids: list[int]) -> list[tuple]:
    """The events with these ids as (id, the eleven hashed columns, hash), `data` as text."""
    query = select(EVENTS.c.id, *[EVENTS.c[name] for name in HASHED_FIELDS[:-2]],
                   cast(EVENTS.c.data, Text), EVENTS.c.prev_hash, EVENTS.c.hash
                   ).where(EVENTS.c.id.in_(ids))
    return [tuple(row) for row in connection.execute(query)]


def judge(rows: list[tuple], canonical: dict[str | None, str]) -> dict[int, bool]:
    """Whether each event the database did not confirm, as whole_rows gives it, is intact by
    the Python recipe: its fast text (workflow/audit_rows.py) first, then the contract's
    recipe itself, so that a difference in how either writes a value can never accuse an
    intact event. `canonical` keeps the canonical form of the `data` texts seen."""
    verdicts = {}
    for event_id, *row, h in rows:
        plan_id, seq, at, actor, action, from_state, to_state, cv, comment, data, prev = row
        data_json = canonical.get(data)
        if data_json is None:
            try:
                data_json = canonical_data(data)
            except (ValueError, RecursionError):  # no JSON Python reads: not what was hashed
                verdicts[event_id] = False
                continue
            if len(canonical) < CANONICAL_CACHE:
                canonical[data] = data_json
        try:
            intact = h == row_hash(plan_id, seq, at, actor, action, from_state, to_state, cv,
                                   comment, data_json, prev)
        except (TypeError, ValueError):  # a value of another type (SQLite allows it), or a
            intact = False              # string UTF-8 cannot carry: the recipe decides
        verdicts[event_id] = intact or recipe_matches(tuple(row), h)
    return verdicts
