"""Signing out ends every session of the user, in every browser; only a POST with CSRF does."""

from sqlalchemy import select

from models import AuditEvent


def test_signing_out_in_one_browser_ends_the_session_in_the_other(signed_in, db):
    office, laptop = signed_in("drafter"), signed_in("drafter")
    assert laptop.get("/account").status_code == 200
    response = office.post("/sign-out")
    assert response.status_code == 302 and response.headers["Location"] == "/sign-in"
    assert "You have signed out" in office.get("/sign-in").get_data(as_text=True)
    for browser in (office, laptop):
        assert browser.get("/account").headers["Location"] == "/sign-in?next=/account"
    db.rollback()
    events = db.scalars(select(AuditEvent).where(AuditEvent.plan_id.is_(None),
                                                 AuditEvent.action.in_(["sign_in", "sign_out"]))
                        .order_by(AuditEvent.id)).all()
    assert [(e.action, e.actor) for e in events] == [
        ("sign_in", "drafter"), ("sign_in", "drafter"), ("sign_out", "drafter")]


def test_a_new_password_ends_the_sessions_signed_in_with_the_old(signed_in, set_password):
    pages = signed_in("drafter")
    set_password("drafter", "a brand new passphrase")
    assert pages.get("/account").status_code == 302


def test_other_users_stay_signed_in(signed_in):
    drafter, reviewer = signed_in("drafter"), signed_in("reviewer")
    drafter.post("/sign-out")
    assert reviewer.get("/account").status_code == 200


def test_sign_out_without_the_csrf_token_is_refused_and_the_session_lives_on(signed_in, db):
    pages = signed_in("drafter")
    for form in ({}, {"csrf_token": "forged"}):
        response = pages.post("/sign-out", form, csrf=False)
        assert response.status_code == 400
        assert "text/html" in response.content_type
    assert pages.get("/account").status_code == 200
    db.rollback()
    assert db.scalar(select(AuditEvent.id).where(AuditEvent.action == "sign_out")) is None


def test_sign_out_is_not_a_link(signed_in):
    pages = signed_in("drafter")
    response = pages.get("/sign-out")
    assert response.status_code == 405
    assert response.headers["Allow"] and "POST" in response.headers["Allow"]
    assert pages.get("/account").status_code == 200
