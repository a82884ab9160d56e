"""The seeded database, put back before each stateful scenario so that each starts alike.

Hypothesis replays a scenario's choices and expects the same answers; a database that kept
what earlier scenarios did would answer differently (a plan already approved, an
Idempotency-Key already used) and make the run flaky.
"""

import sqlite3

from sqlalchemy import Engine, func, select, text

from models import Base


class Snapshot:
    def __init__(self, engine: Engine):
        self.engine = engine
        if engine.dialect.name == "sqlite":
            # The audit table refuses DELETE even here; SQLite's backup API copies pages.
            self.copy = sqlite3.connect(":memory:")
            with engine.connect() as conn:
                conn.connection.driver_connection.backup(self.copy)
        else:
            with engine.connect() as conn:
                self.rows = {t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                             for t in Base.metadata.sorted_tables}

    def restore(self) -> None:
        if self.engine.dialect.name == "sqlite":
            self.engine.dispose()
            with self.engine.connect() as conn:
                self.copy.backup(conn.connection.driver_connection)
            return
        tables = Base.metadata.sorted_tables
        with self.engine.begin() as conn:
            # Replica mode skips the audit table's guard triggers, as tests/conftest.py does.
            conn.execute(text("SET LOCAL session_replication_role = replica"))
            conn.execute(text("TRUNCATE {} RESTART IDENTITY CASCADE".format(
                ", ".join(f'"{t.name}"' for t in tables))))
            for table in tables:
                if self.rows[table.name]:
                    conn.execute(table.insert(), self.rows[table.name])
                if "id" in table.c:
                    top = conn.scalar(select(func.max(table.c.id)))
                    if top is not None:
                        conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                                     {"t": f'"{table.name}"', "n": top})
