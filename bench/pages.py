"""`python bench/pages.py`: what each list page costs beside the API request it shows.

A page calls the read side its endpoint calls (workflow/), then parses its filters and draws
a template; a history page also verifies the plan's chain, as GET .../history/verify does.
So each page is timed against the API request(s) reading the same, in turn (page, API, page,
API...), on a copy of the `napflow demo --scale` SQLite database that bench/scale.py caches
(BENCH_PAGES_EVENTS events, default 100,000): the ratio is the pages' own cost, which the
other load of a shared machine weighs on alike. In-process (Flask's test client), median of
BENCH_PAGES_REPEATS (7) after a warm-up, wall-clock and this process's CPU.
"""

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402

from app import create_app  # noqa: E402
from bench.scale import busiest_country, cached_sqlite  # noqa: E402
from config import TestingConfig  # noqa: E402
from models import Plan  # noqa: E402
from models.db import make_engine, make_session_factory, write_session  # noqa: E402
from workflow import users  # noqa: E402
from workflow.passwords import Hashing  # noqa: E402

EVENTS = int(os.environ.get("BENCH_PAGES_EVENTS", "100000"))
WARMUP, REPEATS = 2, int(os.environ.get("BENCH_PAGES_REPEATS", "7"))
PASSWORD = "bench pages password"


def requests(url: str, country: str) -> list[tuple[str, str, str, list[str]]]:
    """(what, username, page path, the API paths reading the same) of each measured page."""
    engine = make_engine(url)
    with engine.connect() as conn:
        longest = conn.execute(select(Plan.id).where(Plan.country == country)
                               .order_by(Plan.audit_seq.desc(), Plan.id).limit(1)).scalar_one()
    engine.dispose()
    c = country.lower()
    return [
        ("My tasks", f"{c}-customs", "/", ["/me/tasks"]),
        ("My tasks", "committee", "/", ["/me/tasks"]),
        ("Plans", f"{c}-drafter", "/plans", ["/plans"]),
        ("Plans, waiting on approver", "auditor", "/plans?waiting_on=approver",
         ["/plans?waiting_on=approver"]),
        ("Status", f"{c}-viewer", "/status", ["/status"]),
        ("Status", "auditor", "/status", ["/status"]),
        ("Overdue reviews", "auditor", "/reviews/overdue", ["/reviews/overdue"]),
        ("History of the longest plan", f"{c}-drafter", f"/plans/{longest}/history",
         [f"/plans/{longest}/history", f"/plans/{longest}/history/verify"]),
        ("Audit log", "auditor", "/audit", ["/audit"]),
        ("Audit log, action approve", "auditor", "/audit?action=approve",
         ["/audit?action=approve"]),
    ]


def timed(call) -> tuple[float, float]:
    started, used = time.perf_counter(), time.process_time()
    call()
    return (time.perf_counter() - started) * 1000, (time.process_time() - used) * 1000


def ok(response):
    assert response.status_code == 200, response.get_data(True)[:300]
    return response


def main() -> None:
    cached, meta = cached_sqlite(EVENTS)
    with tempfile.TemporaryDirectory() as tmp:
        # A copy: the passwords set here are events of their own, not for bench/scale.py.
        path = Path(tmp) / "pages.db"
        shutil.copyfile(cached.removeprefix("sqlite:///"), path)
        url = f"sqlite:///{path}"
        country = busiest_country(url)
        measured = requests(url, country)
        app = create_app({"DATABASE_URL": url, "WTF_CSRF_ENABLED": False,
                          "PASSWORD_TIME_COST": TestingConfig.PASSWORD_TIME_COST,
                          "PASSWORD_MEMORY_KIB": TestingConfig.PASSWORD_MEMORY_KIB,
                          "PASSWORD_PARALLELISM": TestingConfig.PASSWORD_PARALLELISM})
        engine = make_engine(url)
        with write_session(make_session_factory(engine)) as session:
            for name in sorted({who for _, who, _, _ in measured}):
                users.set_password(session, "bench", name, PASSWORD,
                                   Hashing.from_config(app.config))
        engine.dispose()
        browsers = {}
        for name in sorted({who for _, who, _, _ in measured}):
            browsers[name] = app.test_client()
            signed = browsers[name].post("/sign-in", data={"username": name,
                                                           "password": PASSWORD})
            assert signed.status_code == 302, signed.get_data(True)[:300]
        load = os.getloadavg()[0]
        print(f"pages against their API requests, SQLite, {EVENTS:,} events, busiest country "
              f"{country}; median of {REPEATS}, ms (wall / CPU)")
        print(f"{'page':<30} {'user':<14} {'page':>15} {'API':>15} {'page/API':>9}")
        for what, who, page, api_paths in measured:
            client, token = browsers[who], meta["tokens"][who]
            headers = {"Authorization": f"Bearer {token}"}

            def api(paths=api_paths, headers=headers):
                for p in paths:
                    ok(app.test_client().get("/api/v1" + p, headers=headers))

            def show(client=client, page=page):
                ok(client.get(page))

            for _ in range(WARMUP):
                show(), api()
            page_costs, api_costs = [], []
            for _ in range(REPEATS):
                page_costs.append(timed(show))
                api_costs.append(timed(api))
            p = [statistics.median(c[i] for c in page_costs) for i in (0, 1)]
            a = [statistics.median(c[i] for c in api_costs) for i in (0, 1)]
            print(f"{what:<30} {who:<14} {p[0]:7.1f} /{p[1]:6.1f} {a[0]:7.1f} /{a[1]:6.1f} "
                  f"{p[1] / a[1]:8.2f}x")
        print(f"load average {load:.1f} -> {os.getloadavg()[0]:.1f} "
              f"({os.cpu_count()} cores)")


if __name__ == "__main__":
    main()
