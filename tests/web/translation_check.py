"""Finding user-visible text that does not go through a translation call.

Two checks, for tests/web/test_i18n.py and every page's own tests:
- `marked(app)` renders with every translation call (gettext, ngettext, lazy strings, and
  Babel's date and number filters) wrapping its result in markers; `untranslated(html)`
  then lists the visible text left outside markers, except the data the page shows.
- `template_literals(source)` lists the visible words written literally in a template file.
"""

import re
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

import flask_babel
import jinja2
from babel.support import NullTranslations

OPEN, CLOSE = "\u2983", "\u2984"  # ⦃ ⦄: characters no page has of its own
MARKED = re.compile(f"{OPEN}[^{CLOSE}]*{CLOSE}")
LETTER = re.compile(r"[^\W\d_]")
# Names that are never translated.
PROPER_NAMES = ("napflow",)
# Attributes people read or hear (a screen reader speaks aria-label and alt).
VISIBLE_ATTRIBUTES = ("alt", "title", "aria-label", "placeholder")
BUTTON_INPUTS = ("submit", "button", "reset")


class MarkedTranslations(NullTranslations):
    """English as it is, each message wrapped in markers; remembers every msgid asked for."""

    def __init__(self):
        super().__init__()
        self.asked: set[str] = set()

    def ugettext(self, message):
        self.asked.add(message)
        return OPEN + message + CLOSE

    def ungettext(self, singular, plural, n):
        self.asked.update((singular, plural))
        return OPEN + (singular if n == 1 else plural) + CLOSE

    def upgettext(self, context, message):
        return self.ugettext(message)

    def unpgettext(self, context, singular, plural, n):
        return self.ungettext(singular, plural, n)

    gettext, ngettext, pgettext, npgettext = ugettext, ungettext, upgettext, unpgettext


def _marking(filter_):
    return lambda *args, **kwargs: OPEN + str(filter_(*args, **kwargs)) + CLOSE


@contextmanager
def marked(app) -> Iterator[MarkedTranslations]:
    """While open, every page `app` renders has its translated text between markers."""
    translations = MarkedTranslations()
    original_module = flask_babel.get_translations
    original_domain = flask_babel.Domain.get_translations
    filters = app.jinja_env.filters
    formatting = {name: filters[name] for name in
                  ("date", "datetime", "number", "datetimeformat", "dateformat",
                   "timeformat", "timedeltaformat", "numberformat", "decimalformat")
                  if name in filters}
    flask_babel.get_translations = lambda: translations  # what templates' _() calls
    flask_babel.Domain.get_translations = lambda self: translations  # gettext(), lazy
    filters.update({name: _marking(f) for name, f in formatting.items()})
    try:
        yield translations
    finally:
        flask_babel.get_translations = original_module
        flask_babel.Domain.get_translations = original_domain
        filters.update(formatting)


class _VisibleText(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1
        values = dict(attrs)
        for name, value in attrs:
            if value and (name in VISIBLE_ATTRIBUTES or name.startswith("data-i18n")):
                self.found.append(value)
        if tag == "input" and values.get("type") in BUTTON_INPUTS and values.get("value"):
            self.found.append(values["value"])

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.found.append(data)


def _untranslated_parts(texts: Iterable[str], allowed: Iterable[str]) -> list[str]:
    allowed = sorted({*allowed, *PROPER_NAMES}, key=len, reverse=True)
    left = []
    for text in texts:
        text = MARKED.sub(" ", text)
        for value in allowed:
            text = text.replace(value, " ")
        if LETTER.search(text):
            left.append(" ".join(text.split()))
    return left


def untranslated(html: str, allowed: Iterable[str] = ()) -> list[str]:
    """The visible text of a page rendered under `marked` that no translation call made,
    leaving out the `allowed` data it shows (usernames, country codes, plan titles...)."""
    parser = _VisibleText()
    parser.feed(html)
    parser.close()
    return _untranslated_parts(parser.found, allowed)


def template_literals(source: str, env: jinja2.Environment) -> list[str]:
    """Visible words written in a template's own HTML, outside any {{ }} or {% %}: a word
    there is shown as it is, whatever the language."""
    pieces = []
    for _, kind, value in env.lex(source):
        if kind == "data":
            pieces.append(value)
        elif kind in ("variable_begin", "block_begin"):
            # An expression's output, checked when rendered; within a tag's name (a heading
            # of a level given, <h{{ level }}>) a digit, so the tag stays a tag.
            in_tag_name = bool(pieces) and re.search(r"</?[A-Za-z]+$", pieces[-1])
            pieces.append("0" if in_tag_name else "\x00")
    parser = _VisibleText()
    parser.feed("".join(pieces))
    parser.close()
    return _untranslated_parts((text.replace("\x00", " ") for text in parser.found), ())
