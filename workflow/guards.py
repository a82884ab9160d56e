"""Guards: pure predicates over a plan's facts or a request; each returns its unmet reasons."""

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from models import canonical_json
from workflow.content import normalize_content
from workflow.errors import ValidationFailed


@dataclass(frozen=True)
class Assignment:
    username: str
    required: bool


@dataclass(frozen=True)
class PlanFacts:
    """What the guards may know of a plan, gathered once before firing (read-only)."""

    state: str
    content: dict[str, Any]
    content_version: int
    assignments: tuple[Assignment, ...] = ()
    # Each reviewer's latest decision on the current content version of the current revision.
    decisions: dict[str, str] = field(default_factory=dict)
    # Everyone who wrote a content version of the current revision.
    authors: frozenset[str] = frozenset()
    actor: str = ""
    # What content_complete found, kept for the copies made for another state or actor (see
    # workflow/facts.py): the content is the same, and validating it is the costliest guard.
    content_reasons: list[list[str]] = field(default_factory=list, compare=False, repr=False)


@dataclass(frozen=True)
class FiringRequest:
    comment: str | None = None
    data: dict[str, Any] = field(default_factory=dict)


def content_complete(facts: PlanFacts) -> list[str]:
    if not facts.content_reasons:
        facts.content_reasons.append(_known_content_reasons(facts.content))
    return list(facts.content_reasons[0])


# What content_complete found, per process, by the digest of the content's canonical JSON: a
# content version never changes, and validating it cost a tenth of a transition (once in the
# firing, once for the response's available_triggers on the next). Digests keep it small.
_FOUND: dict[str, list[str]] = {}
_FOUND_MAX = 4096


def _known_content_reasons(raw: dict[str, Any]) -> list[str]:
    digest = hashlib.sha256(canonical_json(raw).encode("utf-8")).hexdigest()
    reasons = _FOUND.get(digest)
    if reasons is None:
        if len(_FOUND) >= _FOUND_MAX:
            _FOUND.clear()
        reasons = _FOUND[digest] = _content_reasons(raw)
    return reasons


def _content_reasons(raw: dict[str, Any]) -> list[str]:
    try:
        content = normalize_content(raw)
    except ValidationFailed as err:
        return [f"content is not valid: {path}: {' '.join(msgs)}"
                for path, msgs in err.errors.items()]
    if not content["measures"]:
        return ["content has no measures: at least one is needed before review"]
    return []


def has_required_reviewer(facts: PlanFacts) -> list[str]:
    if any(a.required for a in facts.assignments):
        return []
    return ["no required reviewer is assigned"]


def required_reviews_approve_current_version(facts: PlanFacts) -> list[str]:
    reasons = []
    for a in facts.assignments:
        decision = facts.decisions.get(a.username)
        if decision == "request_changes":
            reasons.append(f"reviewer {a.username} requests changes on version "
                           f"{facts.content_version}")
        elif a.required and decision != "approve":
            reasons.append(f"required reviewer {a.username} has not approved version "
                           f"{facts.content_version}")
    return reasons


def approver_not_author(facts: PlanFacts) -> list[str]:
    if facts.actor in facts.authors:
        return [f"{facts.actor} wrote a content version of this revision and may not approve "
                "it (four eyes)"]
    return []


def comment(request: FiringRequest) -> list[str]:
    if request.comment is None or not request.comment.strip():
        return ["a comment is required"]
    return []


def submission_data(request: FiringRequest) -> list[str]:
    reasons = []
    reference = request.data.get("reference")
    if not isinstance(reference, str) or not reference.strip():
        reasons.append("data.reference (note verbale or letter reference) is required")
    if not isinstance(request.data.get("publication_consent"), bool):
        reasons.append("data.publication_consent must be true or false")
    return reasons


# Guards on the plan decide `ready` in available_triggers; guards on the request are only
# checked when the trigger is fired.
PLAN_GUARDS: dict[str, Callable[[PlanFacts], list[str]]] = {
    "content_complete": content_complete,
    "has_required_reviewer": has_required_reviewer,
    "required_reviews_approve_current_version": required_reviews_approve_current_version,
    "approver_not_author": approver_not_author,
}
# The `data` fields a request guard reads, with their JSON types; any other field is refused.
REQUEST_DATA_FIELDS: dict[str, dict[str, type]] = {
    "submission_data": {"reference": str, "publication_consent": bool},
}
REQUEST_GUARDS: dict[str, Callable[[FiringRequest], list[str]]] = {
    "comment": comment,
    "submission_data": submission_data,
}
