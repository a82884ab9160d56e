"""Each component macro renders GOV.UK Frontend's markup, and any words of its own are
translated (what a page passes in is the page's to translate)."""

import pytest
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectChoice, StringField, TextAreaField
from wtforms.validators import DataRequired

from tests.web.translation_check import marked, untranslated

CASES = [
    ("button", "button('Approve', secondary=True, disabled=True)",
     ['class="govuk-button govuk-button--secondary"', "disabled aria-disabled=\"true\"",
      ">Approve</button>"]),
    ("button", "button('Cancel', href='/plans')",
     ['<a href="/plans" role="button"', ">Cancel</a>"]),
    ("tag", "tag('Draft', 'grey')", ['<strong class="govuk-tag govuk-tag--grey">Draft</strong>']),
    ("summary_list", "summary_list([('Title', 'Plan'), {'key': 'Period', 'value': '2026',"
                     " 'action': {'href': '/e', 'text': 'Change', 'hidden': 'the period'}}])",
     ['<dt class="govuk-summary-list__key">Title</dt>',
      '<span class="govuk-visually-hidden"> the period</span>']),
    ("table", "table(['Country', 'Plans'], [['THA', 3]], caption='By country', numeric=[1],"
              " first_cell_is_header=True)",
     ['<th scope="row" class="govuk-table__header">THA</th>',
      '<td class="govuk-table__cell govuk-table__cell--numeric">3</td>']),
    ("notification_banner", "notification_banner('Saved', success=True)",
     ['govuk-notification-banner--success', 'role="alert"']),
    ("task_list", "task_list([{'title': 'Review plan 7', 'href': '/plans/7', 'hint': 'due',"
                  " 'status': 'Overdue', 'status_colour': 'red'}])",
     ['aria-describedby="task-1-hint task-1-status"', "govuk-tag--red"]),
    ("pagination", "pagination(next_href='/plans?cursor=9')",
     ['href="/plans?cursor=9" rel="next"', "govuk-pagination__icon--next"]),
    ("pagination", "pagination(previous_href='/plans')",
     ['href="/plans" rel="prev"', "govuk-pagination__prev"]),
    ("misc", "warning_text('This cannot be undone')",
     ['<span class="govuk-visually-hidden">']),
    ("misc", "back_link('/plans', 'Back') ~ inset_text('Note') ~ panel('Submitted', 'NV/1')",
     ['class="govuk-back-link"', 'class="govuk-inset-text"', 'govuk-panel--confirmation']),
]


@pytest.mark.parametrize("component, call, expected", CASES)
def test_a_component_renders_the_design_systems_markup_in_any_language(app, component, call,
                                                                       expected):
    names = call.split("(")[0] if component != "misc" else "back_link, inset_text, panel, " \
                                                           "warning_text"
    source = f'{{% from "components/{component}.html" import {names} %}}{{{{ {call} }}}}'
    with app.test_request_context(), marked(app):
        html = app.jinja_env.from_string(source).render()
    for fragment in expected:
        assert fragment in html
    words_passed = ["Approve", "Cancel", "Draft", "Title", "Plan", "Period", "2026", "Change",
                    "the period", "Country", "Plans", "By country", "THA", "Saved",
                    "Review plan 7", "due", "Overdue", "This cannot be undone", "Back",
                    "Note", "Submitted", "NV/1"]
    assert untranslated(html, words_passed) == []


class DecisionForm(FlaskForm):
    # WTForms 3.3: choices as SelectChoice (tuples are deprecated, an error in the suite)
    decision = RadioField("Decision", choices=[SelectChoice("approve", "Approve"),
                                               SelectChoice("request_changes",
                                                            "Request changes")],
                          validators=[DataRequired("Choose a decision")])
    comment = TextAreaField("Comment")
    reference = StringField("Reference", validators=[DataRequired("Enter the reference")])


def test_form_fields_link_their_errors_to_the_summary(app):
    source = ('{% from "components/fields.html" import radios_field, textarea_field, '
              'input_field, csrf_field %}{% from "components/error_summary.html" import '
              'error_summary %}{{ error_summary(form) }}{{ csrf_field() }}'
              '{{ radios_field(form.decision) }}{{ textarea_field(form.comment, hint="Why") }}'
              '{{ input_field(form.reference) }}')
    with app.test_request_context(method="POST", data={"comment": "<b>x</b>"}):
        form = DecisionForm(meta={"csrf": False})
        assert not form.validate()
        html = app.jinja_env.from_string(source).render(form=form)
    assert '<a href="#decision">Choose a decision</a>' in html
    assert '<a href="#reference">Enter the reference</a>' in html
    assert 'id="decision" name="decision" type="radio" value="approve"' in html
    assert 'aria-describedby="comment-hint"' in html
    assert "&lt;b&gt;x&lt;/b&gt;</textarea>" in html  # what was typed comes back, escaped
    assert 'name="csrf_token" value="' in html
