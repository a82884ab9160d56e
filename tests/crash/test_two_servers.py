"""Two `napflow serve` processes on one PostgreSQL race the same triggers on the same plans.

For every plan and every step of its lifecycle, client threads split across both servers fire
the identical trigger at once: exactly one wins, the others are told 409 invalid_transition,
no one sees a 500 or a database error, and every chain verifies afterwards. One server runs
with a `lock_timeout` shorter than a transaction, so PostgreSQL really does abandon its
waiting transactions (55P03): the server must run them again, not pass the error on.
"""

import threading
import time
from collections import Counter

from models.db import make_engine, make_session_factory, write_session
from tests.conftest import SAMPLE_CONTENT
from tests.crash.conftest import (
    Server,
    assert_nothing_half_written,
    make_cast,
    napflow,
    plan_events,
    request,
)
from workflow import service, users

PLANS = 24
RACERS = 6  # per race, alternating between the two servers
GROUPS = 2  # races on different plans run side by side too
STEPS = [("drafter", "submit_for_review", {}), ("reviewer", "review", None),
         ("drafter", "endorse", {}), ("approver", "approve", {}),
         ("submitter", "submit_to_committee",
          {"data": {"reference": "NV/2026/1540", "publication_consent": False}}),
         ("committee", "acknowledge", {}), ("drafter", "revise", {}),
         ("drafter", "withdraw", {"comment": "superseded"})]
LIFE = ["create", "assign_reviewer", *(trigger for _, trigger, _ in STEPS)]
WON, LOST = (200, None), (409, "invalid_transition")


def make_plans(database_url: str) -> list[int]:
    engine = make_engine(database_url)
    try:
        ids = []
        factory = make_session_factory(engine)
        for n in range(PLANS):
            with write_session(factory) as session:
                drafter = users.get_user(session, "drafter")
                plan = service.create_plan(session, drafter, country="THA",
                                           title=f"Raced plan {n}", content=SAMPLE_CONTENT)
                service.assign_reviewer(session, drafter, plan.id, username="reviewer")
                ids.append(plan.id)
        return ids
    finally:
        engine.dispose()


def race_group(plans, ports, cast, outcomes, failures):
    """RACERS threads, each on one server, fire every step of every plan in `plans` together."""
    barrier = threading.Barrier(RACERS, timeout=60)

    def racer(index: int) -> None:
        port = ports[index % len(ports)]
        try:
            for plan_id in plans:
                for who, trigger, body in STEPS:
                    if body is None:  # a review: recorded once, before the next race starts
                        if index == 0:
                            status, answer, _ = request(
                                port, "POST", f"/api/v1/plans/{plan_id}/reviews", cast[who],
                                {"decision": "approve"})
                            if status != 201:
                                failures.append(f"review on {plan_id}: {status} {answer}")
                        continue
                    barrier.wait()
                    status, answer, _ = request(
                        port, "POST", f"/api/v1/plans/{plan_id}/transitions", cast[who],
                        {"trigger": trigger, **body})
                    code = answer.get("code") if status >= 400 else None
                    outcomes.append((plan_id, trigger, port, status, code))
        except Exception as err:  # surfaced by the test: a thread must not fail silently
            failures.append(f"racer {index}: {err!r}")
            barrier.abort()

    return [threading.Thread(target=racer, args=(i,), daemon=True) for i in range(RACERS)]


def test_two_servers_one_winner_per_race(shared_postgres, servers, tmp_path):
    started = time.monotonic()
    cast = make_cast(shared_postgres)
    plans = make_plans(shared_postgres)
    impatient = Server(shared_postgres.replace("options=", "options=-clock_timeout%3D40ms%20"),
                       tmp_path / "impatient.log", workers=3,
                       # an operator who sets a short lock timeout allows more attempts
                       env={"NAPFLOW_TRANSACTION_ATTEMPTS": "10"})
    patient = Server(shared_postgres, tmp_path / "patient.log", workers=3)
    for server in (patient, impatient):
        servers.append(server)
        server.start()

    outcomes: list[tuple] = []
    failures: list[str] = []
    threads = [thread for g in range(GROUPS)
               for thread in race_group(plans[g::GROUPS], [patient.port, impatient.port],
                                        cast, outcomes, failures)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in threads), "a racer hung"
    assert not failures, failures[:10]

    by_race: dict[tuple[int, str], Counter] = {}
    for plan_id, trigger, _port, status, code in outcomes:
        by_race.setdefault((plan_id, trigger), Counter())[(status, code)] += 1
    races = len(PLANS * [t for _, t, body in STEPS if body is not None])
    assert len(by_race) == races
    wrong = {race: dict(seen) for race, seen in by_race.items()
             if seen != Counter({WON: 1, LOST: RACERS - 1})}
    assert not wrong, wrong
    winners = Counter(port for _, _, port, status, _ in outcomes if status == 200)

    verified = napflow("audit", "verify", database_url=shared_postgres)
    assert verified.returncode == 0, verified.stdout + verified.stderr
    engine = make_engine(shared_postgres)
    try:
        assert_nothing_half_written(engine)
        events = plan_events(engine)
        assert {plan_id: [action for action, _ in events[plan_id]] for plan_id in plans} \
            == {plan_id: LIFE for plan_id in plans}
    finally:
        engine.dispose()
    for server in (patient, impatient):
        assert server.terminate() == 0, server.log_tail()
    print(f"\ntwo servers: {races} races of {RACERS} ({len(outcomes)} requests), one winner "
          f"each; wins by server {winners[patient.port]}/{winners[impatient.port]}; "
          f"{impatient.retries_logged() + patient.retries_logged()} transactions re-run "
          f"after a lock timeout or deadlock; {time.monotonic() - started:.1f}s")
