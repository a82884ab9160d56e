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
