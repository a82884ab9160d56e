"""A database made before sign-in gains its columns and table at `napflow init-db`."""

from sqlalchemy import inspect, text

from models.db import create_schema, write_session
from workflow import users


def test_init_db_adds_the_password_columns_to_an_existing_users_table(engine,
                                                                      session_factory):
    with write_session(session_factory) as session:
        users.add_user(session, "test", "old-timer", ["viewer:THA"])
    with engine.begin() as conn:  # as the table was before this change
        conn.execute(text("ALTER TABLE users DROP COLUMN password_hash"))
        conn.execute(text("ALTER TABLE users DROP COLUMN session_version"))
        conn.execute(text("DROP TABLE sign_in_attempts"))
    create_schema(engine)
    inspector = inspect(engine)
    assert {"password_hash", "session_version"} <= {
        c["name"] for c in inspector.get_columns("users")}
    assert "sign_in_attempts" in inspector.get_table_names()
    with engine.connect() as conn:
        row = conn.execute(text("SELECT password_hash, session_version FROM users")).one()
    assert tuple(row) == (None, 1)


def test_init_db_adds_the_form_keys_table_to_an_older_database(engine):
    with engine.begin() as conn:  # as a database was before forms carried keys
        conn.execute(text("DROP TABLE form_keys"))
    create_schema(engine)
    inspector = inspect(engine)
    assert "form_keys" in inspector.get_table_names()
    assert {"user_id", "key", "path", "target", "created_at"} <= {
        c["name"] for c in inspector.get_columns("form_keys")}
    assert any(set(u["column_names"]) == {"user_id", "key"}
               for u in inspector.get_unique_constraints("form_keys"))
