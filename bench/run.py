"""`make bench`: transitions per second through the HTTP API, napflow against a bare ceiling.

Both apps are served by gunicorn with 2 sync workers on the same database and the same plans;
8 client threads with keep-alive connections cycle each plan through submit_for_review and
request_changes. Runs alternate (napflow, bare, napflow, bare...) so that other load on the
machine hits both alike. Then the RSS of napflow's workers before and after many transitions,
and the scale figures of bench/scale.py when it is there.
"""

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import urllib3
from sqlalchemy import text
from sqlalchemy.exc import OperationalError

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from models.db import create_schema, make_engine, make_session_factory, write_session  # noqa: E402
from workflow import service, users  # noqa: E402

BIN = Path(sys.executable).parent
PG_URL = os.environ.get("NAPFLOW_TEST_POSTGRES_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/test")
CONTENT = {
    "summary": "Strengthen export controls and border enforcement.",
    "period": {"start": "2026-01-01", "end": "2028-12-31"},
    "measures": [{"obligation": "OP3d", "description": "Adopt a national control list",
                  "lead_agency": "Ministry of Commerce", "domains": ["nuclear", "chemical"]}],
}
NEXT = {"draft": ("submit_for_review", "stakeholder_review"),
        "stakeholder_review": ("request_changes", "draft")}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, plans: int) -> tuple[str, dict[int, str]]:
    """Schema, a drafter and a reviewer of Thailand, and `plans` drafts ready for review."""
    engine = make_engine(url)
    create_schema(engine)
    factory = make_session_factory(engine)
    with write_session(factory) as session:
        _, token = users.add_user(session, "bench", "bench-drafter", ["drafter:THA"])
        users.add_user(session, "bench", "bench-reviewer", ["reviewer:THA"])
        drafter = users.get_user(session, "bench-drafter")
        ids = []
        for i in range(plans):
            plan = service.create_plan(session, drafter, country="THA", title=f"Plan {i}",
                                       content=CONTENT)
            service.assign_reviewer(session, drafter, plan.id, username="bench-reviewer")
            ids.append(plan.id)
    engine.dispose()
    return token, {pid: "draft" for pid in ids}


class Server:
    """gunicorn, 2 sync workers, as `napflow serve` runs it (or the bare app, alike)."""

    def __init__(self, kind: str, url: str, workers: int = 2):
        self.port = free_port()
        env = {**os.environ, "NAPFLOW_DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        if kind == "napflow":
            cmd = [str(BIN / "napflow"), "serve", "--port", str(self.port),
                   "--workers", str(workers)]
        else:
            cmd = [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{self.port}", "--workers",
                   str(workers), "--access-logfile", "-", "bench.bare_app:app"]
        self.proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), 0.2).close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            self.stop()
            raise RuntimeError(f"{kind} server did not start")
        time.sleep(1.0)  # let both workers boot

    def workers_rss_kib(self) -> list[int]:
        out = subprocess.run(["ps", "-o", "rss=", "--ppid", str(self.proc.pid)],
                             capture_output=True, text=True).stdout
        return [int(x) for x in out.split()]

    def stop(self) -> None:
        os.killpg(self.proc.pid, signal.SIGTERM)
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


def load(port: int, token: str, states: dict[int, str], *, seconds: float | None = None,
         count: int | None = None, threads: int = 8) -> dict:
    """Fire transitions from `threads` clients, each on its own share of the plans."""
    ids = sorted(states)
    shares = [ids[i::threads] for i in range(threads)]
    latencies: list[list[float]] = [[] for _ in range(threads)]
    errors = [0] * threads
    per_thread = None if count is None else -(-count // threads)
    stop_at = None if seconds is None else time.monotonic() + seconds
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}

    def client(n: int) -> None:
        pool = urllib3.HTTPConnectionPool("127.0.0.1", port, maxsize=1, retries=False,
                                          timeout=60)
        done, i = 0, 0
        while True:
            if per_thread is not None and done >= per_thread:
                break
            if stop_at is not None and time.monotonic() >= stop_at:
                break
            pid = shares[n][i % len(shares[n])]
            i += 1
            trigger, dest = NEXT[states[pid]]
            body = {"trigger": trigger}
            if trigger == "request_changes":
                body["comment"] = "Please revise."
            t0 = time.perf_counter()
            r = pool.request("POST", f"/api/v1/plans/{pid}/transitions", headers=headers,
                             body=json.dumps(body))
            elapsed = time.perf_counter() - t0
            if r.status == 200:
                states[pid] = dest
                latencies[n].append(elapsed)
                done += 1
            else:
                errors[n] += 1
                if errors[n] > 50:
                    raise RuntimeError(f"too many refusals: {r.status} {r.data[:200]!r}")
        pool.close()

    started = time.perf_counter()
    workers = [threading.Thread(target=client, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    wall = time.perf_counter() - started
    lat = sorted(x for xs in latencies for x in xs)
    return {"tps": len(lat) / wall, "n": len(lat), "errors": sum(errors),
            "p50": 1000 * lat[len(lat) // 2], "p99": 1000 * lat[int(len(lat) * 0.99)]}


def throughput(name: str, url: str, args) -> None:
    token, states = prepare(url, args.plans)
    results: dict[str, list[dict]] = {"napflow": [], "bare": []}
    for run in range(args.runs):
        for kind in ("napflow", "bare"):
            server = Server(kind, url)
            try:
                load(server.port, token, states, count=40)  # warm-up
                r = load(server.port, token, states, seconds=args.seconds)
            finally:
                server.stop()
            results[kind].append(r)
            print(f"  {name} run {run + 1} {kind:7s} {r['tps']:7.1f}/s  p50 {r['p50']:6.1f} ms"
                  f"  p99 {r['p99']:6.1f} ms  ({r['n']} transitions, {r['errors']} refused)",
                  flush=True)
    nap = statistics.median(r["tps"] for r in results["napflow"])
    bare = statistics.median(r["tps"] for r in results["bare"])
    ratios = [n["tps"] / b["tps"] for n, b in zip(results["napflow"], results["bare"],
                                                     strict=True)]
    # Each napflow run is set against the bare run right after it (the same load around
    # them); the median of those ratios is the headline figure.
    print(f"{name}: napflow {nap:.1f}/s, bare {bare:.1f}/s (medians); ratio "
          f"{statistics.median(ratios):.2f} (median of pairs: "
          f"{', '.join(f'{x:.2f}' for x in ratios)})")
    for kind in ("napflow", "bare"):
        p50 = statistics.median(r["p50"] for r in results[kind])
        p99 = statistics.median(r["p99"] for r in results[kind])
        print(f"{name}: {kind} latency p50 {p50:.1f} ms, p99 {p99:.1f} ms")


def memory(name: str, url: str, args) -> None:
    """Workers' RSS sampled every `--memory-step` transitions: growth shows as a slope, not
    as one difference that a single late allocation (or a worker's page cache) could make."""
    token, states = prepare(url, max(args.plans, 200))
    server = Server("napflow", url)
    samples: list[tuple[int, int]] = []  # (transitions so far, sum of the workers' RSS KiB)
    try:
        load(server.port, token, states, count=2000)  # warm: caches and pools filled
        samples.append((0, sum(server.workers_rss_kib())))
        before, done = server.workers_rss_kib(), 0
        while done < args.memory_transitions:
            step = min(args.memory_step, args.memory_transitions - done)
            done += load(server.port, token, states, count=step,
                         threads=args.memory_threads)["n"]
            samples.append((done, sum(server.workers_rss_kib())))
        after = server.workers_rss_kib()
    finally:
        server.stop()
    (first_n, first), (last_n, last) = samples[0], samples[-1]
    per_10k = (last - first) / 1024 / max(last_n - first_n, 1) * 10_000
    print(f"{name}: napflow workers' RSS before {'+'.join(f'{k // 1024}' for k in before)} MiB,"
          f" after {done} transitions {'+'.join(f'{k // 1024}' for k in after)} MiB "
          f"(growth {(last - first) / 1024:+.1f} MiB, {per_10k:+.2f} MiB per 10,000; sums every "
          f"{args.memory_step:,}: "
          f"{', '.join(f'{kib / 1024:.1f}' for _, kib in samples)} MiB)", flush=True)


def postgres_schema():
    """A private schema on the test PostgreSQL, or None when it cannot be reached."""
    admin = make_engine(PG_URL)
    schema = f"napflow_bench_{uuid.uuid4().hex[:8]}"
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except OperationalError as err:
        admin.dispose()
        print(f"postgresql: skipped, not reachable at {PG_URL} ({err.orig.__class__.__name__})")
        return None, None
    sep = "&" if "?" in PG_URL else "?"

    def drop():
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
    return f"{PG_URL}{sep}options=-csearch_path%3D{schema}", drop


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=int(os.environ.get("BENCH_RUNS", 3)))
    parser.add_argument("--seconds", type=float,
                        default=float(os.environ.get("BENCH_SECONDS", 15)))
    parser.add_argument("--plans", type=int, default=int(os.environ.get("BENCH_PLANS", 200)))
    parser.add_argument("--memory-transitions", type=int,
                        default=int(os.environ.get("BENCH_MEMORY_TRANSITIONS", 100_000)))
    parser.add_argument("--memory-threads", type=int,
                        default=int(os.environ.get("BENCH_MEMORY_THREADS", 16)))
    parser.add_argument("--memory-step", type=int,
                        default=int(os.environ.get("BENCH_MEMORY_STEP", 10_000)))
    parser.add_argument("--only", choices=("throughput", "memory"), default=None)
    parser.add_argument("--databases", default=os.environ.get("BENCH_DATABASES",
                                                              "sqlite,postgresql"))
    args = parser.parse_args()
    print(f"{time.strftime('%Y-%m-%d %H:%M')} UTC, {os.cpu_count()} cores, load average "
          f"{os.getloadavg()[0]:.2f}")
    for name in args.databases.split(","):
        for part in ("throughput", "memory"):
            if args.only not in (None, part):
                continue
            if name == "sqlite":
                folder = tempfile.mkdtemp(prefix="napflow-bench-")
                url, drop = f"sqlite:///{folder}/bench.db", None
            else:
                url, drop = postgres_schema()
                if url is None:
                    break
            try:
                (throughput if part == "throughput" else memory)(name, url, args)
            finally:
                if drop:
                    drop()


if __name__ == "__main__":
    main()
