"""The header's navigation: the pages that exist, those the user's roles may open, the one
being shown marked."""

import re

import pytest
from flask import Flask

from tests.web.conftest import Pages


@pytest.fixture
def app_with_all_pages(web_app, database_url):
    """An app on this test's database, its own (the users get passwords in it)."""
    from app import create_app

    app: Flask = create_app({"DATABASE_URL": database_url, "TESTING": True,
                             **{k: v for k, v in web_app.config.items()
                                if k.startswith("PASSWORD_")}})
    yield app
    app.extensions["napflow.db"].engine.dispose()


def navigation(response) -> list[tuple[str, str]]:
    """(text, aria-current) of each item of the service navigation."""
    items = re.findall(r'class="govuk-service-navigation__link" href="[^"]*"'
                       r'(?: aria-current="(\w+)")?>\s*(?:<strong[^>]*>)?([^<]+)',
                       response.get_data(as_text=True))
    return [(text.strip(), current) for current, text in items]


@pytest.mark.parametrize("who, audit", [("drafter", False), ("auditor", True),
                                        ("global_auditor", True), ("admin", True),
                                        ("committee", False)])
def test_each_role_sees_the_pages_it_may_open(app_with_all_pages, people, set_password, who,
                                              audit):
    set_password(people[who].username)
    pages = Pages(app_with_all_pages.test_client())
    assert pages.sign_in(people[who].username, next="/account").status_code == 302
    shown = [text for text, _ in navigation(pages.get("/account"))]
    assert shown == ["My tasks", "Plans", "Status", *(["Audit log"] if audit else []),
                     "Your account"]


def test_the_current_page_and_its_section_are_marked(app_with_all_pages, people,
                                                     set_password):
    set_password("drafter")
    pages = Pages(app_with_all_pages.test_client())
    pages.sign_in("drafter")
    marked = {path: [(t, c) for t, c in navigation(pages.get(path)) if c]
              for path in ("/plans", "/plans/7", "/status")}
    assert marked == {"/plans": [("Plans", "page")], "/plans/7": [("Plans", "true")],
                      "/status": [("Status", "page")]}


def test_nobody_signed_in_sees_no_navigation(browser):
    assert navigation(browser().get("/sign-in")) == []
