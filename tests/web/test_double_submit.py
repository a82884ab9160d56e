"""A form sent twice (a double click with JavaScript off, Back and send again, two sends
racing on two servers) does its work once; the second send lands on what the first made."""

import re

import pytest
from sqlalchemy import func, select

from models import AuditEvent, FormKey, Plan
from tests.web.plans.test_plan_races import race
from tests.web.reading import read

ALREADY = "This form was already sent, and what it asked for was done then."


def form_key(response, action: str) -> str:
    """The one-time key of the form posting to `action` on the page."""
    page = response.get_data(as_text=True)
    form = re.search(rf'<form method="post" action="{re.escape(action)}".*?</form>', page,
                     re.S)
    assert form, f"no form posting to {action}"
    return re.search(r'name="form_key" value="([^"]+)"', form.group(0)).group(1)


def count(db, model, *where) -> int:
    db.rollback()  # a new snapshot: the pages wrote in their own transactions
    return db.scalar(select(func.count()).select_from(model).where(*where))


def plan_events(db) -> int:
    return count(db, AuditEvent, AuditEvent.plan_id.is_not(None))


def test_create_the_plan_pressed_twice_makes_one_plan(signed_in, db):
    drafter = signed_in("drafter")
    form = {"country": "THA", "title": "Pressed twice",
            "form_key": form_key(drafter.get("/plans/new"), "/plans/new")}

    first = drafter.post("/plans/new", form)
    second = drafter.post("/plans/new", form)

    assert first.status_code == second.status_code == 302
    [plan] = db.scalars(select(Plan)).all()
    assert first.headers["Location"] == second.headers["Location"] == f"/plans/{plan.id}"
    assert plan_events(db) == 1
    landed = read(drafter.get(second.headers["Location"]))
    # The browser shows the second answer, with both notes: the first send's (not yet shown)
    # and this one's.
    assert landed.text.count("Plan created.") == 1 and ALREADY in landed.text


def test_each_showing_of_the_form_is_a_new_plan(signed_in, db):
    """The key is the form's, not the title's: two plans of one title are two plans."""
    drafter = signed_in("drafter")
    for _ in range(2):
        key = form_key(drafter.get("/plans/new"), "/plans/new")
        assert drafter.post("/plans/new", {"country": "THA", "title": "Same title",
                                           "form_key": key}).status_code == 302
    assert count(db, Plan) == 2


def test_a_refused_form_keeps_its_key_and_can_be_sent_corrected(signed_in, db):
    drafter = signed_in("drafter")
    key = form_key(drafter.get("/plans/new"), "/plans/new")
    refused = drafter.post("/plans/new", {"country": "THA", "title": " ", "form_key": key})
    assert refused.status_code == 422 and count(db, FormKey) == 0
    assert form_key(refused, "/plans/new") == key  # shown again with the key it was sent with
    made = drafter.post("/plans/new", {"country": "THA", "title": "Now right", "form_key": key})
    assert made.status_code == 302 and count(db, Plan) == 1


def test_keys_are_per_person(signed_in, db):
    """Another drafter sending a form with the same key does their own work."""
    form = {"country": "THA", "title": "Mine",
            "form_key": form_key(signed_in("drafter").get("/plans/new"), "/plans/new")}
    assert signed_in("drafter").post("/plans/new", form).status_code == 302
    assert signed_in("drafter2").post("/plans/new", form).status_code == 302
    assert count(db, Plan) == 2


@pytest.mark.parametrize("key", ["no spaces allowed", "x" * 65, "é"])
def test_a_key_no_page_makes_is_a_bad_request_that_creates_nothing(signed_in, db, key):
    response = signed_in("drafter").post("/plans/new", {"country": "THA", "title": "Forged",
                                                        "form_key": key})
    assert response.status_code == 400
    assert count(db, Plan) == 0


def test_the_same_form_sent_twice_at_once_makes_one_plan_and_both_land_on_it(signed_in, db):
    drafter = signed_in("drafter")
    form = {"country": "THA", "title": "Raced",
            "form_key": form_key(drafter.get("/plans/new"), "/plans/new")}
    # Two browsers of one person (one session each), as two servers would see the sends.
    browsers = [drafter, signed_in("drafter")]
    browsers[1].get("/plans/new")  # its own CSRF token

    responses = race(browsers, lambda pages, _i: pages.post("/plans/new", form))

    [plan] = db.scalars(select(Plan)).all()
    assert [r.status_code for r in responses] == [302, 302]
    assert {r.headers["Location"] for r in responses} == {f"/plans/{plan.id}"}
    assert plan_events(db) == 1
