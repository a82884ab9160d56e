"""A refused operation shown on the form that asked for it: by field where it names one."""

from collections.abc import Mapping

from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field

from runtime import metrics
from workflow.errors import (
    Forbidden,
    GuardFailed,
    InvalidTransition,
    NapflowError,
    NotEditable,
    NotFound,
    PreconditionFailed,
    UnknownTrigger,
    ValidationFailed,
)


def translated(text: str) -> str:
    """An operation's message (English, from workflow/) through the catalog: it is shown as
    the operation wrote it until a catalog translates it."""
    return _(text)  # noqa: INT001 - the msgid is the operation's text


def summary(err: NapflowError) -> list[str]:
    """What a refusal tells the user, as lines of text, by its problem code."""
    if isinstance(err, GuardFailed):
        return [_("This cannot be done yet:")] + [translated(r) for r in err.reasons]
    if isinstance(err, InvalidTransition):
        return [_("This cannot be done while the plan is in its current state. Reload the "
                  "plan to see what can be done now.")]
    if isinstance(err, NotEditable):
        return [_("This cannot be changed in the plan's current state."), translated(err.detail)]
    if isinstance(err, PreconditionFailed):
        return [_("The plan changed after you opened this page. Nothing was done: check the "
                  "plan as it is now, then try again.")]
    if isinstance(err, Forbidden):
        return [_("Your roles do not allow this on this plan."), translated(err.detail)]
    if isinstance(err, UnknownTrigger):
        return [_("This plan's workflow has no such action.")]
    return [translated(err.detail)]


def show_refusal(form: FlaskForm, err: NapflowError,
                 fields: Mapping[str, Field] | None = None) -> None:
    """Put `err` on `form`: a field's validation errors on that field (`fields` maps the
    operation's field paths to the form's fields), the rest in the error summary.

    A NotFound is not a form's error: it is raised again, for the "not found" page.
    """
    if isinstance(err, NotFound):
        raise err
    metrics.count_refusal("page", err.code)
    if not isinstance(err, ValidationFailed):
        form.form_errors.extend(summary(err))
        return
    for path, messages in err.errors.items():
        field = (fields or {}).get(path)
        texts = [translated(m) for m in messages]
        if field is None:
            form.form_errors.extend(f"{path}: {text}" for text in texts)
        else:
            field.errors = [*field.errors, *texts] if isinstance(field.errors, list) else texts
