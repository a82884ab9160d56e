"""The diff between two content versions: measures paired up, text compared word by word."""

import pytest

from models import User
from workflow import queries, service
from workflow.content import normalize_content
from workflow.diff import (
    MAX_COMPARED_PAIRS,
    FieldChange,
    Piece,
    content_diff,
    measure_diff,
    word_diff,
)


def marked(pieces: tuple[Piece, ...]) -> str:
    """Pieces as text with `[-removed-]` and `{+added+}` marks, to write expectations."""
    return "".join({"equal": "{}", "delete": "[-{}-]", "insert": "{{+{}+}}"}[p.kind]
                   .format(p.text) for p in pieces)


def stacked(change: FieldChange) -> str:
    return f"{marked(change.before)} / {marked(change.after)}"


@pytest.mark.parametrize(("old", "new", "expected"), [
    ("the quick fox", "the quick fox", "the quick fox / the quick fox"),
    ("the quick fox", "the slow fox", "the [-quick-] fox / the {+slow+} fox"),
    ("the fox", "the quick fox", "the fox / the {+quick+} fox"),
    ("the quick brown fox", "the fox", "the [-quick brown-] fox / the fox"),
    ("Adopt a list", "a list", "[-Adopt-] a list / a list"),
    ("", "Secure every source.", " / {+Secure every source.+}"),
    ("Secure every source.", "", "[-Secure every source.-] / "),
    ("register sources", "Register sources", "[-register-] sources / {+Register+} sources"),
    ("Control exports.", "Control exports and borders.",
     "Control exports. / Control exports {+and borders+}."),
    ("category 1-3 sources", "category 1-4 sources",
     "category 1-[-3-] sources / category 1-{+4+} sources"),
    # Spacing is not a change: a line re-wrapped reads as the same words, each as written.
    ("secure\nevery source", "secure every  source",
     "secure\nevery source / secure every  source"),
    # A word repeated often is not junk: the words around it still match.
    ("a " * 120 + "b", "a " * 120 + "c", "a " * 120 + "[-b-] / " + "a " * 120 + "{+c+}"),
])
def test_words(old, new, expected):
    assert stacked(FieldChange("summary", old, new, *word_diff(old, new))) == expected


@pytest.mark.parametrize(("old", "new"), [
    ("the quick fox", "the slow red fox"),
    ("Adopt a national control list", "Adopt and publish a control list by decree"),
    ("one two three", "three two one"),
    ("  leading and trailing  ", "leading\n\nand trailing"),
])
def test_each_half_is_exactly_its_version(old, new):
    before, after = word_diff(old, new)

    assert "".join(p.text for p in before) == old
    assert "".join(p.text for p in after) == new
    assert {p.kind for p in before} <= {"equal", "delete"}
    assert {p.kind for p in after} <= {"equal", "insert"}
    # Marks hold words; the spacing around them is shared text.
    assert all(p.text == p.text.strip() for p in before + after if p.kind != "equal")


def measure(description: str, obligation: str = "OP3d", **fields) -> dict:
    """A measure in normal form, as a content version stores it."""
    raw = {"obligation": obligation, "description": description,
           "lead_agency": fields.pop("lead_agency", "Ministry of Commerce"), **fields}
    return normalize_content({"measures": [raw]})["measures"][0]


LIST = measure("Adopt a national control list")
LICENCE = measure("Licence every export of listed goods")
TRAIN = measure("Train customs officers on controlled goods", "OP3c", lead_agency="Customs")
LIST_REWORDED = measure("Adopt and publish a national control list")
LIST_DONE = measure("Adopt a national control list", status="done")
SOURCES = measure("Register every radioactive source in hospitals", "OP3b",
                  lead_agency="Office of Atoms for Peace")


@pytest.mark.parametrize(("old", "new", "expected"), [
    pytest.param([LIST], [LIST], [("unchanged", 0, 0)], id="same"),
    pytest.param([LIST], [LIST, TRAIN], [("unchanged", 0, 0), ("added", None, 1)],
                 id="one added at the end"),
    pytest.param([LIST, TRAIN], [TRAIN], [("removed", 0, None), ("unchanged", 1, 0)],
                 id="the first removed"),
    pytest.param([LIST], [LIST_DONE], [("changed", 0, 0)], id="status moved"),
    pytest.param([LIST, TRAIN], [LIST_REWORDED, TRAIN], [("changed", 0, 0), ("unchanged", 1, 1)],
                 id="reworded in place"),
    # A new measure inserted above a reworded one takes its position; the reworded measure is
    # still paired with its old self, by likeness.
    pytest.param([LIST, TRAIN], [SOURCES, LIST_REWORDED, TRAIN],
                 [("added", None, 0), ("changed", 0, 1), ("unchanged", 1, 2)],
                 id="inserted above a reworded one"),
    # A measure replaced by an unrelated one is one removed and one added, not "changed".
    pytest.param([LIST], [SOURCES], [("removed", 0, None), ("added", None, 0)],
                 id="replaced by another"),
    # Two swapped: one of them stays, the other moves (read as removed there, added here).
    pytest.param([LIST, LICENCE], [LICENCE, LIST],
                 [("added", None, 0), ("unchanged", 0, 1), ("removed", 1, None)],
                 id="two swapped"),
    pytest.param([], [LIST], [("added", None, 0)], id="first measure"),
    pytest.param([LIST, TRAIN], [], [("removed", 0, None), ("removed", 1, None)],
                 id="all removed"),
])
def test_measures_are_paired(old, new, expected):
    assert [(c.kind, c.old_index, c.new_index) for c in measure_diff(old, new)] == expected


def test_a_changed_measure_lists_its_changed_fields_text_by_words():
    new = measure("Adopt and publish a national control list", status="in_progress",
                  domains=["nuclear"])
    (change,) = measure_diff([LIST], [new])

    assert change.kind == "changed"
    assert [(f.name, f.old, f.new) for f in change.fields] == [
        ("description", LIST["description"], new["description"]),
        ("domains", None, ["nuclear"]),
        ("status", "planned", "in_progress"),
    ]
    assert stacked(change.fields[0]) == (
        "Adopt a national control list / Adopt {+and publish+} a national control list")
    assert change.fields[1].after == () and change.fields[2].after == ()


def test_a_huge_rewrite_is_paired_by_position():
    count = int(MAX_COMPARED_PAIRS ** 0.5) + 1
    old = [measure(f"Measure number {k} as first written") for k in range(count)]
    new = [measure(f"Measure number {k} as written again") for k in range(count)]

    changes = measure_diff(old, new)

    assert [(c.kind, c.old_index, c.new_index) for c in changes] == [
        ("changed", k, k) for k in range(count)]


SUMMARY = "Strengthen export controls."
PERIOD = {"start": "2026-01-01", "end": "2028-12-31"}


@pytest.mark.parametrize(("old", "new", "expected"), [
    ({"summary": SUMMARY, "period": PERIOD}, {"summary": SUMMARY, "period": PERIOD}, []),
    ({"summary": SUMMARY}, {"summary": "Strengthen border controls."},
     [("summary", "Strengthen [-export-] controls. / Strengthen {+border+} controls.")]),
    ({}, {"summary": SUMMARY}, [("summary", " / {+Strengthen export controls.+}")]),
    ({"period": PERIOD}, {"period": {**PERIOD, "end": "2029-06-30"}},
     [("period.end", "2028-12-31 -> 2029-06-30")]),
    ({"period": PERIOD}, {}, [("period.start", "2026-01-01 -> None"),
                              ("period.end", "2028-12-31 -> None")]),
])
def test_summary_and_period(old, new, expected):
    diff = content_diff(normalize_content(old), normalize_content(new))

    assert [(f.name, stacked(f) if f.name == "summary" else f"{f.old} -> {f.new}")
            for f in diff.fields] == expected
    assert diff.changed == bool(expected)


def test_counts_by_kind():
    diff = content_diff({"measures": [LIST, TRAIN]}, {"measures": [LIST_DONE, SOURCES]})

    assert (diff.count("changed"), diff.count("removed"), diff.count("added"),
            diff.count("unchanged")) == (1, 1, 1, 0)
    assert [c.measure for c in diff.measures] == [LIST_DONE, TRAIN, SOURCES]


# -- which version a reviewer last reviewed -------------------------------------------
def test_the_version_a_reviewer_last_reviewed(make_plan, call, session_factory, people):
    def last_reviewed(who: str) -> int | None:
        with session_factory() as session:
            plan = session.get(service.Plan, plan_id)
            user = session.query(User).filter_by(username=people[who].username).one()
            return queries.last_reviewed_version(session, user, plan)

    plan_id = make_plan("stakeholder_review")
    assert last_reviewed("reviewer") is None

    call("reviewer", service.record_review, plan_id, decision="request_changes",
         comment="add the customs measures")
    call("drafter", service.fire, plan_id, "request_changes", comment="as asked")
    with session_factory() as session:
        etag = session.get(service.Plan, plan_id).etag
    call("drafter", service.edit_plan, plan_id, if_match=etag,
         content={"measures": [LIST, TRAIN]})
    call("drafter", service.fire, plan_id, "submit_for_review")
    assert last_reviewed("reviewer") == 1  # the change since then is what it reads next

    call("reviewer", service.record_review, plan_id, decision="approve")
    assert last_reviewed("reviewer") == 2
    assert last_reviewed("reviewer2") is None


def test_a_long_text_is_compared_sentence_by_sentence_then_by_words():
    sentences = [f"Sentence {k} says the same thing as before." for k in range(300)]
    old = " ".join(sentences)
    new = " ".join(sentences[:150] + ["Sentence 150 says a new thing as before."]
                   + sentences[151:])

    before, after = word_diff(old, new)

    assert [p.text for p in before if p.kind == "delete"] == ["the same"]
    assert [p.text for p in after if p.kind == "insert"] == ["a new"]


def test_a_rewrite_too_long_to_compare_word_by_word_is_marked_whole():
    old, new = " ".join(["old"] * 1500), " ".join(["new"] * 1500)  # one "sentence" each

    before, after = word_diff(old, new)

    assert [(p.kind, p.text) for p in before] == [("delete", old)]
    assert [(p.kind, p.text) for p in after] == [("insert", new)]
