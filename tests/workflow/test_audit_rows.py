"""The verifier's fast hashes are the contract's recipe, byte for byte, for any values a row
holds: the one written in Python, and the one the database writes from the stored row."""

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert
from sqlalchemy import text as sql

from models import AuditEvent
from models.audit import HASHED_FIELDS, canonical_json, event_hash
from tests.sizes import size
from workflow.audit_rows import canonical_data, reference_hash, row_hash
from workflow.audit_sql import body_sql, prepare, suspect_column

EXAMPLES = size("NAPFLOW_CANONICAL_EXAMPLES", 300, 3000)
# Each example is a row written to the database and read back, so fewer of them.
STORED_EXAMPLES = size("NAPFLOW_STORED_EXAMPLES", 100, 1000)

# Any unicode a column may hold: control characters, quotes, backslashes, astral planes, and
# the separators JSON writers treat specially (U+2028, U+2029); lone surrogates cannot be
# stored as UTF-8, so they are left out.
text = st.text(st.characters(exclude_categories=["Cs"]))
quirky = st.sampled_from(['"', "\\", "\n\t\r\b\f\x00\x1f\x7f", "\u2028\u2029", "é 核 😀", "</"])
texts = st.one_of(text, quirky, st.builds("".join, st.lists(st.one_of(text, quirky))))
big_ints = st.integers(min_value=-(10**40), max_value=10**40)
json_values = st.recursive(
    st.none() | st.booleans() | big_ints | st.floats(allow_nan=False) | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12)
hex_hash = st.text("0123456789abcdef", min_size=64, max_size=64)
rows = st.fixed_dictionaries({
    "plan_id": st.none() | st.integers(1, 2**31 - 1), "seq": st.integers(1, 2**31 - 1),
    "at": texts, "actor": texts, "action": texts, "from_state": st.none() | texts,
    "to_state": st.none() | texts, "content_version": st.none() | st.integers(0, 2**31 - 1),
    "comment": st.none() | texts, "data": st.none() | json_values, "prev_hash": hex_hash,
})
# How a value may sit in the data column: as SQLAlchemy's JSON type writes it (json.dumps,
# ASCII escapes, insertion order), as PostgreSQL might give it back, or with whitespace around.
stored_forms = st.sampled_from([
    json.dumps, lambda v: json.dumps(v, ensure_ascii=False), lambda v: f" \n{json.dumps(v)}\t",
    lambda v: json.dumps(v, indent=2, sort_keys=True)])


def stored(fields, form):
    """The row as the verifier reads it: the eleven hashed columns, `data` as stored text."""
    data = fields["data"]
    return tuple(None if name == "data" and data is None else form(data) if name == "data"
                 else fields[name] for name in HASHED_FIELDS)


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(value=json_values, form=stored_forms)
def test_canonical_data_is_canonical_json_of_the_stored_text(value, form):
    assert canonical_data(form(value)) == canonical_json(json.loads(form(value)))
    assert canonical_data(form(value)) == canonical_json(value)


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(fields=rows, form=stored_forms)
def test_row_hash_is_event_hash(fields, form):
    row = stored(fields, form)
    expected = event_hash(fields)
    assert row_hash(*row[:9], canonical_data(row[9]), row[10]) == expected
    assert reference_hash(row) == expected


@settings(max_examples=EXAMPLES, derandomize=True, deadline=None)
@given(fields=rows, column=st.sampled_from(["plan_id", "seq", "content_version"]))
def test_a_number_stored_as_text_does_not_pass_for_the_number(fields, column):
    """SQLite lets any column hold text: '7' must not hash as 7, in either recipe."""
    value = fields[column] if fields[column] is not None else 7
    fields = {**fields, column: value}
    as_text = {**fields, column: str(value)}
    row = stored(as_text, json.dumps)
    assert row_hash(*row[:9], canonical_data(row[9]), row[10]) != event_hash(fields)
    assert reference_hash(row) != event_hash(fields)


def test_a_value_that_is_not_json_is_refused_as_json_loads_refuses_it():
    for stored_text in ("", "{", '{"a": 1} x', "NaN x"):
        try:
            json.loads(stored_text)
        except json.JSONDecodeError as expected:
            message = str(expected)
        try:
            canonical_data(stored_text)
        except json.JSONDecodeError as found:
            assert str(found) == message
        else:
            raise AssertionError(f"{stored_text!r} was accepted")


# What the schema's columns can hold on both databases: PostgreSQL text holds no NUL (JSON
# strings in `data` may: they hold it escaped) and its varchar columns have their lengths.
def column_text(max_size: int):
    plain = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00"),
                    max_size=max_size)
    return st.one_of(plain, quirky.map(lambda q: q.replace("\x00", "")))


# What the app puts in an event's `data`: an object (models.audit: dict or None) of values a
# JSON text can hold. A bare number is not one: SQLite's JSON column has NUMERIC affinity and
# would keep 2**63 as a REAL; nor is a float's infinity, which PostgreSQL's json refuses.
finite_values = st.recursive(
    st.none() | st.booleans() | big_ints | st.floats(allow_nan=False, allow_infinity=False)
    | texts,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(texts, inner, max_size=4),
    max_leaves=12)
event_data = st.dictionaries(texts, finite_values, max_size=4)

stored_rows = st.fixed_dictionaries({
    # Above any seq the fixtures' chains reach, so (plan_id, seq) stays unique.
    "seq": st.integers(10**6, 2**31 - 1), "at": column_text(32), "actor": column_text(64),
    "action": column_text(64), "from_state": st.none() | column_text(64),
    "to_state": st.none() | column_text(64),
    "content_version": st.none() | st.integers(-(2**31), 2**31 - 1),
    "comment": st.none() | column_text(500), "data": st.none() | event_data,
    "prev_hash": hex_hash,
})


@pytest.fixture
def a_plan(make_plan):
    return make_plan("draft")


@settings(max_examples=STORED_EXAMPLES, derandomize=True, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(fields=stored_rows, of_plan=st.booleans())
def test_the_database_writes_the_recipes_text_from_any_stored_row(engine, a_plan, fields,
                                                                   of_plan):
    """A row as the app's engine writes it (data through its JSON serializer): the body the
    database writes is canonical_json's text, and the database confirms its hash."""
    fields = {**fields, "plan_id": a_plan if of_plan else None}
    events = AuditEvent.__table__
    with engine.connect() as conn:
        transaction = conn.begin()  # rolled back: the examples' seqs may collide
        try:
            event_id = conn.execute(insert(events).values(**fields, hash=event_hash(fields))
                                    .returning(events.c.id)).scalar_one()
            prepare(conn)
            dialect = conn.dialect.name
            body, suspect = conn.execute(sql(
                f"SELECT {body_sql(dialect)}, {suspect_column(dialect)} AS suspect "
                f"FROM audit_events WHERE id = :id"), {"id": event_id}).one()
        finally:
            transaction.rollback()
    assert body == canonical_json({name: fields[name] for name in HASHED_FIELDS})
    assert suspect == 0


@pytest.mark.parametrize(("value", "stored_text"), [
    ({"b": [1, 2.5, None], "a": "é \n"}, '{"a":"é \\n","b":[1,2.5,null]}'),
    ({"a": "x\ud800y"}, '{"a":"x\\ud800y"}'),  # UTF-8 cannot carry it: escaped, as before
])
def test_json_columns_are_stored_as_canonical_text(engine, value, stored_text):
    """The engines write JSON columns as the audit hash writes `data` (models/db.json_text);
    a value UTF-8 cannot carry is still stored, with ASCII escapes, and read back whole."""
    events = AuditEvent.__table__
    row = {"seq": 10**6, "at": "", "actor": "", "action": "", "prev_hash": "0" * 64,
           "hash": "0" * 64, "data": value}
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            event_id = conn.execute(insert(events).values(row).returning(events.c.id)).scalar()
            found = conn.execute(sql("SELECT CAST(data AS TEXT) FROM audit_events WHERE id = :id"),
                                 {"id": event_id}).scalar()
            read_back = conn.execute(events.select().where(events.c.id == event_id)).one().data
        finally:
            transaction.rollback()
    assert (found, read_back) == (stored_text, value)
