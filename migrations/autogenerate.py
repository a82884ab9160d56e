"""How `napflow db revision` writes a new migration from the difference between the models and
the database (Alembic's autogenerate), so that every new file starts in the same form."""

def _skip_empty(context, _revision, directives: list) -> None:
    # A revision that changes nothing is not written: the models already match the database.
    if directives and directives[0].upgrade_ops.is_empty():
        directives[:] = []


# Options for EnvironmentContext.configure: batch operations, so that an ALTER that SQLite
# cannot do is rendered as its copy-and-move (which drops the table's triggers: recreate them
# in the migration); type changes compared; empty revisions skipped.
RENDER_OPTIONS = {
    "render_as_batch": True,
    "compare_type": True,
    "process_revision_directives": _skip_empty,
}


def options(dialect: str) -> dict:
    """RENDER_OPTIONS for a database of `dialect`: an index the models make on one database
    only (Index.ddl_if: the two covering indexes 0005 makes on PostgreSQL) is not missing on the
    others. (Alembic reads no ddl_if itself; SQLAlchemy keeps it as `_ddl_if`.)"""
    def made_here(item, _name, _type, _reflected, _compare_to) -> bool:
        only = getattr(item, "_ddl_if", None)
        if only is None or only.dialect is None:
            return True
        return dialect in ((only.dialect,) if isinstance(only.dialect, str) else only.dialect)
    return {**RENDER_OPTIONS, "include_object": made_here}
