"""Audit search across plans, and its export, with the filters and visibility of GET /audit.

Both call workflow/audit_search.py, as the API's /audit and /audit/export do: a page, an
export and the API cannot disagree on which events a user may see. The export is served
here because the API takes bearer tokens only, never a page's session cookie.
"""

from datetime import UTC, date, datetime, time, timedelta

from flask import Response, current_app, render_template, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import SelectChoice, SelectField, StringField
from wtforms.validators import Length, ValidationError

from runtime import db
from web.blueprint import bp
from web.events import action_name, shown
from web.listing import (
    CountryField,
    FilterForm,
    Listing,
    choice_field,
    listing,
    page_link,
    storable,
)
from web.terms import name
from web.words import gettext as _
from workflow import audit_search, cursors
from workflow.access import MAX_ID
from workflow.cursors import LATEST
from workflow.vocabulary import audit_actions, states

PAGE = 50
EARLIEST = datetime.min.replace(tzinfo=UTC)


class PlanNumberField(StringField):
    """A plan's number; one no plan can have is refused before it reaches the database."""

    def pre_validate(self, form):
        text = (self.data or "").strip()
        # ASCII digits only: "²" is a digit to str.isdigit, and int() refuses it.
        if text and not (text.isascii() and text.isdigit() and len(text) <= 10
                         and 0 < int(text) <= MAX_ID):
            raise ValidationError(_l("Enter a plan number, like 12"))
        self.data = int(text) if text else None


class MomentField(StringField):
    """A moment typed as a date (2026-12-03) or a date and time (2026-12-03T14:30Z, UTC when
    no offset is given). A date alone is the start of that day, or with `end_of_day` the
    start of the next, so that "to 3 December" includes the 3rd."""

    def __init__(self, *args, end_of_day: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.end_of_day = end_of_day

    def pre_validate(self, form):
        text = (self.data or "").strip()
        self.data = None
        if not text:
            return
        try:
            if len(text) == 10:
                day = date.fromisoformat(text)
                moment = datetime.combine(day, time(), UTC)
                self.data = moment + timedelta(days=1) if self.end_of_day else moment
            else:
                moment = datetime.fromisoformat(text.upper().replace("Z", "+00:00"))
                moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
                self.data = moment.astimezone(UTC)
        except OverflowError:
            # Past the years UTC can show (0001-01-01T00:00+01:00, the day after 9999-12-31):
            # nothing napflow keeps is older, or newer, so the nearest end is the same search.
            self.data = EARLIEST if text < "5000" else LATEST
        except ValueError:
            raise ValidationError(_l("Enter a date like 2026-12-03, or a date and time like "
                                     "2026-12-03T14:30Z")) from None


class AuditFilterForm(FilterForm):
    country = CountryField(_l("Country"))
    plan = PlanNumberField(_l("Plan number"))
    actor = StringField(_l("Who did it"), validators=[
        storable, Length(max=64, message=_l("Enter a username of 64 characters or fewer"))])
    action = choice_field(_l("What was done"), audit_actions, action_name, _l("Anything"),
                          _l("Choose an action from the list"))
    from_state = choice_field(_l("From state"), states, lambda s: name("state", s),
                              _l("Any state"), _l("Choose a state from the list"))
    to_state = choice_field(_l("To state"), states, lambda s: name("state", s),
                            _l("Any state"), _l("Choose a state from the list"))
    since = MomentField(_l("From"))
    until = MomentField(_l("To"), end_of_day=True)

    def filters(self) -> audit_search.AuditFilters:
        return audit_search.AuditFilters.of(self.chosen())


class ExportForm(AuditFilterForm):
    format = SelectField(_l("Format"), default="jsonl",
                         choices=[SelectChoice("jsonl"), SelectChoice("csv")],
                         invalid_choice_message=_l("Choose JSON lines or CSV"))


def _event(row) -> dict:
    """An event of the search, saying which chain it belongs to: a plan's (linked to its
    history) or the one of users and their roles."""
    if row["plan_id"] is None:
        return shown(row, {"text": _("Users and roles, event %(seq)d", seq=row["seq"])})
    return shown(row, {"href": url_for("web.plan_history", plan_id=row["plan_id"]),
                       "text": _("Plan %(plan)d, event %(seq)d", plan=row["plan_id"],
                                 seq=row["seq"])})


def _search_page(form: AuditFilterForm, found: Listing):
    page = render_template(
        "audit/index.html", form=form, listing=found,
        events=[_event(row) for row in found.items], filtered=bool(form.chosen()),
        export={fmt: page_link(endpoint="web.audit_export", format=fmt)
                for fmt in ("jsonl", "csv")} if found.valid else None)
    return current_app.make_response((page, found.status))


@bp.route("/audit")
def audit():
    form = AuditFilterForm()
    return _search_page(form, listing(cursors.BY_ID, lambda after: audit_search.page(
        db.session(), audit_search.search(current_user, form.filters()), after, PAGE), form))


@bp.route("/audit/export")
def audit_export():
    form = ExportForm()
    if not form.validate():  # a hand-made link: the search form says what is wrong with it
        return _search_page(form, Listing([], False, None, None))
    query = audit_search.search(current_user, form.filters())
    fmt = form.format.data
    # Streamed in a session of its own, in batches: memory stays flat however long the log.
    body = audit_search.export_body(db.database().sessions, query, fmt)
    return Response(body, mimetype=audit_search.EXPORT_MEDIA_TYPES[fmt], headers={
        "Content-Disposition": f'attachment; filename="napflow-audit.{fmt}"',
        # What this user may see, sent for a session cookie: no cache keeps it.
        "Cache-Control": "no-store"})
