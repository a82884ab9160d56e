"""A database made before sign-in, or before form keys, gains what it lacks at `napflow init-db`."""

from sqlalchemy import inspect, text

from runtime import schema


def test_init_db_adds_the_password_columns_to_an_existing_users_table(new_database, engines,
                                                                      napflow):
    old = engines(new_database())
    schema.upgrade(old, "0001")  # the schema as napflow made it before sign-in
    with old.begin() as connection:
        connection.execute(text("INSERT INTO users (username, created_at) "
                                "VALUES ('old-timer', CURRENT_TIMESTAMP)"))
        connection.execute(text("DROP TABLE alembic_version"))  # made before migrations, too
    result = napflow(old, "init-db")
    assert result.exit_code == 0, result.output
    inspector = inspect(old)
    assert {"password_hash", "session_version"} <= {
        c["name"] for c in inspector.get_columns("users")}
    assert "sign_in_attempts" in inspector.get_table_names()
    with old.connect() as conn:
        row = conn.execute(text("SELECT password_hash, session_version FROM users")).one()
    assert tuple(row) == (None, 1)


def test_init_db_adds_the_form_keys_table_to_an_older_database(new_database, engines, napflow):
    old = engines(new_database())
    schema.upgrade(old, "0003")  # as a database was before forms carried keys
    result = napflow(old, "init-db")
    assert result.exit_code == 0, result.output
    inspector = inspect(old)
    assert "form_keys" in inspector.get_table_names()
    assert {"user_id", "key", "path", "target", "created_at"} <= {
        c["name"] for c in inspector.get_columns("form_keys")}
    assert any(set(u["column_names"]) == {"user_id", "key"}
               for u in inspector.get_unique_constraints("form_keys"))
