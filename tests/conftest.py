"""Shared fixtures: the same suite runs on SQLite and on PostgreSQL, with a cast of users."""

import os
import shutil
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import Result
from sqlalchemy import Engine, Executable, make_url, select, text
from sqlalchemy.exc import OperationalError

from models import AuditEvent, Base
from models.audit import _SQLITE_GUARDS
from models.db import create_schema, make_engine, make_session_factory, write_session
from workflow import service, users

PG_URL = os.environ.get("NAPFLOW_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
# CI sets this so that an unreachable PostgreSQL fails the run instead of skipping half of it.
REQUIRE_PG = os.environ.get("NAPFLOW_REQUIRE_POSTGRES") == "1"

SAMPLE_CONTENT = {
    "summary": "Strengthen export controls and border enforcement.",
    "period": {"start": "2026-01-01", "end": "2028-12-31"},
    "measures": [{"obligation": "OP3d", "description": "Adopt a national control list",
                  "lead_agency": "Ministry of Commerce", "domains": ["nuclear", "chemical"]}],
}


def private_postgres_schema(prefix: str, options: str = "") -> Iterator[str]:
    """Yield the URL of a new schema on the test PostgreSQL (extra libpq `options` appended),
    and drop it afterwards; skip, or in CI fail, when PostgreSQL cannot be reached."""
    schema = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = make_engine(PG_URL)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        admin.dispose()
        reason = f"PostgreSQL not reachable at {PG_URL} ({err.orig.__class__.__name__})"
        if REQUIRE_PG:
            pytest.fail(reason + "; NAPFLOW_REQUIRE_POSTGRES=1 forbids skipping")
        pytest.skip(reason + "; set NAPFLOW_TEST_POSTGRES_URL to run these tests")
    sep = "&" if "?" in PG_URL else "?"
    try:
        yield f"{PG_URL}{sep}options=-csearch_path%3D{schema}{options}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# URLs whose schema a session fixture built and keeps: a test's engine need not build it again.
_SCHEMA_BUILT: set[str] = set()
# Per PostgreSQL schema, the engine that empties it between tests (one connection, kept).
_EMPTIERS: dict[str, Engine] = {}


@pytest.fixture(scope="session")
def postgres_url():
    """A private schema on the test PostgreSQL with napflow's tables, for the whole run (for
    each pytest-xdist worker: each session has its own)."""
    # Commits need not wait for the disk in these tests: a crash here loses nothing of value.
    for url in private_postgres_schema("napflow_test", "%20-csynchronous_commit%3Doff"):
        engine = make_engine(url)
        create_schema(engine)
        engine.dispose()
        _SCHEMA_BUILT.add(url)
        try:
            yield url
        finally:
            _SCHEMA_BUILT.discard(url)
            if url in _EMPTIERS:
                _EMPTIERS.pop(url).dispose()


# Past this many audit events TRUNCATE is the cheaper way to empty the schema.
_TRUNCATE_FROM = 10_000


def _empty_postgres(url: str) -> None:
    """Every table of the schema empty and its ids restarting at 1, as in a new schema.

    A test writes a few rows: DELETE them (TRUNCATE gives every table and index new files,
    several times the cost); a test that wrote a large log is TRUNCATEd after, so that no
    later test scans its dead rows."""
    engine = _EMPTIERS.get(url) or _EMPTIERS.setdefault(url, make_engine(url))
    # waiting_roles is the workflow definitions' copy, written with the schema: it stays
    tables = [t for t in Base.metadata.sorted_tables if not t.info.get("definitions")]
    with engine.begin() as conn:
        # Replica mode skips the audit table's guard triggers (and the foreign keys' checks):
        # only the test harness does this.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        large = conn.scalar(select(AuditEvent.id).offset(_TRUNCATE_FROM).limit(1))
        if large is not None:
            names = ", ".join(f'"{t.name}"' for t in tables)
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
            return
        for table in reversed(tables):
            conn.execute(table.delete())
        conn.execute(text("SELECT " + ", ".join(
            f"setval(pg_get_serial_sequence('\"{t.name}\"', 'id'), 1, false)"
            for t in tables if "id" in t.c)))


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A SQLite file with napflow's schema, built once: each test's database is a copy."""
    path = tmp_path_factory.mktemp("template") / "napflow.db"
    engine = make_engine(f"sqlite:///{path}")
    create_schema(engine)
    engine.dispose()
    # WAL mode: the last connection's close checkpointed the log into the file.
    assert not path.with_name(path.name + "-wal").exists()
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/napflow.db"
    else:
        url = request.getfixturevalue("postgres_url")
        _empty_postgres(url)
        yield url


@pytest.fixture
def engine(request, database_url):
    """An engine on the test's database, with napflow's schema: a new SQLite file is a copy
    of the template (building the schema costs three times as much), the run's PostgreSQL
    schema is there already; any other database gets the schema built."""
    url = make_url(database_url)
    built = database_url in _SCHEMA_BUILT
    if url.get_backend_name() == "sqlite" and url.database and not Path(url.database).exists():
        shutil.copyfile(request.getfixturevalue("sqlite_template"), url.database)
        built = True
    engine = make_engine(database_url)
    if not built:
        create_schema(engine)
    yield engine
    engine.dispose()


@pytest.fixture
def session_factory(engine):
    return make_session_factory(engine)


@pytest.fixture
def db(session_factory):
    """A session for reading in assertions; it keeps one snapshot until `db.rollback()`."""
    session = session_factory()
    yield session
    session.close()


@pytest.fixture
def new_database(database_url, tmp_path) -> Iterator[Callable[[], str]]:
    """new_database() -> the URL of a new, empty database of the test's kind (SQLite file or
    PostgreSQL schema), removed after the test."""
    made = []
    sqlite = make_url(database_url).get_backend_name() == "sqlite"

    def make() -> str:
        if sqlite:
            return f"sqlite:///{tmp_path}/{uuid.uuid4().hex[:8]}.db"
        schemas = private_postgres_schema("napflow_migrations")
        made.append(schemas)
        return next(schemas)

    yield make
    for schemas in made:
        schemas.close()  # runs its finally: DROP SCHEMA ... CASCADE


@pytest.fixture
def engines() -> Iterator[Callable[[str], Engine]]:
    """engines(url) -> an engine on it, disposed after the test (before its schema is dropped)."""
    made: list[Engine] = []

    def make(url: str) -> Engine:
        made.append(make_engine(url))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


@pytest.fixture
def napflow(app) -> Callable[..., Result]:
    """napflow(engine, "db", "current") -> `napflow db current` run on that engine's
    database, through the test app (pointed back at the test's database afterwards)."""
    from runtime.db import Database

    def run(engine: Engine, *args: str) -> Result:
        saved = app.extensions["napflow.db"]
        url = engine.url.render_as_string(hide_password=False)
        app.extensions["napflow.db"] = Database(url, engine, make_session_factory(engine))
        try:
            return app.test_cli_runner().invoke(args=list(args))
        finally:
            app.extensions["napflow.db"] = saved
    return run


@dataclass
class Person:
    username: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@pytest.fixture
def make_user(session_factory):
    def make(username: str, *grants: str, expires: str | None = None) -> Person:
        with write_session(session_factory) as session:
            _, token = users.add_user(session, "test", username, list(grants), expires)
        return Person(username, token)
    return make


CAST = {
    "drafter": ["drafter:{c}"], "drafter2": ["drafter:{c}"], "reviewer": ["reviewer:{c}"],
    "reviewer2": ["reviewer:{c}"], "approver": ["approver:{c}"],
    "submitter": ["submitter:{c}"], "viewer": ["viewer:{c}"], "auditor": ["auditor:{c}"],
}


def _rows(engine) -> dict[str, list[dict]]:
    with engine.connect() as conn:
        return {t.name: [dict(r) for r in conn.execute(select(t)).mappings()]
                for t in Base.metadata.sorted_tables}


def _insert_rows(engine, rows: dict[str, list[dict]]) -> None:
    with engine.begin() as conn:
        for table in Base.metadata.sorted_tables:
            if rows[table.name]:
                conn.execute(table.insert(), rows[table.name])
            if engine.dialect.name == "postgresql" and rows[table.name] and "id" in table.c:
                conn.execute(text("SELECT setval(pg_get_serial_sequence(:t, 'id'), :n)"),
                             {"t": f'"{table.name}"', "n": max(r["id"] for r in rows[table.name])})


# Per dialect, the cast as the first test built it: its people and every row it wrote.
_CAST_BUILT: dict[str, tuple[dict[str, Person], dict[str, list[dict]]]] = {}


@pytest.fixture
def people(engine, session_factory):
    """Users for every role in Thailand (`drafter`...) and in Viet Nam (`vnm_drafter`...),
    plus the country-less `committee`, `global_auditor` and `admin` (one transaction).

    Built through workflow.users once per database kind; on a later test's empty database the
    same rows (users, grants, token hashes, their audit events) are inserted as they were, which
    is what building them again would give, at a tenth of the cost."""
    dialect = engine.dialect.name
    empty = not any(rows for rows in _rows(engine).values())
    if empty and dialect in _CAST_BUILT:
        cast, rows = _CAST_BUILT[dialect]
        _insert_rows(engine, rows)
        return dict(cast)
    wanted = {prefix + role: [g.format(c=country) for g in grants]
              for country, prefix in (("THA", ""), ("VNM", "vnm_"))
              for role, grants in CAST.items()}
    wanted.update(committee=["committee"], global_auditor=["auditor"], admin=["admin"])
    cast = {}
    with write_session(session_factory) as session:
        for key, grants in wanted.items():
            username = key.replace("_", "-")
            _, token = users.add_user(session, "test", username, grants)
            cast[key] = Person(username, token)
    if empty:
        _CAST_BUILT[dialect] = (dict(cast), _rows(engine))
    return cast


# How a fresh plan reaches each state, as (username in `people`, operation, arguments).
PATH_TO = {
    "draft": [],
    "stakeholder_review": [("drafter", "assign", {"username": "reviewer"}),
                           ("drafter", "submit_for_review", {})],
}
PATH_TO["national_approval"] = PATH_TO["stakeholder_review"] + [
    ("reviewer", "review", {"decision": "approve"}), ("drafter", "endorse", {})]
PATH_TO["approved"] = PATH_TO["national_approval"] + [("approver", "approve", {})]
PATH_TO["submitted"] = PATH_TO["approved"] + [
    ("submitter", "submit_to_committee",
     {"data": {"reference": "NV/2026/17", "publication_consent": True}})]
PATH_TO["acknowledged"] = PATH_TO["submitted"] + [("committee", "acknowledge", {})]
PATH_TO["withdrawn"] = [("drafter", "withdraw", {"comment": "superseded"})]


@pytest.fixture
def make_plan(session_factory, people):
    """make_plan(state="approved", country="VNM") walks a new plan there through the service."""
    def make(state: str = "draft", country: str = "THA", content: dict | None = None,
             title: str = "National action plan") -> int:
        prefix = "" if country == "THA" else country.lower() + "_"

        def user(session, key):
            name = key if key == "committee" else prefix + key
            return users.get_user(session, people[name].username)

        with write_session(session_factory) as session:
            plan = service.create_plan(session, user(session, "drafter"), country=country,
                                       title=title, content=content or SAMPLE_CONTENT)
            plan_id = plan.id
        for who, op, args in PATH_TO[state]:
            with write_session(session_factory) as session:
                actor = user(session, who)
                if op == "assign":
                    service.assign_reviewer(session, actor, plan_id,
                                            username=people[prefix + args["username"]].username)
                elif op == "review":
                    service.record_review(session, actor, plan_id, **args)
                else:
                    service.fire(session, actor, plan_id, op, **args)
        return plan_id
    return make


# One app for the whole run: building one costs about 0.2 s (flask-smorest builds the OpenAPI
# document as blueprints register), which per test was a fifth of the suite's time.
_APP: list = []


@pytest.fixture
def app(database_url, engine, session_factory):
    """The Flask app on this test's database (pytest-flask's `client` and `runner` use it).

    The same app object serves every test: each test points it at its own database (the
    `engine` fixture's, built as the app would build it) and gets the configuration back as
    it was, so what one test sets (`app.config["CLOCK"]`) never reaches the next."""
    from app import create_app
    from runtime.db import Database

    if not _APP:
        _APP.append(create_app({"DATABASE_URL": "sqlite://", "TESTING": True}))
    app = _APP[0]
    config, database = dict(app.config), app.extensions["napflow.db"]
    app.config["DATABASE_URL"] = database_url
    app.extensions["napflow.db"] = Database(database_url, engine, session_factory)
    yield app
    app.extensions["napflow.db"] = database
    app.config.clear()
    app.config.update(config)


@pytest.fixture
def tamper(engine) -> Callable[..., None]:
    """tamper(update(...), delete(...)): write past the append-only guards, as an attacker with
    the database's own credentials could, in one transaction; the guards are back afterwards."""
    def run(*statements: Executable) -> None:
        with engine.begin() as conn:
            if engine.dialect.name == "postgresql":
                # the guards are ordinary triggers, which replica mode does not fire
                conn.execute(text("SET LOCAL session_replication_role = replica"))
                for statement in statements:
                    conn.execute(statement)
                return
            conn.execute(text("DROP TRIGGER audit_events_no_update"))
            conn.execute(text("DROP TRIGGER audit_events_no_delete"))
            for statement in statements:
                conn.execute(statement)
            # create_all would not recreate triggers on an existing table: reuse the model's DDL.
            for ddl in _SQLITE_GUARDS:
                conn.execute(ddl)
    return run


# The longest tests, collected first: pytest-xdist (`make test`) hands tests out in collection
# order, one at a time (--maxschedchunk 1), so a worker that drew a long one is not left
# running it alone at the end while the other has finished.
LONGEST_FIRST = ("tests/model/", "tests/fuzz/", "tests/crash/", "tests/browser/",
                 "tests/api/test_generated_client.py", "tests/test_deploying.py",
                 "tests/test_backup_drill.py")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    def rank(item: pytest.Item) -> int:
        return next((i for i, prefix in enumerate(LONGEST_FIRST)
                     if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))
    items.sort(key=rank)  # stable: within a rank, modules and their tests keep their order
