"""The words pages show for napflow's names (roles, states, triggers), translatable.

The workflow definition names states and triggers in code (`stakeholder_review`); a page
shows `name(kind, value)`. A name without an entry here (a workflow added later) is shown
as it is, made readable, rather than failing the page.
"""

from flask import Flask
from flask_babel import lazy_gettext as _l

ROLES = {
    "drafter": _l("Drafter"), "reviewer": _l("Reviewer"), "approver": _l("Approver"),
    "submitter": _l("Submitter"), "viewer": _l("Viewer"), "committee": _l("Committee"),
    "auditor": _l("Auditor"), "admin": _l("Administrator"),
}

STATES = {
    "draft": _l("Draft"), "stakeholder_review": _l("Stakeholder review"),
    "national_approval": _l("National approval"), "approved": _l("Approved"),
    "submitted": _l("Submitted"), "acknowledged": _l("Acknowledged"),
    "withdrawn": _l("Withdrawn"),
}

# As buttons say them.
TRIGGERS = {
    "submit_for_review": _l("Send for review"), "endorse": _l("Endorse"),
    "request_changes": _l("Request changes"), "approve": _l("Approve"),
    "return": _l("Return to draft"), "submit_to_committee": _l("Submit to the Committee"),
    "acknowledge": _l("Acknowledge receipt"), "revise": _l("Start a revision"),
    "withdraw": _l("Withdraw"),
}

KINDS = {"role": ROLES, "state": STATES, "trigger": TRIGGERS}


def name(kind: str, value: str) -> str:
    found = KINDS[kind].get(value)
    return str(found) if found is not None else value.replace("_", " ").capitalize()


def init_app(app: Flask) -> None:
    app.jinja_env.globals.update(
        role_name=lambda value: name("role", value),
        state_name=lambda value: name("state", value),
        trigger_name=lambda value: name("trigger", value),
    )
