"""Signing in on the pages: who gets in, who is refused with which words, what is recorded."""

import logging
import re

import pytest
from sqlalchemy import select

from models import AuditEvent, SignInAttempts, User
from tests.web.conftest import PASSWORD

REFUSED = "The username or password is not right"


def system_events(db, action: str) -> list[AuditEvent]:
    db.rollback()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.plan_id.is_(None),
                                                    AuditEvent.action == action)))


def test_the_drafter_signs_in_and_lands_where_they_were_going(people, set_password, browser,
                                                               db):
    set_password("drafter")
    pages = browser()
    assert pages.get("/account").headers["Location"] == "/sign-in?next=/account"
    response = pages.sign_in("drafter", next="/account")
    assert response.status_code == 302
    assert response.headers["Location"] == "/account"
    page = pages.get("/account")
    assert page.status_code == 200
    assert "drafter" in page.get_data(as_text=True)
    [event] = system_events(db, "sign_in")
    assert (event.actor, event.data) == ("drafter", {"username": "drafter"})


def test_a_name_is_signed_in_as_typed_in_any_case_and_spacing(people, set_password, browser):
    set_password("drafter")
    assert browser().sign_in("  DRAFTER ").status_code == 302


@pytest.mark.parametrize("username, password", [
    ("drafter", "not the password at all"),   # a wrong password
    ("nobody-here", PASSWORD),                    # an unknown user
    ("viewer", PASSWORD),                     # a user with no password (tokens only)
])
def test_a_refused_sign_in_says_the_same_whatever_was_wrong(people, set_password, browser, db,
                                                            username, password):
    set_password("drafter")
    pages = browser()
    response = pages.sign_in(username, password)
    assert response.status_code == 422
    assert REFUSED in response.get_data(as_text=True)
    assert pages.get("/account").status_code == 302  # still signed out
    assert system_events(db, "sign_in") == []


@pytest.mark.parametrize("form, message", [
    ({"username": "", "password": PASSWORD}, "Enter your username"),
    ({"username": "drafter", "password": ""}, "Enter your password"),
    ({"username": "x" * 129, "password": PASSWORD}, "Enter your username"),
    ({"username": "drafter", "password": "p" * 1025}, "Enter your password"),
])
def test_an_empty_or_oversized_field_is_named_in_the_error_summary(people, browser, form,
                                                                   message):
    pages = browser()
    pages.get("/sign-in")
    response = pages.post("/sign-in", form)
    assert response.status_code == 422
    text = response.get_data(as_text=True)
    assert f'href="#{"username" if "username" in message else "password"}">{message}' in text
    assert "<title>Error: Sign in" in text


def test_a_password_hashed_with_older_parameters_is_rehashed_at_sign_in(app, people,
                                                                        set_password, browser,
                                                                        db):
    set_password("drafter")
    old = users_hash(db)
    assert "t=1," in old
    app.config["PASSWORD_TIME_COST"] = 2  # the operator raised the cost since
    assert browser().sign_in("drafter").status_code == 302
    new = users_hash(db)
    assert "t=2," in new and new != old
    # and the new hash still signs in
    assert browser().sign_in("drafter").status_code == 302


def users_hash(db) -> str:
    db.rollback()
    return db.scalar(select(User.password_hash).where(User.username == "drafter"))


@pytest.mark.parametrize("target", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "http:/evil.example",
    "javascript:alert(1)", "/\r\nLocation: https://evil.example", "evil.example",
    "/\t/evil.example", "\\\\evil.example", "",
])
def test_next_only_ever_leads_to_a_page_of_this_site(people, set_password, browser, target):
    set_password("drafter")
    response = browser().sign_in("drafter", next=target)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", [
    "/account?tab=roles", "/%0d%0aLocation:%20https://evil.example", "/plans/1#reviewers",
])
def test_next_keeps_a_local_path_as_it_is(people, set_password, browser, target):
    set_password("drafter")
    response = browser().sign_in("drafter", next=target)
    assert response.headers["Location"] == target


def test_sign_in_without_the_csrf_token_is_refused_and_signs_nobody_in(people, set_password,
                                                                       browser, db):
    set_password("drafter")
    pages = browser()
    pages.get("/sign-in")
    response = pages.post("/sign-in", {"username": "drafter", "password": PASSWORD},
                          csrf=False)
    assert response.status_code == 400
    assert "there is a problem with this request" in response.get_data(as_text=True)
    forged = pages.post("/sign-in", {"username": "drafter", "password": PASSWORD,
                                     "csrf_token": "forged"})
    assert forged.status_code == 400
    assert pages.get("/account").status_code == 302
    assert system_events(db, "sign_in") == []
    db.rollback()
    assert db.scalar(select(SignInAttempts.attempts)) is None  # not even counted


def test_the_session_cookie_is_httponly_lax_and_secure_over_https(people, set_password, app):
    set_password("drafter")
    for base, secure in (("http://localhost", False), ("https://localhost", True)):
        client = app.test_client()
        page = client.get("/sign-in", base_url=base)
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page.text).group(1)
        response = client.post("/sign-in", base_url=base, headers={"Referer": base + "/"},
                               data={"username": "drafter", "password": PASSWORD,
                                     "csrf_token": token})
        assert response.status_code == 302
        cookie = response.headers["Set-Cookie"]
        assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
        assert ("Secure" in cookie) is secure


def test_the_request_log_names_the_signed_in_user(signed_in, caplog):
    browser = signed_in("drafter")
    caplog.set_level(logging.INFO, logger="napflow.request")
    caplog.clear()  # the sign-in's own lines, where an earlier test left the logger at INFO
    assert browser.get("/account").status_code == 200
    [record] = [r for r in caplog.records if r.name == "napflow.request"]
    assert (record.route, record.user, record.status) == ("/account", "drafter", 200)
