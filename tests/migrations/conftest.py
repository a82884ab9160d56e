"""Helpers for the migration tests (new databases, `napflow` on them: tests/conftest.py)."""

from collections.abc import Callable

import pytest
from sqlalchemy import Engine, MetaData, select, text

from models import Base
from models.db import write_session
from runtime import schema
from workflow import service, users


def stamped(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return schema.current(connection)


def forget_migrations(engine: Engine) -> None:
    """Make the database one napflow made before Alembic: the same tables, no alembic_version."""
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE alembic_version"))


def rows(engine: Engine, table: str, order: str = "id") -> list[tuple]:
    with engine.connect() as connection:
        return [tuple(r) for r in connection.execute(
            select(text("*")).select_from(text(table)).order_by(text(order)))]


@pytest.fixture
def lived_in(make_plan, session_factory, people) -> Callable[[], None]:
    """lived_in(): fill the test's database through the service: plans in every state in two
    countries, a review given and one owed in the same state, a revision begun."""
    def call(name: str, operation: Callable[..., object], *args, **kwargs) -> None:
        with write_session(session_factory) as session:
            operation(session, users.get_user(session, people[name].username), *args, **kwargs)

    def fill() -> None:
        for state in ("draft", "stakeholder_review", "national_approval", "approved",
                      "submitted", "acknowledged", "withdrawn"):
            make_plan(state)
        make_plan("stakeholder_review", country="VNM")
        call("reviewer", service.record_review, make_plan("stakeholder_review"),
             decision="approve")
        call("drafter", service.fire, make_plan("acknowledged"), "revise")
    return fill


def copy_rows(source: Engine, target: Engine) -> None:
    """Every row of `source` into the tables `target` has, with the columns they have then
    (the kept counts left to `target`'s triggers): a database at an older revision holding
    what napflow wrote (written through Core, since today's code need not run on an older
    schema)."""
    tables = MetaData()
    tables.reflect(target)
    with source.connect() as reading, target.begin() as writing:
        for table in tables.sorted_tables:
            modelled = Base.metadata.tables.get(table.name)
            # The kept counts are the target's triggers' to write, from the rows copied (a
            # table a later migration dropped, plan_counts, has no model to read it by).
            if modelled is None or modelled.info.get("derived"):
                continue
            found = [dict(row) for row in reading.execute(
                select(*(modelled.c[column.name] for column in table.c))).mappings()]
            if found:
                writing.execute(table.insert(), found)
            if found and target.dialect.name == "postgresql" and "id" in table.c:
                writing.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                                {"t": table.name, "n": max(row["id"] for row in found)})
