"""The model's cast and inputs: who holds which grants, and contents sorted by what they mean."""

from tests.conftest import SAMPLE_CONTENT

COUNTRY, OTHER_COUNTRY = "THA", "VNM"

# username -> grants as (role, country or None). The model reads these, never the database.
CAST: dict[str, frozenset[tuple[str, str | None]]] = {
    name: frozenset(grants) for name, grants in {
        "drafter": {("drafter", "THA")},
        "drafter2": {("drafter", "THA")},
        "reviewer": {("reviewer", "THA")},
        "reviewer2": {("reviewer", "THA")},
        "reviewer3": {("reviewer", "THA")},
        "approver": {("approver", "THA")},
        # four eyes: may draft and approve, but never approve what it wrote
        "dual": {("drafter", "THA"), ("approver", "THA")},
        # a drafter who is also a reviewer (may be assigned to review a plan it drafts)
        "drafter-reviewer": {("drafter", "THA"), ("reviewer", "THA")},
        "submitter": {("submitter", "THA")},
        "viewer": {("viewer", "THA")},
        "auditor": {("auditor", "THA")},
        "global-auditor": {("auditor", None)},
        "committee": {("committee", None)},
        "admin": {("admin", None)},
        "vnm-drafter": {("drafter", "VNM")},
        "vnm-reviewer": {("reviewer", "VNM")},
        "vnm-approver": {("approver", "VNM")},
    }.items()
}
USERNAMES = tuple(CAST)
NOBODY = "ghost"  # no such user


def grant_strings(name: str) -> list[str]:
    return sorted(role if country is None else f"{role}:{country}"
                  for role, country in CAST[name])


def drafters_of(country: str) -> list[str]:
    return [name for name, grants in CAST.items() if ("drafter", country) in grants]


_MEASURE = SAMPLE_CONTENT["measures"][0]
_SAMPLE_WITH_DEFAULTS = {**SAMPLE_CONTENT, "measures": [
    {**_MEASURE, "assistance_needed": False, "status": "planned"}]}
_SECOND = {"obligation": "OP3c", "description": "Train border guards",
           "lead_agency": "Customs Department", "due": "2027-06-30", "status": "in_progress"}

# label -> (meaning, raw content). Contents with the same meaning have the same normal form,
# so writing one over the other is a no-op edit; None means the content is invalid.
CONTENTS: dict[str, tuple[str | None, object]] = {
    "sample": ("A", SAMPLE_CONTENT),
    "sample_with_defaults": ("A", _SAMPLE_WITH_DEFAULTS),
    "two_measures": ("B", {"measures": [_MEASURE, _SECOND]}),
    "summary_only": ("C", {"summary": "To be completed."}),
    "empty": ("E", {}),
    "no_measures": ("E", {"measures": []}),
    "bad_obligation": (None, {"measures": [{**_MEASURE, "obligation": "OP9"}]}),
    "period_reversed": (None, {"period": {"start": "2028-01-01", "end": "2026-01-01"}}),
    "blank_description": (None, {"measures": [{**_MEASURE, "description": "  "}]}),
    "unknown_field": (None, {"measures": [], "state": "approved"}),
    "not_an_object": (None, ["measures"]),
}
# Meanings with at least one measure: complete enough to be sent for review.
COMPLETE = frozenset({"A", "B"})

# title -> the stored title, or None when it is refused.
TITLES: dict[object, str | None] = {
    "National action plan": "National action plan",
    "  National action plan ": "National action plan",
    "Revised national action plan": "Revised national action plan",
    "": None,
    "   ": None,
    7: None,
}
COUNTRIES = {"THA": True, "VNM": True, "tha": False, "ZZZ": False}
WORKFLOWS = {"nap-1540": True, "nap-9999": False}

COMMENTS: tuple[object, ...] = (None, "", "   ", "please add customs measures", 42)
DECISIONS: tuple[object, ...] = ("approve", "request_changes", "reject", "APPROVE")
REQUIRED: tuple[object, ...] = (True, False, "yes")
SUBMISSION = {"reference": "NV/2026/17", "publication_consent": True}
DATA: tuple[object, ...] = (
    None, {}, SUBMISSION, {"reference": "NV/2026/18", "publication_consent": False},
    {"reference": "  ", "publication_consent": True}, {"reference": "NV/2026/19"},
    {"reference": "NV/2026/20", "publication_consent": None},
    {"reference": "NV/2026/21", "publication_consent": "yes"}, {"reference": 17},
    {"note": "extra"}, ["not", "an object"],
)
UNKNOWN_TRIGGERS = ("publish", "", "APPROVE", "endorse ", "to_draft")
IF_MATCH = ("none", "current", "stale", "star", "garbage", "weak", "list")
