"""Fixtures of the browser tests: napflow served on a real port with the demo loaded, and
Debian's Chromium driven by Playwright (one browser per session, a context per person)."""

import os
import threading
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import timedelta

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from demo.seed import DEMO_PASSWORD
from models import utcnow

# Debian's package (`apt-get install chromium`): Playwright's own browser download is not
# possible here, so it drives this one. NAPFLOW_CHROMIUM names another build elsewhere.
CHROMIUM = os.environ.get("NAPFLOW_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium keeps calling home on a network that is closed.
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu",
                  "--disable-background-networking", "--disable-component-update",
                  "--no-first-run"]
# CI sets this so that a missing browser fails the run instead of skipping these tests.
REQUIRE_BROWSER = os.environ.get("NAPFLOW_REQUIRE_BROWSER") == "1"
WIDE = {"width": 1280, "height": 900}
# A step (an action, or an `expect` coming true) that waits longer than this has failed:
# generous, for a machine busy with other work; Playwright's own are 30 s and 5 s.
TIMEOUT_MS = 20_000
expect.set_options(timeout=TIMEOUT_MS)


def _unavailable(reason: str) -> None:
    if REQUIRE_BROWSER:
        pytest.fail(f"{reason}; NAPFLOW_REQUIRE_BROWSER=1 forbids skipping the browser tests")
    pytest.skip(f"browser tests skipped: {reason}")


@pytest.fixture(scope="session")
def chromium():
    """The one browser of the session (of each pytest-xdist worker)."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        _unavailable(f"no Chromium at {CHROMIUM} (Debian: `apt-get install -y chromium`; "
                     f"elsewhere set NAPFLOW_CHROMIUM to a Chromium binary)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
        yield browser
        browser.close()


# The databases the site runs on: SQLite, the embedded default, unless this names more
# (`sqlite,postgresql`: each test then runs on each, PostgreSQL in a schema of its own).
DATABASES = os.environ.get("NAPFLOW_BROWSER_DATABASES", "sqlite").split(",")


@pytest.fixture(scope="session", params=DATABASES)
def site(request, tmp_path_factory) -> Iterator[str]:
    """napflow's base URL: the app served by werkzeug in a thread, on a new database where
    `napflow init-db` and `napflow demo` ran (the demo's users, password and plans)."""
    from app import create_app
    from runtime.db import Database
    from tests.conftest import private_postgres_schema

    folder = tmp_path_factory.mktemp("site")
    url = f"sqlite:///{folder}/napflow.db"
    with ExitStack() as cleanup:
        if request.param == "postgresql":
            schema = private_postgres_schema("napflow_browser")
            url = next(schema)
            cleanup.callback(schema.close)  # drops the schema
        # Cheap password hashes, as the other page tests use: each person signs in once or
        # twice. Today is two months on, so the demo's reviews (due in 30 days) are overdue
        # and the pages that show overdue reviews show some (tables, red tags, links).
        app = create_app({"DATABASE_URL": url, "SECRET_KEY": "napflow-browser-tests-only",
                          "PASSWORD_TIME_COST": 1, "PASSWORD_MEMORY_KIB": 8,
                          "PASSWORD_PARALLELISM": 1,
                          "CLOCK": lambda: utcnow() + timedelta(days=60)})
        database: Database = app.extensions["napflow.db"]
        cleanup.callback(database.engine.dispose)
        runner = app.test_cli_runner()
        for args in (["init-db"], ["demo", "--tokens-file", str(folder / "tokens.env")]):
            result = runner.invoke(args=args)
            assert result.exit_code == 0, result.output
        server = make_server("127.0.0.1", 0, app, threaded=True)
        cleanup.callback(server.server_close)
        thread = threading.Thread(target=server.serve_forever, name="napflow-site",
                                  daemon=True)
        thread.start()
        cleanup.callback(thread.join)
        cleanup.callback(server.shutdown)
        yield f"http://127.0.0.1:{server.server_port}"


@pytest.fixture
def person(chromium, site) -> Iterator[Callable[..., object]]:
    """person("tha-drafter") is a new browser context (its own cookies) signed in through the
    sign-in page with the demo password, on the page signing in led to; `js=False` turns
    JavaScript off in it. The contexts are closed after the test."""
    contexts = []

    def sign_in(username: str, js: bool = True):
        context = chromium.new_context(base_url=site, java_script_enabled=js, viewport=WIDE)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/sign-in")
        page.get_by_label("Username").fill(username)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        assert "/sign-in" not in page.url, page.content()
        return page

    yield sign_in
    for context in contexts:
        context.close()


@pytest.fixture
def stranger(chromium, site) -> Iterator[object]:
    """A page in a browser signed in as nobody."""
    context = chromium.new_context(base_url=site, viewport=WIDE)
    context.set_default_timeout(TIMEOUT_MS)
    yield context.new_page()
    context.close()


