"""Alembic's environment: migrations run on the connection napflow hands over (runtime/schema),
inside napflow's own transaction, so a failed upgrade leaves the database as it was."""

from alembic import context

from migrations.autogenerate import options
from models import Base

connection = context.config.attributes.get("connection")
if connection is None or context.is_offline_mode():
    # Run from napflow only (`napflow db ...`): the URL, SQLite's write lock and
    # PostgreSQL's advisory lock come from there.
    raise RuntimeError(
        "napflow's migrations run through `napflow db upgrade`, not the alembic command"
    )

context.configure(
    connection=connection, target_metadata=Base.metadata,
    **options(connection.dialect.name)
)
with context.begin_transaction():
    context.run_migrations()
