"""The lifecycle diagram: an SVG drawn by graphviz's `dot` where it is installed, with a
text alternative; the step list stays, and without `dot` the page is as before."""

import os
import re

import pytest

from tests.web.plans.conftest import text
from web.plans import lifecycle


@pytest.fixture
def dot():
    """graphviz's dot: the diagram's tests skip where it is missing, and fail where it must be
    there (NAPFLOW_REQUIRE_DOT=1: CI installs it)."""
    if lifecycle.dot_program() is None:
        message = "graphviz's `dot` is not installed (apt-get install graphviz): no diagram to test"
        if os.environ.get("NAPFLOW_REQUIRE_DOT"):
            pytest.fail(f"{message}, and NAPFLOW_REQUIRE_DOT is set")
        pytest.skip(message)


needs_dot = pytest.mark.usefixtures("dot")
IMG = re.compile(r'<img src="(/plans/\d+/lifecycle\.svg)" alt="([^"]+)">')


@needs_dot
def test_the_plan_page_shows_the_diagram_with_words_for_it(make_plan, signed_in):
    plan_id = make_plan("national_approval")
    viewer = signed_in("viewer")
    response = viewer.get(f"/plans/{plan_id}")
    [(src, alt)] = IMG.findall(response.get_data(as_text=True))
    assert src == f"/plans/{plan_id}/lifecycle.svg"
    assert "the current state, National approval, drawn bold" in alt
    # the steps are still listed in words
    assert "Lifecycle" in text(response) and "National approval current state" in text(response)

    svg = viewer.get(src)
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    drawing = svg.get_data(as_text=True)
    assert "<svg" in drawing and 'viewBox="' in drawing
    root = re.search(r"<svg\b[^>]*>", drawing).group(0)
    assert " width=" not in root and " height=" not in root  # it takes the column's width
    for words in ("Draft", "Stakeholder review", "Approved", "Acknowledged", "Withdrawn",
                  "Send for review", "current state"):
        assert f">{words}</text>" in drawing, words


@needs_dot
@pytest.mark.parametrize("state, words", [("draft", "Draft"), ("approved", "Approved")])
def test_the_current_state_is_the_one_marked(make_plan, signed_in, state, words):
    plan_id = make_plan(state)
    drawing = signed_in("drafter").get(f"/plans/{plan_id}/lifecycle.svg").get_data(
        as_text=True)
    assert drawing.count(">current state</text>") == 1
    # dot draws each node as a <g> with its title (the state's key) and its shapes
    bold = [g for g in re.findall(r'<g id="node\d+" class="node">(.*?)</g>', drawing, re.S)
            if 'stroke-width="3"' in g]
    assert len(bold) == 1 and f">{words}</text>" in bold[0]


def test_names_cannot_break_out_of_the_dot_text():
    assert lifecycle._quoted('a "b" \\ c\nd') == '"a \\"b\\" \\\\ c d"'


@pytest.mark.parametrize("path", ["/plans/{vnm}/lifecycle.svg", "/plans/999999/lifecycle.svg"])
def test_another_countrys_plan_has_no_diagram_either(make_plan, signed_in, path):
    vnm = make_plan("draft", country="VNM")
    response = signed_in("drafter").get(path.format(vnm=vnm))
    assert response.status_code == 404 and "Page not found" in response.text


def test_the_committee_sees_no_diagram_of_a_plan_not_sent_to_it(make_plan, signed_in):
    plan_id = make_plan("approved")
    assert signed_in("committee").get(f"/plans/{plan_id}/lifecycle.svg").status_code == 404


def test_without_dot_the_page_is_the_step_list_alone(make_plan, signed_in, monkeypatch):
    monkeypatch.setattr(lifecycle, "dot_program", lambda: None)
    plan_id = make_plan("draft")
    viewer = signed_in("viewer")
    response = viewer.get(f"/plans/{plan_id}")
    assert response.status_code == 200
    assert not IMG.findall(response.get_data(as_text=True))
    assert "Lifecycle Draft current state Stakeholder review" in text(response)
    missing = viewer.get(f"/plans/{plan_id}/lifecycle.svg")
    assert missing.status_code == 404 and "Page not found" in missing.text


def test_a_dot_that_fails_is_a_readable_503_not_a_500(make_plan, signed_in, monkeypatch):
    monkeypatch.setattr(lifecycle, "dot_program", lambda: "/bin/false")
    plan_id = make_plan("draft")
    response = signed_in("viewer").get(f"/plans/{plan_id}/lifecycle.svg")
    assert response.status_code == 503
    assert "Sorry" in response.text
