"""README's Deploying section, run as written: its ```sh blocks in order, on a scratch
PostgreSQL database and role of this test's own (the first block's site variables set to the
test server's after it runs), serving on a free port; its nginx block checked by `nginx -t`."""

import contextlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from tests.crash.conftest import free_port
from tests.scratch_postgres import admin, drop_databases, libpq_env, skip_unless, unique_name

README = Path(__file__).resolve().parents[1] / "README.md"
# CI installs nginx (a few seconds) and sets this, so that the nginx check never skips there.
REQUIRE_NGINX = os.environ.get("NAPFLOW_REQUIRE_NGINX") == "1"

pytestmark = pytest.mark.postgresql


def deploying_blocks() -> list[tuple[str, str]]:
    """(language, text) of each fenced block of the Deploying section, in order."""
    readme = README.read_text()
    start = readme.index("\n## Deploying\n")
    section = readme[start:readme.index("\n## ", start + 1)]
    return re.findall(r"^```(\w+)\n(.*?)^```$", section, re.MULTILINE | re.DOTALL)


def blocks_of(language: str) -> list[str]:
    return [body for lang, body in deploying_blocks() if lang == language]


def site_variables(block: str) -> set[str]:
    return {name for line in block.splitlines() if line.startswith("export ")
            for name in re.findall(r"(?:^export|\s)([A-Z_]+)=", line)}


def exited(pid: int, within: float) -> bool:
    """Whether process `pid` is gone (or a zombie: it has exited) within `within` seconds."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            if Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] == "Z":
                return True
        except (FileNotFoundError, ProcessLookupError):
            return True
        time.sleep(0.1)
    return False


@pytest.fixture
def site(tmp_path):
    """The test's values for the site block's variables; its database and role dropped after."""
    skip_unless("psql", "createdb", "dropdb", "pg_dump", "pg_restore")
    skip_unless("curl")
    name = unique_name("napflow_deploy")
    values = {**libpq_env(), "DB_NAME": name, "DB_USER": name, "PORT": str(free_port()),
              "WORKERS": "2"}
    # The project folder's venv as the README's `.venv`: the interpreter running the tests.
    (tmp_path / ".venv").symlink_to(sys.prefix)
    yield values
    drop_databases(name, f"{name}_drill")
    with admin() as conn:
        conn.execute(text(f'DROP ROLE IF EXISTS "{name}"'))


def test_every_command_of_the_deploying_section_runs(site, tmp_path):
    first, *rest = blocks_of("sh")
    # Every site-specific value is the test's; the generated password may stay as it is made.
    assert site_variables(first) - {"DB_PASSWORD"} == set(site) - {"PGPASSWORD"}
    overrides = "".join(f"export {name}='{value}'\n" for name, value in site.items())
    script = "set -euo pipefail\n" + first + overrides + "".join(rest)
    env = {name: value for name, value in os.environ.items()
           if not name.startswith(("NAPFLOW_", "PG"))}
    # The code under test is this checkout's, whatever the venv was installed from.
    env["PYTHONPATH"] = str(README.parent)
    started = time.monotonic()
    shell = subprocess.Popen(["bash", "-c", script], cwd=tmp_path, env=env, text=True,
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                             start_new_session=True)  # the servers too: one group to clean up
    try:
        output, _ = shell.communicate(timeout=180)
    except subprocess.TimeoutExpired:
        os.killpg(shell.pid, signal.SIGKILL)
        output, _ = shell.communicate()
    log = tmp_path / "napflow.log"
    logged = log.read_text(errors="replace") if log.exists() else ""
    pid_file = tmp_path / "napflow.pid"
    try:
        assert shell.returncode == 0, f"{output}\n--- napflow.log:\n{logged[-3000:]}"
        # The last block stopped the server (gunicorn, since the upgrade) with SIGTERM.
        assert exited(int(pid_file.read_text()), within=30), "the server did not stop"
    finally:
        with contextlib.suppress(ProcessLookupError):  # the group is gone: all stopped
            os.killpg(shell.pid, signal.SIGKILL)  # whatever of the group is still running
    seconds = time.monotonic() - started

    assert "serve: would start" in output
    assert output.count('{"status": "ok"}') + output.count('{"status":"ok"}') == 1, output
    assert output.count('"status":"ready"') + output.count('"status": "ready"') == 3, output
    assert "audit log intact" in output and "and it matches napflow-head-v1:" in output
    assert len(re.findall(r"^\d{4} \(head\)$", output, re.MULTILINE)) == 2, output
    # the scrape counted the probes answered before it, over both workers
    assert re.search(r'^napflow_http_requests_total\{.*route="/readyz".*\} [1-9]', output,
                     re.MULTILINE), output
    lines = [json.loads(line) for line in logged.splitlines()
             if '"request_id": "deploy-check-1"' in line]
    assert [(line["route"], line["status"]) for line in lines
            if line["logger"] == "napflow.request"] == [("/readyz", 200)], lines
    print(f"Deploying section ran in {seconds:.1f} s")


def nginx_or_skip() -> str:
    nginx = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx",) if os.access(p, os.X_OK)), None)
    for program, found in (("nginx", nginx), ("openssl", shutil.which("openssl"))):
        if found is None:  # openssl makes the certificate nginx -t loads
            reason = f"{program} not installed (Debian: apt-get install -y {program})"
            if REQUIRE_NGINX:
                pytest.fail(reason + "; NAPFLOW_REQUIRE_NGINX=1 forbids skipping")
            pytest.skip(reason)
    return nginx


def test_the_nginx_block_passes_nginx_t(tmp_path):
    nginx = nginx_or_skip()
    [block] = blocks_of("nginx")
    # A certificate of the test's own where the block names Let's Encrypt's: nginx -t loads it.
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=napflow.example.org", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True, timeout=60)
    block = re.sub(r"(ssl_certificate\s+)\S+;", rf"\g<1>{cert};", block)
    block = re.sub(r"(ssl_certificate_key\s+)\S+;", rf"\g<1>{key};", block)
    temp = "".join(f"    {kind}_temp_path {tmp_path}/{kind};\n"
                   for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    config = tmp_path / "nginx.conf"
    config.write_text(f"pid {tmp_path}/nginx.pid;\nerror_log {tmp_path}/error.log;\n"
                      f"events {{}}\nhttp {{\n    access_log off;\n{temp}{block}}}\n")
    result = subprocess.run([nginx, "-t", "-p", str(tmp_path), "-e", str(tmp_path / "e.log"),
                             "-c", str(config)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "test is successful" in result.stderr


def test_the_proxy_block_and_the_settings_agree():
    """nginx passes to the port napflow serves on, and says what NAPFLOW_PROXY_HOPS=1 trusts."""
    [block] = blocks_of("nginx")
    site = blocks_of("sh")[0]
    port = re.search(r"\bPORT=(\d+)", site).group(1)
    assert re.search(rf"server 127\.0\.0\.1:{port};", block)
    for header in ("X-Forwarded-For $proxy_add_x_forwarded_for", "X-Forwarded-Proto $scheme",
                   "X-Request-ID $request_id"):
        assert f"proxy_set_header {header};" in block
    assert any("NAPFLOW_PROXY_HOPS=1" in body for body in blocks_of("sh"))
