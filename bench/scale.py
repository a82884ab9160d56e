"""`make bench`, scale part: what reads cost at 10,000 events and at BENCH_SCALE (1,000,000).

Both databases come from `napflow demo --scale` (demo/scale.py, same seed and proportions);
SQLite files are cached in bench/.cache/ by size and generator version, and PostgreSQL (a
private schema, dropped afterwards) is built by the generator the first time and filled from
the cached SQLite rows afterwards. Each request runs in-process through the Flask test client
for realistic callers, median of REPEATS after WARMUP, the two sizes in turn; the table gives
both costs, wall-clock and CPU (this process's and its PostgreSQL backends'), and their ratios
(the aim: within 1.5x), then `napflow audit verify`'s rate on each database.
"""

import contextlib
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Engine, event, func, select, text  # noqa: E402

from api.schemas import encode_cursor  # noqa: E402
from app import create_app  # noqa: E402
from bench.run import BIN, PG_URL, postgres_schema  # noqa: E402
from demo import scale as demo_scale  # noqa: E402
from models import AuditEvent, Base, Plan, as_utc  # noqa: E402
from models.db import create_schema, make_engine  # noqa: E402
from runtime import schema  # noqa: E402

CACHE = ROOT / "bench" / ".cache"
SMALL = 10_000
SEED = 1540
WARMUP, REPEATS = 2, int(os.environ.get("BENCH_SCALE_REPEATS", "7"))
DEEP_PAGE, LIMIT = 10_000, 50


# -- databases ---------------------------------------------------------------------------
def cached_sqlite(events: int) -> tuple[str, dict]:
    """The SQLite database of `events` events and what its build recorded (tokens, times)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    stem = CACHE / f"scale-v{demo_scale.VERSION}-seed{SEED}-{events}"
    path, meta_path = stem.with_suffix(".db"), stem.with_suffix(".json")
    url = f"sqlite:///{path}"
    if path.exists() and meta_path.exists():
        bring_up_to_date(url)
        return url, json.loads(meta_path.read_text())
    for stale in (path, meta_path):
        stale.unlink(missing_ok=True)
    engine = make_engine(url)
    create_schema(engine)
    today = datetime.now(UTC).date()
    built = demo_scale.build(engine, events, SEED, today)
    engine.dispose()
    meta = {"tokens": {name: token for name, (_, token) in built.tokens.items()},
            "plans": built.plans, "today": today.isoformat(), "sqlite_build": built.seconds}
    meta_path.write_text(json.dumps(meta))
    return url, meta


def bring_up_to_date(url: str) -> None:
    """Bring the database to head by the migrations, as `napflow init-db` does (a new kept
    table starts from the rows there)."""
    engine = make_engine(url)
    schema.upgrade(engine)
    if engine.dialect.name == "postgresql":
        # As autovacuum would by now (the test server here runs without it): a table just
        # made has no statistics, and the count tables' upserts leave dead rows and pages
        # not marked all-visible, which index-only scans then read from the heap.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE " + ", ".join(
                f'"{table.name}"' for table in Base.metadata.sorted_tables)))
    engine.dispose()


def kept_schema(schema: str) -> str:
    """The URL of a schema an earlier run kept (BENCH_SCALE_PG_SCHEMAS), brought up to date."""
    url = f"{PG_URL}{'&' if '?' in PG_URL else '?'}options=-csearch_path%3D{schema}"
    bring_up_to_date(url)
    return url


def fill_postgres(url: str, events: int, meta: dict, sqlite_url: str) -> None:
    """Build with the generator once (its time is a figure); later, copy the cached rows."""
    engine = make_engine(url)
    create_schema(engine)
    if "postgresql_build" not in meta:
        built = demo_scale.build(engine, events, SEED, date.fromisoformat(meta["today"]))
        meta["postgresql_build"] = built.seconds
        meta["tokens"] = {name: token for name, (_, token) in built.tokens.items()}
        stem = CACHE / f"scale-v{demo_scale.VERSION}-seed{SEED}-{events}"
        stem.with_suffix(".json").write_text(json.dumps(meta))
        # the SQLite file must hold the same tokens as what PostgreSQL now has
        copy_rows(make_engine(url), make_engine(sqlite_url), replace=True)
    else:
        copy_rows(make_engine(sqlite_url), engine)
    engine.dispose()


def copy_rows(source: Engine, target: Engine, replace: bool = False) -> None:
    rows = {}
    with source.connect() as conn:
        for table in Base.metadata.sorted_tables:
            rows[table.name] = [{k: as_utc(v) if hasattr(v, "tzinfo") else v
                                 for k, v in r._mapping.items()}
                                for r in conn.execute(select(table).order_by(*table.primary_key))]
    if replace:  # the tokens table only: everything else is the same generator's output
        with target.begin() as conn:
            table = Base.metadata.tables["api_tokens"]
            for row in rows["api_tokens"]:
                conn.execute(table.update().where(table.c.id == row["id"])
                             .values(token_hash=row["token_hash"]))
        return
    demo_scale.insert(target, rows)


# -- requests ----------------------------------------------------------------------------
@dataclass
class Cost:
    wall: float  # median ms
    cpu: float  # median ms of CPU: this process's and its PostgreSQL backends' (ServerCpu)
    items: int
    paged: bool


class ServerCpu:
    """The CPU time of the PostgreSQL backends an engine connects to, from the kernel's count
    (/proc/<pid>/schedstat, in ns: the server runs on this machine). On a shared machine the
    CPU a request takes moves far less than its wall time. None for SQLite: its work is done
    in this process, whose CPU is counted apart."""

    def __init__(self, engine: Engine):
        self.pids: set[int] = set()
        if engine.dialect.name == "postgresql":
            engine.dispose()  # every connection from now on is seen connecting
            event.listen(engine, "connect", self._connected)

    def _connected(self, dbapi_connection, _record) -> None:
        with dbapi_connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            self.pids.add(cursor.fetchone()[0])
        dbapi_connection.rollback()

    def seconds(self) -> float:
        used = 0
        for pid in self.pids:
            with contextlib.suppress(FileNotFoundError):
                used += int(Path(f"/proc/{pid}/schedstat").read_text().split()[0])
        return used / 1e9


def get(client, path: str, token: str):
    response = client.get(path, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, (path, response.get_data(True)[:300])
    return response


def alternately(clients, servers: list[ServerCpu], paths: list[str],
                tokens: list[str]) -> list[Cost]:
    """Each request at every size in turn, REPEATS times after WARMUP, so that the other work
    on a shared machine weighs on both sizes alike."""
    bodies = [[get(c, path, token) for _ in range(WARMUP)][-1].get_json()
              for c, path, token in zip(clients, paths, tokens, strict=True)]
    wall: list[list[float]] = [[] for _ in clients]
    cpu: list[list[float]] = [[] for _ in clients]
    for _ in range(REPEATS):
        for i, (client, path, token) in enumerate(zip(clients, paths, tokens, strict=True)):
            started, used = time.perf_counter(), time.process_time() + servers[i].seconds()
            get(client, path, token)
            wall[i].append((time.perf_counter() - started) * 1000)
            cpu[i].append((time.process_time() + servers[i].seconds() - used) * 1000)
    return [Cost(statistics.median(w), statistics.median(c),
                 len(b["items"]) if "items" in b else sum(len(v) for v in b.values()),
                 "items" in b)
            for w, c, b in zip(wall, cpu, bodies, strict=True)]


def with_limit(path: str, limit: int) -> str:
    return f"{path}{'&' if '?' in path else '?'}limit={limit}"


def requests(url: str, country: str) -> list[tuple[str, str, str]]:
    """(what, username, path) of each measured request on the database at `url`."""
    engine = make_engine(url)
    with engine.connect() as conn:
        longest = conn.execute(select(Plan.id).where(Plan.country == country)
                               .order_by(Plan.audit_seq.desc(), Plan.id).limit(1)).scalar_one()
        total = conn.scalar(select(func.count()).select_from(AuditEvent))
        # the cursor of page DEEP_PAGE for a caller who sees every event, or the last full
        # page a smaller log has
        position = min(DEEP_PAGE * LIMIT, total - LIMIT)
        after = conn.execute(select(AuditEvent.id).order_by(AuditEvent.id)
                             .offset(position - 1).limit(1)).scalar_one()
    engine.dispose()
    c = country.lower()
    return [
        ("history of the country's longest plan", f"{c}-drafter",
         f"/api/v1/plans/{longest}/history"),
        ("GET /audit, first page", "auditor", "/api/v1/audit"),
        (f"GET /audit, page {DEEP_PAGE:,} or the last", "auditor",
         f"/api/v1/audit?cursor={encode_cursor(after)}"),
        ("GET /audit, a country's first page", f"{c}-auditor", "/api/v1/audit"),
        ("GET /audit?action=approve", "auditor", "/api/v1/audit?action=approve"),
        ("GET /status", f"{c}-viewer", "/api/v1/status"),
        ("GET /status", "committee", "/api/v1/status"),
        ("GET /status", "auditor", "/api/v1/status"),
        ("GET /me/tasks", f"{c}-drafter", "/api/v1/me/tasks"),
        ("GET /me/tasks", f"{c}-customs", "/api/v1/me/tasks"),
        ("GET /me/tasks", "committee", "/api/v1/me/tasks"),
        ("GET /reviews/overdue", f"{c}-viewer", "/api/v1/reviews/overdue"),
        ("GET /reviews/overdue", "committee", "/api/v1/reviews/overdue"),
        ("GET /reviews/overdue", "auditor", "/api/v1/reviews/overdue"),
        ("GET /plans", f"{c}-drafter", "/api/v1/plans"),
        ("GET /plans", "committee", "/api/v1/plans"),
        ("GET /plans", "auditor", "/api/v1/plans"),
        ("GET /plans?state=stakeholder_review", f"{c}-viewer",
         "/api/v1/plans?state=stakeholder_review"),
        ("GET /plans?waiting_on=approver", "auditor", "/api/v1/plans?waiting_on=approver"),
        ("GET /plans?sort=updated", f"{c}-drafter", "/api/v1/plans?sort=updated"),
    ]


def verify_rate(url: str, events: int) -> str:
    """`napflow audit verify`'s own rate, and the CPU it took (the command and its workers):
    on a shared machine the wall-clock rate depends on who else runs."""
    load = os.getloadavg()[0]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    result = subprocess.run([str(BIN / "napflow"), "audit", "verify"], capture_output=True,
                            text=True, env={**os.environ, "NAPFLOW_DATABASE_URL": url})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        return f"FAILED: {result.stdout.strip()} {result.stderr.strip()[-300:]}"
    match = re.search(r"in ([\d.]+) s \(([\d,]+) events/s\)", result.stdout)
    cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    return (f"{match.group(2)} events/s ({match.group(1)} s wall; whole command "
            f"{cpu:.1f} s CPU, {cpu / events * 1e6:.1f} us/event; load average "
            f"{load:.1f} -> {os.getloadavg()[0]:.1f})")


def busiest_country(url: str) -> str:
    engine = make_engine(url)
    with engine.connect() as conn:
        found = conn.execute(select(Plan.country).group_by(Plan.country)
                             .order_by(func.count().desc(), Plan.country).limit(1)).scalar_one()
    engine.dispose()
    return found


def report(name: str, sizes: list[int], urls: list[str], metas: list[dict]) -> None:
    country = busiest_country(urls[0])
    asked = [requests(url, country) for url in urls]  # a plan's id and a cursor differ
    apps = [create_app({"DATABASE_URL": url}) for url in urls]
    clients = [app.test_client() for app in apps]
    servers = [ServerCpu(app.extensions["napflow.db"].engine) for app in apps]
    print(f"\n{name}: reads at {sizes[0]:,} and {sizes[1]:,} events (country {country}; "
          f"median of {REPEATS} after {WARMUP} warm-up, the sizes alternating, in-process; "
          f"load average {os.getloadavg()[0]:.1f})")
    # Where the answer itself grows (unpaginated lists, a country with more plans), the cost
    # per item returned says whether the database's size or the answer's is what costs; a
    # list that fills a page only at the larger size is measured again at the smaller
    # size's page length (the rows marked "same page").
    print(f"  {'request':<44} {'caller':<13} {'ms small':>9} {'ms large':>9} {'ratio':>6}"
          f" {'CPU small':>9} {'CPU large':>9} {'ratio':>6}  {'items':>11}  {'ratio/item':>10}")
    tokens = [[meta["tokens"][user] for meta in metas] for _, user, _ in asked[0]]
    # BENCH_SCALE_REQUESTS=/status measures only the requests whose path holds it
    wanted = os.environ.get("BENCH_SCALE_REQUESTS", "")
    for i, (what, user, path) in enumerate(asked[0]):
        if wanted not in path:
            continue
        paths = [found[i][2] for found in asked]
        small, large = alternately(clients, servers, paths, tokens[i])
        line(what, user, small, large)
        if small.paged and 0 < small.items < large.items:
            small, large = alternately(clients, servers,
                                       [with_limit(p, small.items) for p in paths], tokens[i])
            line(f"  same page: limit={small.items}", user, small, large)
    for app in apps:
        app.extensions["napflow.db"].engine.dispose()
    print(f"  (CPU: this process's and its PostgreSQL backends'; load average now "
          f"{os.getloadavg()[0]:.1f})")
    for size, url, meta in zip(sizes, urls, metas, strict=True):
        if wanted:  # a few requests measured again: not the whole log verified again
            break
        build = meta.get(f"{name.lower()}_build")
        built = (f"built in {sum(build.values()):.0f} s ("
                 + ", ".join(f"{k} {v:.0f} s" for k, v in build.items()) + ")"
                 if build else "copied from the SQLite cache")
        print(f"  {size:,} events: {built}; audit verify: {verify_rate(url, size)}")


def line(what: str, user: str, small: Cost, large: Cost) -> None:
    ratio, cpu = large.wall / small.wall, large.cpu / max(small.cpu, 0.01)
    per_item = (large.wall / max(large.items, 1)) / (small.wall / max(small.items, 1))
    over = [kind for kind, r in (("wall", ratio), ("CPU", cpu)) if r > 1.5]
    flag = f"  > 1.5x: {' and '.join(over)}" if over else ""
    print(f"  {what:<44} {user:<13} {small.wall:9.1f} {large.wall:9.1f} {ratio:6.2f}"
          f" {small.cpu:9.1f} {large.cpu:9.1f} {cpu:6.2f}"
          f"  {f'{small.items}/{large.items}':>11}  {per_item:10.2f}{flag}")


def main() -> None:
    """BENCH_SCALE_ONLY=sqlite|postgresql runs one database; BENCH_SCALE_REQUESTS=/status
    only the requests whose path holds it; BENCH_SCALE_PG_KEEP=1 keeps the
    filled PostgreSQL schemas (their names printed), BENCH_SCALE_PG_SCHEMAS=small,large
    measures those again instead of filling new ones (a fill copies a million rows)."""
    large = int(os.environ.get("BENCH_SCALE", "1000000"))
    only = os.environ.get("BENCH_SCALE_ONLY")
    sizes = [SMALL, large]
    sqlite = [cached_sqlite(n) for n in sizes]
    if only != "postgresql":
        report("SQLite", sizes, [url for url, _ in sqlite], [meta for _, meta in sqlite])
    if only == "sqlite":
        return
    metas = [meta for _, meta in sqlite]
    if os.environ.get("BENCH_SCALE_PG_SCHEMAS"):
        names = os.environ["BENCH_SCALE_PG_SCHEMAS"].split(",")
        report("PostgreSQL", sizes, [kept_schema(name) for name in names], metas)
        return
    schemas = []
    try:
        for size, (sqlite_url, meta) in zip(sizes, sqlite, strict=True):
            found = postgres_schema()
            if found[0] is None:
                print("\nPostgreSQL: not reachable, skipped")
                return
            schemas.append(found)
            fill_postgres(found[0], size, meta, sqlite_url)
        report("PostgreSQL", sizes, [url for url, _ in schemas], metas)
    finally:
        if os.environ.get("BENCH_SCALE_PG_KEEP") == "1":
            print("  kept: BENCH_SCALE_PG_SCHEMAS=" + ",".join(
                url.rpartition("%3D")[2] for url, _ in schemas))
        else:
            for _, drop in schemas:
                drop()


if __name__ == "__main__":
    main()
