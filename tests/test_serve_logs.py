"""Under `napflow serve`, stderr is JSON lines by default, gunicorn's own lines included, and
each request has its line."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from tests.crash.conftest import HOST, free_port

ROOT = Path(__file__).resolve().parents[1]


def test_serve_writes_json_lines_with_one_per_request(tmp_path):
    env = {name: value for name, value in os.environ.items() if not name.startswith("NAPFLOW_")}
    env.update(PYTHONPATH=str(ROOT), NAPFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/napflow.db")
    port = free_port()
    server = subprocess.Popen(
        [sys.executable, "-c", "from cli.commands import main; main()", "serve", "--host", HOST,
         "--port", str(port), "--workers", "1"], env=env, cwd=tmp_path,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline, answer = time.monotonic() + 60, None
        while answer is None and time.monotonic() < deadline:
            assert server.poll() is None, server.stderr.read()
            try:
                with urllib.request.urlopen(urllib.request.Request(
                        f"http://{HOST}:{port}/sign-in", headers={"X-Request-ID": "serve-1"}),
                        timeout=2) as answer:
                    assert answer.headers["X-Request-ID"] == "serve-1"
            except OSError:
                time.sleep(0.2)
        assert answer is not None, "the server did not answer"
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        _, err = server.communicate(timeout=30)
    lines = [json.loads(line) for line in err.splitlines()]  # every line is JSON
    assert any(line["logger"] == "gunicorn.error" for line in lines)
    [request] = [line for line in lines if line["logger"] == "napflow.request"]
    assert {name: request[name] for name in ("method", "route", "status", "request_id",
                                             "user", "remote_addr")} == {
        "method": "GET", "route": "/sign-in", "status": 200, "request_id": "serve-1",
        "user": None, "remote_addr": HOST}
