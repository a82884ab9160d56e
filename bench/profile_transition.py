"""Profile transitions in-process (no HTTP server): `python bench/profile_transition.py [N]`.

Cycles plans through submit_for_review / request_changes with Flask's test client on a
temporary SQLite database and prints pyinstrument's profile, then the cost of one transition
unprofiled (wall and CPU time: on a shared machine the CPU time is the steadier figure) and
the SQL statements it sends.
"""

import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pyinstrument import Profiler  # noqa: E402
from sqlalchemy import event  # noqa: E402

from app import create_app  # noqa: E402
from bench.run import NEXT, prepare  # noqa: E402

QUERIES = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    url = f"sqlite:///{tempfile.mkdtemp(prefix='napflow-profile-')}/profile.db"
    token, states = prepare(url, 50)
    client = create_app({"DATABASE_URL": url}).test_client()
    headers = {"Authorization": f"Bearer {token}"}
    ids = sorted(states)

    def fire(i: int) -> None:
        pid = ids[i % len(ids)]
        trigger, dest = NEXT[states[pid]]
        body = {"trigger": trigger, "comment": "Please revise."} if trigger == "request_changes" \
            else {"trigger": trigger}
        response = client.post(f"/api/v1/plans/{pid}/transitions", json=body, headers=headers)
        assert response.status_code == 200, response.get_json()
        states[pid] = dest

    for i in range(100):
        fire(i)
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for i in range(count):
            fire(i)
    elapsed = time.perf_counter() - started
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(f"{count} transitions in-process: {1000 * elapsed / count:.2f} ms each (profiled)")

    started, cpu = time.perf_counter(), time.process_time()
    for i in range(count):
        fire(i)
    wall, cpu = time.perf_counter() - started, time.process_time() - cpu
    print(f"{count} transitions in-process: {1000 * wall / count:.2f} ms each, "
          f"{1000 * cpu / count:.2f} ms of CPU (not profiled)")
    sent: dict[str, list[str]] = {}
    engine = client.application.extensions["napflow.db"].engine
    for _ in range(2):  # the first plan, forth and back
        trigger = NEXT[states[ids[0]]][0]
        listener = lambda *args, t=trigger: sent.setdefault(t, []).append(args[2])  # noqa: E731
        event.listen(engine, "before_cursor_execute", listener)
        fire(0)
        event.remove(engine, "before_cursor_execute", listener)
    for trigger, statements in sent.items():
        counted = [s for s in statements if s.split(None, 1)[0].upper() in QUERIES]
        print(f"{trigger}: {len(counted)} SQL statements (BEGIN, COMMIT aside)")


if __name__ == "__main__":
    main()
