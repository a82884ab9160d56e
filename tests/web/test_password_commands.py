"""`napflow users add --password` and `napflow users password`: prompted twice, never echoed."""

import pytest
from sqlalchemy import select

from models import AuditEvent, User

NEW = "lantern orbit meadow"


@pytest.fixture
def runner(web_app):
    return web_app.test_cli_runner()


def test_a_user_added_with_a_password_signs_in_with_it(runner, browser, db):
    result = runner.invoke(args=["users", "add", "tha-drafter", "--grant", "drafter:THA",
                                 "--password"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert NEW not in result.output  # hidden input is never echoed
    assert browser().sign_in("tha-drafter", NEW).status_code == 302
    actions = db.scalars(select(AuditEvent.action).where(AuditEvent.plan_id.is_(None))
                         .order_by(AuditEvent.seq)).all()
    assert actions == ["user_add", "token_issue", "password_set", "sign_in"]


def test_a_password_that_does_not_match_its_confirmation_is_asked_again(runner, browser):
    result = runner.invoke(args=["users", "add", "tha-drafter", "--grant", "drafter:THA",
                                 "--password"],
                           input=f"{NEW}\nsomething else\n{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert "do not match" in result.output
    assert browser().sign_in("tha-drafter", NEW).status_code == 302


@pytest.mark.parametrize("password, message", [
    ("short", "at least 10 characters"), ("x" * 1025, "at most 1024 characters")])
def test_a_refused_password_creates_no_user(runner, db, password, message):
    result = runner.invoke(args=["users", "add", "tha-drafter", "--grant", "drafter:THA",
                                 "--password"], input=f"{password}\n{password}\n")
    assert result.exit_code == 1
    assert message in result.output
    assert db.scalar(select(User.id)) is None
    assert db.scalar(select(AuditEvent.id)) is None


def test_users_password_sets_a_new_one_and_ends_the_old_sessions(runner, signed_in, browser):
    pages = signed_in("drafter")
    result = runner.invoke(args=["users", "password", "drafter"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 0, result.output
    assert "page sessions have ended" in result.output
    assert pages.get("/account").status_code == 302
    fresh = browser()
    assert fresh.sign_in("drafter", NEW).status_code == 302
    assert fresh.get("/account").status_code == 200


def test_users_password_of_an_unknown_user_fails_cleanly(runner, people):
    result = runner.invoke(args=["users", "password", "nobody"], input=f"{NEW}\n{NEW}\n")
    assert result.exit_code == 1
    assert "no user 'nobody'" in result.output
