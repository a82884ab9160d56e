"""SIGTERM to `napflow serve`: the request in flight finishes and is kept, no new one is served.

The request is made slow legitimately: it is a write waiting for a lock the test holds. The
test sends SIGTERM to gunicorn's master while it waits, releases the lock, and expects the
200, the audit event, and a clean exit; a connection opened after the signal gets no answer.
(While the last worker finishes, a new connection still completes its handshake: the worker
holds a copy of the listening socket, so the kernel queues it, unanswered, until the worker
exits; once the master is gone it is refused.)
"""

import http.client
import signal
import threading
import time

from models.db import make_engine
from tests.crash.conftest import Server, make_cast, plan_events, request
from tests.crash.locks import holding_plan_lock, plan_in_review_ready, wait_until_waiting

# How long the test lets the master take to close its listening socket after SIGTERM.
CLOSING_SECONDS = 1.0


def answered(port: int) -> bool:
    """Whether a request on a new connection gets an HTTP answer."""
    try:
        request(port, "GET", "/healthz", timeout=3)
        return True
    except (OSError, http.client.HTTPException):  # refused, reset, or closed unanswered
        return False


def test_sigterm_lets_the_request_in_flight_finish(crash_database, servers, tmp_path):
    cast = make_cast(crash_database)
    plan_id = plan_in_review_ready(crash_database)
    server = Server(crash_database, tmp_path / "server.log", workers=2,
                    env={"NAPFLOW_GRACEFUL_TIMEOUT": "60"})
    servers.append(server)
    server.start()
    master, port = server.process, server.port
    assert answered(port)

    answers = []
    with holding_plan_lock(crash_database, plan_id):
        writer = threading.Thread(target=lambda: answers.append(request(
            port, "POST", f"/api/v1/plans/{plan_id}/transitions", cast["drafter"],
            {"trigger": "submit_for_review"}, timeout=60)), daemon=True)
        writer.start()
        wait_until_waiting(crash_database)
        master.send_signal(signal.SIGTERM)
        time.sleep(CLOSING_SECONDS)
        assert not answered(port), "a new request was served after SIGTERM"
        assert writer.is_alive() and master.poll() is None, server.log_tail()
    writer.join(timeout=60)

    assert len(answers) == 1, server.log_tail()
    status, plan, _ = answers[0]
    assert (status, plan["state"]) == (200, "stakeholder_review"), (status, plan)
    assert master.wait(timeout=60) == 0, server.log_tail()
    server.process = None
    assert not answered(port)
    engine = make_engine(crash_database)
    try:
        assert plan_events(engine)[plan_id][-1] == ("submit_for_review", "stakeholder_review")
    finally:
        engine.dispose()
