"""The closed sets of names napflow speaks in, each with the name the OpenAPI document gives it."""

from collections.abc import Callable, Iterable

from models import DECISIONS, ROLES
from workflow.countries import ISO3_CODES
from workflow.effects import EFFECTS
from workflow.engine import KNOWN_ROLES, REVIEWER_POLICIES, default_registry
from workflow.guards import PLAN_GUARDS, REQUEST_GUARDS
from workflow.terms import Term

# Audit actions that are not triggers: changes to a plan, and to users (the system chain).
PLAN_ACTIONS = ("create", "edit", "assign_reviewer", "remove_reviewer", "review")
USER_ACTIONS = ("user_add", "grant", "revoke", "token_issue", "token_revoke", "password_set",
                "sign_in", "sign_out")
TASK_KINDS = ("transition", "review")


def _union(names: Iterable[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(names))


# The workflow's names are read from the registry when asked, never at import: a workflow
# registered later (tests register a second one) is then part of the vocabulary too.
def workflow_keys() -> tuple[str, ...]:
    return tuple(w.key for w in default_registry())


def states() -> tuple[str, ...]:
    return _union(s for w in default_registry() for s in w.states)


def triggers() -> tuple[str, ...]:
    return _union(t for w in default_registry() for t in w.triggers)


def audit_actions() -> tuple[str, ...]:
    return _union((*PLAN_ACTIONS, *triggers(), *USER_ACTIONS))


# The named sets: component name -> values (or the function giving them).
VOCABULARY: dict[str, Iterable[str] | Callable[[], Iterable[str]]] = {
    "Country": ISO3_CODES,
    "Role": ROLES,
    "TransitionRole": tuple(sorted(KNOWN_ROLES)),
    "WorkflowKey": workflow_keys,
    "State": states,
    "Trigger": triggers,
    "AuditAction": audit_actions,
    "Decision": DECISIONS,
    "TaskKind": TASK_KINDS,
    "ReviewerPolicy": REVIEWER_POLICIES,
    "Guard": tuple(PLAN_GUARDS) + tuple(REQUEST_GUARDS),
    "Effect": tuple(EFFECTS),
}


def term(component: str, **kwargs) -> Term:
    """A field for one of the VOCABULARY's sets."""
    if component == "Country":
        kwargs.setdefault("error", "Not an upper-case ISO 3166-1 alpha-3 country code.")
    return Term(component, VOCABULARY[component], **kwargs)
