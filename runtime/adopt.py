"""Recognising a database napflow made before its migrations (by create_all, with no
alembic_version table), so that it is stamped at the revision it matches and upgraded from
there, never recreated.

What each revision holds is read from a scratch in-memory SQLite database built by the
migrations one revision at a time: the tables, columns and indexes by name, which are the same
on PostgreSQL (the naming convention fixes them). The database is at the newest revision whose
tables and columns it all has. create_all never added an index to an existing table, so an
older install may lack an index its revision has: it is created (init-db used to do just that).
"""

from dataclasses import dataclass
from functools import cache

from alembic import command
from sqlalchemy import Connection, create_engine, inspect

from runtime import schema
from runtime.schema import SchemaError

# Items are ("table", t), ("column", t, c) and ("index", t, name).
Item = tuple[str, ...]


@dataclass(frozen=True)
class IndexShape:
    table: str
    columns: tuple[str, ...]
    unique: bool
    partial: bool


@dataclass(frozen=True)
class Revision:
    name: str
    items: frozenset[Item]
    indexes: dict[str, IndexShape]

    @property
    def structure(self) -> frozenset[Item]:
        """Tables and columns: what recognising a database goes by."""
        return frozenset(item for item in self.items if item[0] != "index")


def observed(connection: Connection) -> tuple[frozenset[Item], dict[str, IndexShape]]:
    inspector = inspect(connection)
    items: set[Item] = set()
    indexes = {}
    for table in schema.napflow_tables(connection):
        items.add(("table", table))
        items.update(("column", table, c["name"]) for c in inspector.get_columns(table))
        for index in inspector.get_indexes(table):
            # PostgreSQL lists the indexes behind unique constraints too; SQLite does not.
            if index.get("duplicates_constraint") or not index["name"]:
                continue
            items.add(("index", table, index["name"]))
            indexes[index["name"]] = IndexShape(
                table, tuple(index["column_names"]), bool(index["unique"]),
                bool(index.get("dialect_options")))
    return frozenset(items), indexes


@cache
def revisions() -> tuple[Revision, ...]:
    """What the database holds at each revision, oldest first (built once per process)."""
    scratch = create_engine("sqlite://")
    found = []
    with scratch.connect() as connection:
        for script in schema.revisions():
            with connection.begin():
                command.upgrade(schema.config(connection), script.revision)
                found.append(Revision(script.revision, *observed(connection)))
    scratch.dispose()
    return tuple(found)


def _names(items) -> str:
    shown = sorted(".".join(item[1:]) for item in items)
    return ", ".join(shown[:6]) + (f" and {len(shown) - 6} more" if len(shown) > 6 else "")


def recognise(items: frozenset[Item]) -> Revision:
    """The newest revision whose tables and columns the database all has; SchemaError when it
    matches none, or holds part of the next revision as well (no napflow ever made that)."""
    known = revisions()
    matched = None
    # Every revision is tried, not only up to the first the database lacks: a later one may
    # drop what an earlier one made (0005 drops plan_counts, which 0003 made).
    for revision in known:
        if revision.structure <= items:
            matched = revision
    if matched is None:
        raise SchemaError(f"this database has tables but is not one napflow made: it lacks "
                          f"{_names(known[0].structure - items)}")
    following = known.index(matched) + 1
    if following < len(known):
        ahead = (known[following].structure - matched.structure) & items
        if ahead:
            raise SchemaError(f"this database matches migration {matched.name} but also holds "
                              f"part of {known[following].name} ({_names(ahead)}): no napflow "
                              "made it; bring it to one revision by hand")
    return matched


def adopt(connection: Connection) -> str:
    """The revision a database made before migrations is at, after creating the indexes of
    that revision it lacks (in the caller's transaction)."""
    items, _ = observed(connection)
    revision = recognise(items)
    for item in sorted(revision.items - items):
        shape = revision.indexes[item[2]]
        if shape.partial:
            raise SchemaError(f"this database lacks the partial index {item[2]}: create it as "
                              f"migration {revision.name} does, then run init-db again")
        columns = ", ".join(f'"{c}"' for c in shape.columns)
        unique = "UNIQUE " if shape.unique else ""
        connection.exec_driver_sql(
            f'CREATE {unique}INDEX "{item[2]}" ON "{shape.table}" ({columns})')
    return revision.name

