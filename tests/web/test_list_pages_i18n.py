"""The list pages say every word through a translation call, data apart."""

import json
from datetime import timedelta

import jinja2
from sqlalchemy import select

from models import AuditEvent, utcnow
from tests.web.translation_check import marked, template_literals, untranslated
from web.blueprint import bp

WORKFLOW = "UNSCR 1540 national implementation action plan"  # the definition's title: data
TEMPLATES = ("tasks", "plans_list", "status", "history", "audit")


def test_no_list_page_template_writes_a_word_outside_a_translation_call():
    env = jinja2.Environment(extensions=["jinja2.ext.i18n"])
    root = bp.jinja_loader.searchpath[0]
    found = {}
    for folder in TEMPLATES:
        for path in sorted(__import__("pathlib").Path(root, folder).glob("*.html")):
            literals = template_literals(path.read_text(), env)
            if literals:
                found[path.name] = literals
    assert found == {}


def logged(db) -> set[str]:
    """Every value the audit log holds as text, and its data's keys as the pages show them:
    data a history shows as it is."""
    db.rollback()
    found = set()
    for event in db.scalars(select(AuditEvent)):
        found.update((event.hash, event.actor, event.at))
        for key, value in (event.data or {}).items():
            found.update((key.replace("_", " ").capitalize(), json.dumps(value)
                          if isinstance(value, list) else str(value)))
    return found


def list_pages(app, signed_in, make_plan, db):
    """(what, response, data shown) for each list page, with things to show and not."""
    tha, vnm = make_plan("submitted", title="Export controls"), make_plan(
        "stakeholder_review", country="VNM", title="Border plan")
    make_plan("national_approval", title="Approval plan")
    app.config["CLOCK"] = lambda: utcnow() + timedelta(days=60)
    titles = ("Export controls", "Border plan", "Approval plan")
    for who in ("vnm_reviewer", "approver", "committee", "global_auditor", "drafter"):
        pages = signed_in(who)
        shown = (pages.username, "THA", "VNM", *titles, "drafter", "vnm-drafter", "committee",
                 "reviewer", "vnm-reviewer",
                 WORKFLOW)
        yield f"{who}'s tasks", pages.get("/"), shown
        yield f"{who}'s plans", pages.get("/plans"), shown
        yield f"{who}'s status", pages.get("/status"), shown
        yield f"{who}'s overdue", pages.get("/reviews/overdue"), shown
    auditor = signed_in("global_auditor")
    data = (*logged(db), "THA", "VNM", *titles, "nap-1540", "Thailand", "Viet Nam",
            "global-auditor", "drafter", "reviewer", "approver", "submitter", "admin",
            "committee", "viewer", "auditor", "test", WORKFLOW)
    yield "history", auditor.get(f"/plans/{tha}/history?order=newest"), data
    yield "audit", auditor.get("/audit"), data
    yield "bad audit", auditor.get("/audit?country=XX&since=soon&cursor=x"), data
    yield "bad plans", auditor.get("/plans?state=x&cursor=y"), data
    yield "bad tasks", auditor.get("/?cursor=z"), data
    drafter = signed_in("drafter")
    yield "new plan", drafter.get("/plans/new"), ("drafter", "Thailand", "THA")
    yield "refused plan", drafter.post("/plans/new", {"country": "THA"}), \
        ("drafter", "Thailand", "THA")
    yield "vnm reviewer's history", signed_in("vnm_reviewer").get(f"/plans/{vnm}/history"), \
        data


def test_every_list_page_is_translated(app, signed_in, make_plan, db):
    with marked(app) as translations:
        for what, response, shown in list_pages(app, signed_in, make_plan, db):
            assert response.status_code < 500, what
            assert untranslated(response.get_data(as_text=True), shown) == [], what
    assert translations.asked
