"""A plan's lifecycle as an SVG diagram drawn by graphviz's `dot`, where `dot` is installed.

The diagram is an enhancement: the plan page's step list (plain HTML, web/plans/page.py)
says the same in words and stays. Without `dot` the page shows no diagram and its address
is "not found"; nothing else changes. The DOT text is written here from the workflow
definition (a dozen lines) rather than through `transitions`' GraphMachine, which would
need the `graphviz` Python package as well as the program.
"""

import logging
import re
import shutil
import subprocess
from functools import lru_cache

from flask import Response, abort
from flask_babel import gettext as _
from flask_login import current_user

from runtime import db
from web.blueprint import bp
from web.terms import name
from workflow import service
from workflow.access import load_plan
from workflow.engine import Workflow

log = logging.getLogger(__name__)
DOT_SECONDS = 10  # dot draws a workflow of ten states in a few hundredths of a second
# The root element's fixed size in points: dropped, so that the diagram (its viewBox kept)
# takes the width of the page's column and shrinks with it on a phone.
FIXED_SIZE = re.compile(r'(<svg\b[^>]*?)\s+width="[^"]*"\s+height="[^"]*"')


def dot_program() -> str | None:
    return shutil.which("dot")


def _quoted(text: str) -> str:
    """A DOT string: quotes and backslashes escaped, so a name can never end it early."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def dot_source(workflow: Workflow, current: str) -> str:
    """The workflow's states and transitions in DOT, in the request's words, the current
    state drawn bold and labelled as such (not by colour alone)."""
    lines = ["digraph lifecycle {", "rankdir=TB;",
             'node [shape=box, style=rounded, fontname="sans-serif", fontsize=12];',
             'edge [fontname="sans-serif", fontsize=10];']
    for state in workflow.states:
        label = name("state", state)
        if state == current:
            lines.append(f"{_quoted(state)} [label={_quoted(label)}, xlabel="
                         f"{_quoted(_('current state'))}, style=\"rounded,bold\", penwidth=3];")
        else:
            lines.append(f"{_quoted(state)} [label={_quoted(label)}];")
    for t in workflow.transitions:
        for source in t.source:
            lines.append(f"{_quoted(source)} -> {_quoted(t.dest)} "
                         f"[label={_quoted(name('trigger', t.trigger))}];")
    lines.append("}")
    return "\n".join(lines)


@lru_cache(maxsize=128)
def _drawn(program: str, source: str) -> bytes:
    """dot's SVG for `source`; kept, since a workflow has few states and few languages."""
    drawn = subprocess.run([program, "-Tsvg"], input=source.encode(), capture_output=True,
                           timeout=DOT_SECONDS, check=True).stdout
    return FIXED_SIZE.sub(r"\1", drawn.decode(), count=1).encode()


def lifecycle_svg(workflow: Workflow, current: str) -> bytes | None:
    """The diagram, or None where `dot` is not installed."""
    program = dot_program()
    return _drawn(program, dot_source(workflow, current)) if program else None


@bp.route("/plans/<int:plan_id>/lifecycle.svg")
def plan_lifecycle(plan_id: int):
    # Only for whoever may see the plan: its state is the plan's.
    plan = load_plan(db.session(), current_user, plan_id)
    try:
        svg = lifecycle_svg(service.workflow_of(plan), plan.state)
    except (OSError, subprocess.SubprocessError) as err:
        # The page's step list says it in words: the image alone is missing.
        log.warning("dot could not draw the lifecycle of plan %d: %s", plan_id, err)
        abort(503)
    if svg is None:
        abort(404)
    return Response(svg, mimetype="image/svg+xml")
