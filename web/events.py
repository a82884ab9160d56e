"""Audit events as the history and audit pages show them: what happened, in words."""

import json
from collections.abc import Mapping
from typing import Any

from flask_babel import lazy_gettext as _l

from web.i18n import datetime_filter
from web.terms import name
from web.words import gettext as _
from web.words import once

# What each action did, as a history says it (past tense; the triggers' button words are
# in web/terms.py). A name without an entry is shown as it is, made readable.
ACTIONS = {
    "create": _l("Plan created"), "edit": _l("Content changed"),
    "assign_reviewer": _l("Reviewer assigned"), "remove_reviewer": _l("Reviewer removed"),
    "review": _l("Review recorded"), "submit_for_review": _l("Sent for review"),
    "endorse": _l("Endorsed"), "request_changes": _l("Changes requested"),
    "approve": _l("Approved"), "return": _l("Returned to draft"),
    "submit_to_committee": _l("Submitted to the Committee"),
    "acknowledge": _l("Receipt acknowledged"), "revise": _l("Revision started"),
    "withdraw": _l("Withdrawn"),
    "user_add": _l("User added"), "grant": _l("Role granted"), "revoke": _l("Role revoked"),
    "token_issue": _l("Token issued"), "token_revoke": _l("Tokens revoked"),
    "password_set": _l("Password set"), "sign_in": _l("Signed in"),
    "sign_out": _l("Signed out"),
}


def _action_name(action: str) -> str:
    found = ACTIONS.get(action)
    return str(found) if found is not None else action.replace("_", " ").capitalize()


def action_name(action: str) -> str:
    return once(_action_name, action)


# The keys of events' data (workflow/service.py, workflow/users.py...), as a history
# names them. A key without an entry is shown as it is, made readable.
DATA_LABELS = {
    "country": _l("Country"), "title": _l("Title"), "workflow": _l("Workflow"),
    "content_version": _l("Content version"), "username": _l("User"),
    "required": _l("Approval required"), "due": _l("Due"), "decision": _l("Decision"),
    "reference": _l("Reference"), "publication_consent": _l("Publication consent"),
    "grant": _l("Role"), "grants": _l("Roles"), "token_id": _l("Token"),
    "tokens": _l("Tokens"), "expires_at": _l("Expires"),
}
# Event fields that also have a row of their own: a data key of the same name and value
# says nothing more (an edit's data names the version it made, which is the event's
# content_version), and showing both printed the label twice.
OWN_ROWS = ("content_version", "from_state", "to_state", "comment", "actor", "at")


def _data_label(key: str) -> str:
    found = DATA_LABELS.get(key)
    return str(found) if found is not None else key.replace("_", " ").capitalize()


def _value(value: Any) -> str:
    """A value of an event's data as text: strings as they are, the rest as JSON."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if value is None:
        return _("None")
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def shown(event: Any, link: dict[str, str] | None = None) -> dict[str, Any]:
    """An event (a model or a row of the audit search) as the timeline component takes it:
    what happened, who, when, the comment, and the rest as (key, value) details; `link`
    ({"href", "text"}) says where it belongs."""
    field = event.get if isinstance(event, Mapping) else lambda key: getattr(event, key)
    from_state, to_state = field("from_state"), field("to_state")
    details = []
    # Each state on a row of its own: a state's name is not built into a sentence, where a
    # translator could not place it.
    if from_state and from_state != to_state:
        details.append((_("From state"), once(name, "state", from_state)))
    if to_state and from_state != to_state:
        details.append((_("To state"), once(name, "state", to_state)))
    if field("content_version") is not None:
        details.append((_("Content version"), str(field("content_version"))))
    # The data's own keys (reference, username...), less those repeating a row above
    details += [(once(_data_label, key), _value(value))
                for key, value in sorted((field("data") or {}).items())
                if not (key in OWN_ROWS and value == field(key))]
    details.append((_("Event hash"), field("hash")))
    return {"title": action_name(field("action")), "link": link,
            "byline": _("By %(actor)s, %(time)s", actor=field("actor"),
                        time=datetime_filter(field("at"))),
            "description": field("comment"), "details": details}
