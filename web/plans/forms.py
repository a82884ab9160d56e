"""The forms of the plan pages. They only parse: every rule is the operation's, so a page and
the API refuse the same input for the same reason."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    FieldList,
    Form,
    FormField,
    HiddenField,
    RadioField,
    SelectChoice,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from web.writes import form_key_field
from workflow.content import DOMAINS, MEASURE_STATUSES, OBLIGATIONS

OBLIGATION_NAMES = {
    "OP1": _l("OP1: refrain from supporting non-State actors"),
    "OP2": _l("OP2: prohibit non-State actors' activities"),
    "OP3a": _l("OP3 (a): accounting and securing"),
    "OP3b": _l("OP3 (b): physical protection"),
    "OP3c": _l("OP3 (c): border controls and law enforcement"),
    "OP3d": _l("OP3 (d): export and trans-shipment controls"),
}
DOMAIN_NAMES = {"nuclear": _l("Nuclear"), "chemical": _l("Chemical"),
                "biological": _l("Biological"), "delivery": _l("Means of delivery")}
STATUS_NAMES = {"planned": _l("Planned"), "in_progress": _l("In progress"), "done": _l("Done")}
DECISION_NAMES = {"approve": _l("Approve"), "request_changes": _l("Request changes")}
assert set(OBLIGATION_NAMES) == set(OBLIGATIONS) and set(DOMAIN_NAMES) == set(DOMAINS)
assert set(STATUS_NAMES) == set(MEASURE_STATUSES)


def nul_free(_form, field) -> None:
    """PostgreSQL text cannot hold NUL: a typed one is refused here, as the API refuses it,
    rather than failing in the database."""
    if "\x00" in (field.data or ""):
        raise ValidationError(_l("Remove the NUL character: it cannot be stored"))


TEXT = [nul_free]


def options(names: dict) -> list[SelectChoice]:
    return [SelectChoice(value, label) for value, label in names.items()]


class CheckboxesField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class MeasureForm(Form):
    """One measure's row; a row left blank is no measure (so blank rows can be offered)."""

    obligation = SelectField(_l("Obligation"), choices=[
        SelectChoice("", _l("Choose an obligation")), *options(OBLIGATION_NAMES)])
    description = TextAreaField(_l("Description"), validators=TEXT)
    lead_agency = StringField(_l("Lead agency"), validators=TEXT)
    due = StringField(_l("Due date (optional)"), validators=TEXT)
    domains = CheckboxesField(_l("Domains (optional)"), choices=options(DOMAIN_NAMES))
    assistance_needed = BooleanField(_l("Assistance is needed for this measure"))
    status = SelectField(_l("Status"), choices=options(STATUS_NAMES), default="planned")
    remove = BooleanField(_l("Remove this measure"))

    def is_blank(self) -> bool:
        return not any((self.obligation.data, (self.description.data or "").strip(),
                        (self.lead_agency.data or "").strip(), (self.due.data or "").strip(),
                        self.domains.data, self.assistance_needed.data))


class EditForm(FlaskForm):
    title = StringField(_l("Title"), validators=TEXT)
    summary = TextAreaField(_l("Summary (optional)"), validators=TEXT)
    period_start = StringField(_l("Start (optional)"), validators=TEXT)
    period_end = StringField(_l("End (optional)"), validators=TEXT)
    measures = FieldList(FormField(MeasureForm), min_entries=0)
    # What the drafter started from: the plan's ETag (the If-Match rule of the API) and the
    # content version, to show what changed when someone else saved first.
    etag = HiddenField()
    from_version = HiddenField()
    form_key = form_key_field()  # a form sent twice saves once (web/writes.py)
    add_measure = SubmitField(_l("Add another measure"))
    save = SubmitField(_l("Save changes"))


class FireForm(FlaskForm):
    """A trigger fired from the plan page (or from its own page when it needs a comment or
    the submission's details). The ETag is the plan as the user saw it."""

    trigger = HiddenField()
    etag = HiddenField()
    form_key = form_key_field()
    comment = TextAreaField(_l("Comment"), validators=TEXT)


class SubmissionForm(FireForm):
    reference = StringField(_l("Note verbale or letter reference"), validators=TEXT)
    publication_consent = RadioField(
        _l("May the Committee publish this plan?"),
        choices=[SelectChoice("yes", _l("Yes, the Committee may publish it")),
                 SelectChoice("no", _l("No, it is for the Committee only"))],
        validate_choice=False)  # the step asks for it in its own words (web/plans/actions.py)
    # Set once the answers were checked: only then does the plan go to the Committee.
    confirmed = HiddenField()


class AssignForm(FlaskForm):
    username = SelectField(_l("Reviewer"), validators=[InputRequired(_l("Choose a reviewer"))])
    required = BooleanField(_l("Their approval is required before the plan is endorsed"),
                            default=True)
    due = StringField(_l("Due date (optional)"), validators=TEXT)
    form_key = form_key_field()


class ReviewForm(FlaskForm):
    decision = RadioField(_l("Your decision"), choices=options(DECISION_NAMES),
                          validators=[InputRequired(_l("Choose approve or request changes"))])
    comment = TextAreaField(_l("Comment (required to request changes)"), validators=TEXT)
    form_key = form_key_field()
