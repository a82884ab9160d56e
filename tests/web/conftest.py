"""Fixtures for the page tests: a browser-like client per person, signed in through the form."""

import re
from collections.abc import Callable

import pytest

from config import TestingConfig
from models.db import write_session
from workflow import users
from workflow.passwords import Hashing

# Every test user's password (set by `signed_in` when it signs someone in).
PASSWORD = "correct horse battery staple"
CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


class Pages:
    """A test client used as a person's browser: it keeps the cookies, and puts the CSRF
    token of the last page it was shown into every form it posts (as the browser would)."""

    def __init__(self, client, username: str | None = None):
        self.client, self.username, self.token = client, username, None

    def _seen(self, response):
        if response.mimetype == "text/html":
            found = CSRF_FIELD.search(response.get_data(as_text=True))
            if found:
                self.token = found.group(1)
        return response

    def get(self, path: str, **kwargs):
        return self._seen(self.client.get(path, **kwargs))

    def post(self, path: str, data: dict | None = None, *, csrf: bool = True, **kwargs):
        """POST a form; with `csrf` the token of a page this browser was shown is added (a
        page of the site is opened first if it has been shown none since signing in)."""
        form = dict(data or {})
        if csrf and "csrf_token" not in form:
            if self.token is None:
                self.get("/account" if self.username else "/sign-in")
            form["csrf_token"] = self.token
        return self._seen(self.client.post(path, data=form, **kwargs))

    def sign_in(self, username: str, password: str = PASSWORD, next: str | None = None):
        self.get("/sign-in")
        form = {"username": username, "password": password}
        if next is not None:
            form["next"] = next
        response = self.post("/sign-in", form)
        if response.status_code == 302:
            self.username, self.token = username, None  # a new session, a new token
        return response


@pytest.fixture(autouse=True)
def _push_request_context():
    """As in tests/api: each request gets its own app context (pytest-flask's default keeps
    one for the whole test, and with it one database session)."""


@pytest.fixture(autouse=True)
def _page_settings(app):
    """TestingConfig's cheap password hashing (the shared test app is built on Config), and
    CSRF checked as in production: every test posts its forms with the token."""
    app.config.update(PASSWORD_TIME_COST=TestingConfig.PASSWORD_TIME_COST,
                      PASSWORD_MEMORY_KIB=TestingConfig.PASSWORD_MEMORY_KIB,
                      PASSWORD_PARALLELISM=TestingConfig.PASSWORD_PARALLELISM,
                      WTF_CSRF_ENABLED=True)


@pytest.fixture
def hashing(app) -> Hashing:
    return Hashing.from_config(app.config)


@pytest.fixture
def set_password(session_factory, hashing) -> Callable[..., None]:
    """set_password("tha-drafter", "...") as `napflow users password` would."""
    def set_(username: str, password: str = PASSWORD) -> None:
        with write_session(session_factory) as session:
            users.set_password(session, "test", username, password, hashing)
    return set_


@pytest.fixture
def browser(app) -> Callable[[], Pages]:
    """browser() is a new browser, signed in as nobody."""
    return lambda: Pages(app.test_client())


@pytest.fixture
def signed_in(people, set_password, db, browser) -> Callable[[str], Pages]:
    """signed_in("drafter") is a browser signed in, through the sign-in form, as that member
    of the cast (`people` keys: "drafter", "vnm_reviewer", "committee"...) or that username.
    Several browsers may sign in as one person: each has a session of its own."""
    def sign_in(who: str) -> Pages:
        username = people[who].username if who in people else who
        # Only the first time: a new password ends the sessions signed in with the old one.
        if users.get_user(db, username).password_hash is None:
            set_password(username)
        db.rollback()
        pages = browser()
        response = pages.sign_in(username)
        assert response.status_code == 302, response.get_data(as_text=True)
        return pages
    return sign_in
