"""`napflow serve --workers 2`: /metrics sums what every worker counted, whichever answers.

One worker is kept busy by a write that waits for a lock the test holds, so the reads sent
meanwhile are all answered by the other worker; each scrape, from either worker, must then
count both workers' requests exactly.
"""

import threading

from prometheus_client.parser import text_string_to_metric_families

from tests.crash.conftest import Server, make_cast, request
from tests.crash.locks import holding_plan_lock, plan_in_review_ready, wait_until_waiting

TOKEN = "crash-scraper"
READS = 12
SCRAPES = 6
PLAN = "/api/v1/plans/<int:plan_id>"


def scrape(port: int) -> dict[tuple, float]:
    status, body, headers = request(port, "GET", "/metrics",
                                    headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200, body
    assert headers["Content-Type"].startswith("text/plain")
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(body.decode())
            for s in family.samples}


def served(samples: dict, method: str, route: str, status: str) -> float:
    return samples.get(("napflow_http_requests_total",
                        (("method", method), ("route", route), ("status", status))), 0)


def test_metrics_sum_both_workers(crash_database, servers, tmp_path):
    cast = make_cast(crash_database)
    plan_id = plan_in_review_ready(crash_database)
    server = Server(crash_database, tmp_path / "server.log", workers=2,
                    env={"NAPFLOW_METRICS_TOKEN": TOKEN})
    servers.append(server)
    server.start()
    before = scrape(server.port)

    answers = []
    with holding_plan_lock(crash_database, plan_id):
        writer = threading.Thread(target=lambda: answers.append(request(
            server.port, "POST", f"/api/v1/plans/{plan_id}/transitions", cast["drafter"],
            {"trigger": "submit_for_review"}, timeout=60)), daemon=True)
        writer.start()
        wait_until_waiting(crash_database)
        for _ in range(READS):  # the writer's worker is stuck: the other one answers these
            status, _, _ = request(server.port, "GET", f"/api/v1/plans/{plan_id}",
                                   cast["drafter"], timeout=10)
            assert status == 200
        assert writer.is_alive(), "the write did not wait for the lock"
    writer.join(timeout=60)
    assert [status for status, _, _ in answers] == [200], server.log_tail()

    scrapes = [scrape(server.port) for _ in range(SCRAPES)]
    for after in scrapes:  # whichever worker answered the scrape, the same sums
        assert served(after, "GET", PLAN, "200") - served(before, "GET", PLAN, "200") == READS
        assert served(after, "POST", f"{PLAN}/transitions", "200") == 1
        assert after[("napflow_transitions_total", (("trigger", "submit_for_review"),
                                                    ("workflow", "nap-1540")))] == 1
        count = ("napflow_http_request_duration_seconds_count",
                 (("method", "GET"), ("route", PLAN)))
        assert after[count] - before.get(count, 0) == READS
    scraped = [served(after, "GET", "/metrics", "200") for after in scrapes]
    assert scraped == [scraped[0] + n for n in range(SCRAPES)], scraped
    assert server.terminate() == 0, server.log_tail()
