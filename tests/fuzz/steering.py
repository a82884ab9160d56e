"""Steers schemathesis' generated values towards the plans, versions and users that exist.

A generated `plan_id` is almost never one of the few plans in the database, so without help
every plan operation would be fuzzed only as far as its 404. These hooks swap, some of the
time, a value that is already valid for the schema for one that names something real; a value
the fuzzer made invalid on purpose (negative testing) is never touched, so what it expects
(a 4xx) stays true.
"""

from typing import Any

from hypothesis import strategies as st

from workflow.engine import default_registry

# The plans the `fuzz_app` fixture makes, in this order, on an empty database (ids from 1).
SEEDED_STATES = ("draft", "draft", "stakeholder_review", "national_approval", "approved",
                 "submitted", "acknowledged", "withdrawn")
PLAN_IDS = tuple(range(1, len(SEEDED_STATES) + 1))
USERNAMES = ("reviewer", "reviewer2", "fuzzer", "drafter", "vnm-reviewer")
TRIGGERS = tuple(default_registry().get("nap-1540").triggers)
COMMENTS = (None, "", "please add customs measures")
DATA = ({}, {"reference": "NV/2026/17", "publication_consent": True},
        {"reference": "NV/2026/18", "publication_consent": False})


MAX_ID = 2**31 - 1  # the documented bounds of ids and version numbers: 1 to 2^31-1


def _valid_int(value: Any) -> bool:
    # Exactly the schema's bounds: a 0 made on purpose must stay a negative example.
    return isinstance(value, int) and not isinstance(value, bool) and 1 <= value <= MAX_ID


def _valid_str(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 64


def _sometimes(value: dict[str, Any], name: str, choices: st.SearchStrategy,
               valid) -> st.SearchStrategy[dict[str, Any]]:
    if name not in value or not valid(value[name]):
        return st.just(value)
    # Three times in four a real one: the fuzzer still sends its own value often enough.
    return st.integers(0, 3).flatmap(lambda k: st.just(value) if k == 0 else choices.map(
        lambda chosen: {**value, name: chosen}))


def flatmap_path_parameters(context, path_parameters):
    if not isinstance(path_parameters, dict):
        return st.just(path_parameters)
    strategy = st.just(path_parameters)
    for name, choices, valid in (("plan_id", st.sampled_from(PLAN_IDS), _valid_int),
                                 ("number", st.integers(1, 3), _valid_int),
                                 ("username", st.sampled_from(USERNAMES), _valid_str)):
        strategy = strategy.flatmap(
            lambda value, n=name, c=choices, v=valid: _sometimes(value, n, c, v))
    return strategy


def flatmap_body(context, body):
    if not isinstance(body, dict):
        return st.just(body)
    path = context.operation.path
    if path.endswith("/transitions"):
        return _sometimes(body, "trigger", st.sampled_from(TRIGGERS), _valid_str).flatmap(
            lambda value: st.fixed_dictionaries({}, optional={
                "comment": st.sampled_from(COMMENTS), "data": st.sampled_from(DATA)}).map(
                lambda extra: {**extra, **value} if "trigger" in value else value))
    if path.endswith("/reviewers"):
        return _sometimes(body, "username", st.sampled_from(USERNAMES), _valid_str)
    if path == "/api/v1/plans":
        return _sometimes(body, "country", st.just("THA"), lambda v: isinstance(v, str))
    return st.just(body)
