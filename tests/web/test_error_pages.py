"""Errors on pages are pages in the layout; the API keeps answering problem+json; no input,
however malformed, makes a page answer 500."""

import pytest
from flask import Flask
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm.exc import StaleDataError

from workflow.errors import Forbidden, NotFound, ValidationFailed


def is_layout_page(response) -> bool:
    text = response.get_data(as_text=True)
    return (response.mimetype == "text/html" and 'class="govuk-template__body"' in text
            and "Traceback" not in text and "Content-Security-Policy" in response.headers)


def test_an_unknown_page_is_a_page_not_found(signed_in):
    response = signed_in("drafter").get("/no/such/page")
    assert response.status_code == 404 and is_layout_page(response)
    assert "Page not found" in response.get_data(as_text=True)


def test_the_api_keeps_its_problem_json(client, people):
    for path, status in (("/api/v1/no/such/thing", 404), ("/api/v1/plans", 401)):
        response = client.get(path, headers=people["drafter"].headers if status == 404 else {})
        assert response.status_code == status
        assert response.mimetype == "application/problem+json"
        assert "Content-Security-Policy" not in response.headers


@pytest.fixture(scope="module")
def failing_app():
    """An app whose extra pages raise what a page's operation may raise."""
    from app import create_app

    app = create_app({"DATABASE_URL": "sqlite://", "TESTING": True, "WTF_CSRF_ENABLED": False})
    raises = {
        "not-found": NotFound("no plan 7"), "forbidden": Forbidden("not a drafter"),
        "invalid": ValidationFailed({"title": ["blank"]}), "crash": RuntimeError("bug"),
        "busy": OperationalError("SELECT 1", {}, Exception("database is locked")),
        "stale": StaleDataError("UPDATE plans expected 1 row, matched 0"),
    }
    for name, error in raises.items():
        app.add_url_rule(f"/raise/{name}", name, _raiser(error))
    yield app
    app.extensions["napflow.db"].engine.dispose()


def _raiser(error: Exception):
    def view():
        raise error
    return view


@pytest.mark.parametrize("name, status, words", [
    ("not-found", 404, "Page not found"),  # another country's plan reads the same
    ("forbidden", 403, "You cannot do this"),
    ("invalid", 422, "there is a problem with this request"),
    ("crash", 500, "there is a problem with the service"),
    ("busy", 503, "the service is busy"),
    ("stale", 409, "Someone else changed this first"),
])
def test_a_refusal_or_a_failure_in_a_page_is_a_page(failing_app: Flask, name, status, words):
    response = failing_app.test_client().get(f"/raise/{name}")
    assert response.status_code == status and is_layout_page(response)
    assert words in response.get_data(as_text=True)
    assert "no plan 7" not in response.get_data(as_text=True)  # no internals shown


BAD_REQUESTS = [
    ("GET", "/sign-in?next=%00", None),
    ("GET", "/sign-in?next=" + "/a" * 5000, None),
    ("POST", "/sign-in", {"username": "drafter\x00", "password": "x"}),
    ("POST", "/sign-in", b"username=%ED%A0%80%FF&password=%C0%AF"),  # not UTF-8
    ("POST", "/sign-in", {"username": ["a", "b"], "password": ["c", "d"]}),
    ("POST", "/sign-in", {"username": "drafter", "password": "x", "next": "\x00//evil"}),
    ("PUT", "/sign-in", {}),
    ("DELETE", "/account", None),
    ("GET", "/assets/../../config.py", None),
    ("GET", "/assets/no-such-file.css", None),
]


@pytest.mark.parametrize("method, path, form", BAD_REQUESTS)
def test_bad_input_is_answered_with_a_page_never_a_500(browser, people, method, path, form):
    pages = browser()
    if isinstance(form, bytes):
        pages.get("/sign-in")
        response = pages.client.post(path, data=form + b"&csrf_token=" + pages.token.encode(),
                                     content_type="application/x-www-form-urlencoded")
    elif method == "POST":
        response = pages.post(path, form)
    else:
        response = pages.client.open(path, method=method, data=form)
    assert response.status_code < 500
    if response.status_code >= 400:
        assert is_layout_page(response)


@pytest.mark.parametrize("cookie", [
    "garbage", "e30.abc.def", ".eJyrVopPLC3JiC8tTi1SsqpWKkktLlGyUipJzSlWqgUAqzcKzQ.x.y",
])
def test_a_forged_or_broken_session_cookie_is_no_session(browser, people, cookie):
    pages = browser()
    pages.client.set_cookie("session", cookie)
    response = pages.get("/account")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/sign-in")


@pytest.mark.parametrize("login_id", ["abc", "1", "1:", ":1", "1:99999999999999999999",
                                      "99999999999999999999:1", "1:2:3", "-1:1"])
def test_a_session_naming_no_valid_user_is_no_session(browser, signed_in, login_id):
    pages = signed_in("drafter")
    with pages.client.session_transaction() as session:
        session["_user_id"] = login_id
    assert pages.get("/account").status_code == 302
