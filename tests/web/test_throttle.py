"""Failed sign-ins are counted in the database: after N in the window a name is refused, on
every server, until the window has passed; racing guesses are each counted."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from models import SignInAttempts
from models.db import write_session
from tests.web.conftest import Pages
from workflow import sign_in as signing
from workflow.passwords import Hashing

TOO_MANY = "Too many failed sign-ins for this username. Try again in 15 minutes."


def attempts(db, name: str) -> int | None:
    db.rollback()
    return db.scalar(select(SignInAttempts.attempts).where(SignInAttempts.username == name))


@pytest.fixture
def known(people, set_password):
    set_password("drafter")


def test_after_five_failures_even_the_right_password_is_refused_for_15_minutes(known, browser,
                                                                               db):
    pages = browser()
    for _ in range(5):
        assert pages.sign_in("drafter", "wrong guess!").status_code == 422
    response = pages.sign_in("drafter")
    assert response.status_code == 429
    assert TOO_MANY in response.get_data(as_text=True)
    assert 14 * 60 < int(response.headers["Retry-After"]) <= 15 * 60
    assert pages.get("/account").status_code == 302
    # another name is not held back by this one
    other = browser()
    assert other.sign_in("reviewer", "wrong guess!").status_code == 422


def test_unknown_names_are_counted_and_refused_alike(browser, people):
    pages = browser()
    answers = [pages.sign_in("no-such-user", "guess").status_code for _ in range(6)]
    assert answers == [422] * 5 + [429]


def test_once_the_window_has_passed_the_name_may_sign_in_again(known, browser, db,
                                                               session_factory):
    pages = browser()
    for _ in range(5):
        pages.sign_in("drafter", "wrong guess!")
    assert pages.sign_in("drafter").status_code == 429
    with write_session(session_factory) as session:  # 15 minutes go by
        session.execute(update(SignInAttempts).values(
            window_start=SignInAttempts.window_start - timedelta(minutes=15)))
    assert pages.sign_in("drafter").status_code == 302
    assert attempts(db, "drafter") is None  # a success clears the count


def test_a_success_clears_the_failures_before_it(known, browser, db):
    pages = browser()
    for _ in range(4):
        pages.sign_in("drafter", "wrong guess!")
    assert attempts(db, "drafter") == 4
    assert pages.sign_in("drafter").status_code == 302
    assert attempts(db, "drafter") is None


def test_the_count_is_shared_by_two_servers_on_one_database(known, app, database_url):
    from app import create_app

    other = create_app({"DATABASE_URL": database_url, "TESTING": True,
                        **{k: app.config[k] for k in ("PASSWORD_TIME_COST",
                                                      "PASSWORD_MEMORY_KIB",
                                                      "PASSWORD_PARALLELISM")}})
    try:
        first, second = Pages(app.test_client()), Pages(other.test_client())
        for server in (first, second, first, second, first):
            assert server.sign_in("drafter", "wrong guess!").status_code == 422
        assert second.sign_in("drafter").status_code == 429
        assert first.sign_in("drafter").status_code == 429
    finally:
        other.extensions["napflow.db"].engine.dispose()


def test_racing_guesses_are_each_counted_and_only_five_are_checked(known, app,
                                                                   session_factory, db):
    """Twelve guesses at once: every one is counted, and no more than the limit of them ever
    reach the password check, however they interleave."""
    hashing, throttle = Hashing.from_config(app.config), signing.Throttle(5, timedelta(minutes=15))
    checked = []
    verify = hashing.verify

    class Counting(Hashing):
        def verify(self, stored, password):
            checked.append(password)
            return verify(stored, password)

    counting = Counting(hashing.time_cost, hashing.memory_kib, hashing.parallelism)
    outcomes, start = [], threading.Barrier(12)

    def guess(n: int) -> None:
        start.wait()
        try:
            signing.sign_in(lambda: write_session(session_factory), "drafter", f"guess {n}",
                            counting, throttle)
        except signing.NapflowError as refused:
            outcomes.append(type(refused).__name__)

    threads = [threading.Thread(target=guess, args=(n,)) for n in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["SignInFailed"] * 5 + ["TooManySignIns"] * 7
    assert len(checked) == 5
    assert attempts(db, "drafter") == 5  # the refused ones were rolled back, not counted


def test_names_whose_window_has_passed_are_forgotten(known, browser, db, session_factory):
    pages = browser()
    for name in ("typo-name", "my secret password"):
        pages.sign_in(name, "wrong guess!")
    with write_session(session_factory) as session:  # 15 minutes go by
        session.execute(update(SignInAttempts).values(
            window_start=SignInAttempts.window_start - timedelta(minutes=15)))
    pages.sign_in("someone-else", "wrong guess!")
    db.rollback()
    assert db.scalars(select(SignInAttempts.username)).all() == ["someone-else"]
