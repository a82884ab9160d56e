"""What the list pages share: filter forms sent by GET, and page links that keep the filters.

A list is paged as the API pages it: by a cursor naming the last item shown (keyset, so a
page deep in a long list costs what the first does, and rows added meanwhile are neither
skipped nor shown twice). The cursor is the API's own text (workflow/cursors.py).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import ValidationError

from web.blueprint import bp
from workflow.countries import is_iso3
from workflow.cursors import Reader, encode_cursor
from workflow.queries import Page

BAD_CURSOR = _l("This page link is not right: it may have been cut short or changed. Start "
                "again from the first page.")


class FilterForm(FlaskForm):
    """A list's filters, read from the query string: a filtered list is a link that can be
    kept and shared, and asking for one changes nothing, so it carries no CSRF token."""

    class Meta:
        csrf = False

    def __init__(self, **kwargs):
        super().__init__(formdata=request.args, **kwargs)

    def chosen(self) -> dict[str, Any]:
        """The filters given, by field name (an empty field filters nothing)."""
        return {f.name: f.data for f in self if f.data not in (None, "")}


def choice_field(label, values: Callable[[], Iterable[str]], shown: Callable[[str], Any],
                 any_label, message) -> SelectField:
    """A select of napflow's names (states, roles...) as `shown` words them, "any" first; a
    value not among them is refused with `message`."""
    def choices():
        return [SelectChoice("", any_label),
                *(SelectChoice(value, shown(value)) for value in values())]
    return SelectField(label, choices=choices, default="", invalid_choice_message=message)


def storable(form, field) -> None:
    """Text the database can keep: PostgreSQL's text refuses NUL (the API refuses it too)."""
    if isinstance(field.data, str) and "\x00" in field.data:
        raise ValidationError(_l("Remove the invisible control character (NUL) from %(field)s",
                                 field=field.label.text))


class CountryField(StringField):
    """A country code typed in a filter: upper-cased as a courtesy (`tha` is THA), then
    checked against the ISO list like every country napflow takes."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        self.data = (self.data or "").strip().upper()

    def pre_validate(self, form):
        if self.data and not is_iso3(self.data):
            raise ValidationError(_l("Enter a country as its 3-letter ISO code, like THA"))


def position(reader: Reader, form: FilterForm | None = None) -> tuple[Any, bool]:
    """The position the `cursor` argument names (None: the first page), and whether it is a
    cursor at all; when it is not, `form` says so in its error summary."""
    text = request.args.get("cursor")
    if text is None:
        return None, True
    try:
        return reader(text), True
    except ValueError:
        if form is not None:
            form.form_errors.append(BAD_CURSOR)
        return None, False


@dataclass
class Listing:
    """One page of a list as a list page shows it."""

    items: list[Any]
    valid: bool  # filters and cursor as they should be: else the page says what is wrong
    next_href: str | None
    first_href: str | None  # on a later page, or on a page link that named none
    problem: str | None = None  # what is wrong with the page link (a form says it too)

    @property
    def status(self) -> int:
        return 200 if self.valid else 400


def listing(reader: Reader, fetch: Callable[[Any], Page],
            form: FilterForm | None = None) -> Listing:
    """Read the `cursor` (and the filters of `form`), then `fetch` the page after the
    position it names, unless either is wrong: nothing is read for a wrong request."""
    after, well_formed = position(reader, form)
    valid = (form is None or form.validate()) and well_formed
    found = fetch(after) if valid else Page([], None)
    return Listing(found.items, valid,
                   page_link(found.next_after) if found.next_after else None,
                   page_link() if after is not None or not well_formed else None,
                   None if well_formed else str(BAD_CURSOR))


def page_link(after: Any = None, *, endpoint: str | None = None, **changes: Any) -> str:
    """This page's address (or `endpoint`'s) with the same filters (empty ones dropped), at
    the page after the position `after` (None: the first page), with `changes` to its
    arguments."""
    args = {key: [v for v in values if v != ""]
            for key, values in request.args.lists() if key != "cursor"}
    args.update(changes)
    if after is not None:
        args["cursor"] = encode_cursor(after)
    return url_for(endpoint or request.endpoint, **(request.view_args or {}),
                   **{key: values for key, values in args.items() if values})


@bp.app_template_global()
def plan_url(plan_id: int) -> str:
    """The plan page's address. The page is another module's (web.plan); until it is
    registered, its address as the issue fixes it, so that lists link to it either way."""
    if "web.plan" in current_app.view_functions:
        return url_for("web.plan", plan_id=plan_id)
    return f"{request.script_root}/plans/{plan_id}"
