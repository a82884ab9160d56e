"""`napflow demo` gives its users the documented password: each signs in on the pages."""

from sqlalchemy import func, select

from demo.data import demo_users
from demo.seed import DEMO_PASSWORD
from models import AuditEvent


def test_each_demo_role_signs_in_with_the_demo_password(web_app, browser, db, tmp_path):
    runner = web_app.test_cli_runner()
    result = runner.invoke(args=["demo", "--tokens-file", str(tmp_path / "tokens.env")])
    assert result.exit_code == 0, result.output
    assert f"with the password '{DEMO_PASSWORD}'" in result.output
    assert DEMO_PASSWORD in (tmp_path / "tokens.env").read_text()
    for username in ("tha-drafter", "tha-customs", "tha-approver", "tha-submitter",
                     "committee", "auditor", "lao-drafter"):
        pages = browser()
        assert pages.sign_in(username, DEMO_PASSWORD).status_code == 302, username
        assert username in pages.get("/account").get_data(as_text=True)


def test_running_the_demo_again_keeps_a_password_set_since(web_app, browser, set_password,
                                                           db, tmp_path):
    runner = web_app.test_cli_runner()
    tokens = ["demo", "--tokens-file", str(tmp_path / "tokens.env")]
    assert runner.invoke(args=tokens).exit_code == 0
    set_password("tha-drafter", "my own passphrase")
    result = runner.invoke(args=tokens)
    assert "(0 set now" in result.output
    assert browser().sign_in("tha-drafter", DEMO_PASSWORD).status_code == 422
    assert browser().sign_in("tha-drafter", "my own passphrase").status_code == 302
    db.rollback()
    set_events = db.scalar(select(func.count()).select_from(AuditEvent)
                           .where(AuditEvent.action == "password_set"))
    assert set_events == len(demo_users()) + 1  # each demo user's once, and the new one
