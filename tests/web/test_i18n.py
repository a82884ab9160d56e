"""Every word a page shows goes through a translation call, and `pybabel extract` finds it."""

from pathlib import Path

import jinja2
import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg

from tests.web.translation_check import marked, template_literals, untranslated

WEB = Path(__file__).resolve().parents[2] / "web"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None,
            "lazy_gettext": None, "lazy_ngettext": (1, 2)}


def extracted() -> set[str]:
    """The msgids `pybabel extract -F web/babel.cfg -k _l` would write (babel's own API)."""
    with open(WEB / "babel.cfg") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    # babel.cfg's patterns are relative to the project root (where the command runs).
    method_map = [(pattern.removeprefix("web/"), method) for pattern, method in method_map]
    options_map = {pattern.removeprefix("web/"): options
                   for pattern, options in options_map.items()}
    found = set()
    for _, _, message, _, _ in extract_from_dir(str(WEB), method_map, options_map,
                                                keywords=KEYWORDS):
        found.update(message if isinstance(message, tuple) else (message,))
    return found


def test_the_checks_find_text_left_out_of_translation(app):
    with app.test_request_context(), marked(app):
        page = app.jinja_env.from_string(
            '<p>{{ _("Sign in") }} Hello</p><img alt="Crest" src="x">'
            '<input type="submit" value="Go"><span>{{ user }}</span>').render(user="tha-drafter")
    assert untranslated(page) == ["Hello", "Crest", "Go", "tha-drafter"]
    assert untranslated(page, allowed=["tha-drafter"]) == ["Hello", "Crest", "Go"]
    source = '<h1>{{ _("Plans") }}</h1><p>Submitted {{ n }}</p>{# a note #}<a title="Home">'
    assert template_literals(source, app.jinja_env) == ["Submitted", "Home"]


def test_no_template_writes_a_word_outside_a_translation_call():
    found, env = {}, jinja2.Environment(extensions=["jinja2.ext.i18n"])
    for path in sorted((WEB / "templates").rglob("*.html")):
        literals = template_literals(path.read_text(), env)
        if literals:
            found[str(path.relative_to(WEB))] = literals
    assert found == {}


def pages_of_the_sign_in_journey(browser, signed_in, set_password):
    """(what, response, data shown) for each page a sign-in and sign-out can show."""
    set_password("drafter")
    anonymous = browser()
    yield "sign-in form", anonymous.get("/sign-in"), ()
    anonymous.get("/sign-in")
    yield "empty fields", anonymous.post("/sign-in", {"username": "", "password": ""}), ()
    yield "refused", anonymous.sign_in("drafter", "wrong guess!"), ("drafter",)
    for _ in range(4):
        anonymous.sign_in("drafter", "wrong guess!")
    yield "throttled", anonymous.sign_in("drafter"), ("drafter",)
    yield "csrf refused", anonymous.post("/sign-in", {}, csrf=False), ()
    pages = signed_in("reviewer")
    shown = ("reviewer", "THA")
    yield "account", pages.get("/account"), shown
    yield "not found", pages.get("/no/such/page"), shown
    yield "wrong method", pages.get("/sign-out"), shown
    pages.post("/sign-out")
    yield "signed out", pages.get("/sign-in"), ()


def test_every_page_of_the_sign_in_journey_is_translated(app, people, browser, signed_in,
                                                         set_password):
    known = extracted()
    with marked(app) as translations:
        for what, response, shown in pages_of_the_sign_in_journey(browser, signed_in,
                                                                  set_password):
            assert response.status_code != 500, what
            html = response.get_data(as_text=True)
            assert untranslated(html, shown) == [], what
    # Every message asked for is one `pybabel extract` finds: none is built at run time.
    assert translations.asked, "nothing was translated: the check itself is broken"
    assert translations.asked - known == set()


@pytest.mark.parametrize("accept, lang", [("fr-FR,fr;q=0.9", "en"), ("en-GB", "en"),
                                          ("ar", "en"), ("", "en")])
def test_the_page_language_is_the_best_available_match(browser, accept, lang):
    page = browser().client.get("/sign-in", headers={"Accept-Language": accept})
    assert f'<html lang="{lang}" dir="ltr"' in page.get_data(as_text=True)


@pytest.mark.parametrize("template, value, shown", [
    ("{{ v | date }}", "2026-12-03", "Dec 3, 2026"),
    ("{{ v | date }}", "2026-12-03T09:15:00.000000Z", "Dec 3, 2026"),
    ("{{ v | date('long') }}", "2027-06-30", "June 30, 2027"),
    ("{{ v | datetime }}", "2026-12-03T09:15:00.000000Z", "Dec 3, 2026, 9:15:00\u202fAM"),
    ("{{ v | number }}", 1234567, "1,234,567"),
    ("{{ v | date }}{{ v | datetime }}{{ v | number }}", None, ""),
])
def test_dates_and_numbers_are_formatted_by_babel_for_the_locale(app, template, value, shown):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert app.jinja_env.from_string(template).render(v=value) == shown
