"""gunicorn as `napflow serve` runs it: the workers' shared metrics directory and shutdown."""

import os
import shutil
import sys
import tempfile
from typing import Any

from flask import Flask
from gunicorn.app.base import BaseApplication

from runtime.metrics import MULTIPROC_DIR


def metrics_directory() -> str:
    """A new, empty directory for this server's workers to keep their metrics in.

    Made per start, so a scrape never sums values left by an earlier server (or by another
    server on the same host). It must be set before the workers first import
    prometheus_client, which picks files or memory once, on import (runtime/metrics.py).
    """
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before the metrics directory was "
                           "set: the workers would count in memory, each its own")
    path = tempfile.mkdtemp(prefix="napflow-metrics-")
    os.environ[MULTIPROC_DIR] = path
    return path


def _child_exit(_server: Any, worker: Any) -> None:
    # prometheus_client's documented gunicorn hook: drops the live-gauge files of the worker
    # that exited (napflow has no gauges today; its counters and histograms keep counting).
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


class GunicornServer(BaseApplication):
    """gunicorn run from Python; each worker builds its app as `app.wsgi:app` does.

    On SIGTERM gunicorn's master closes its listening sockets, lets each worker finish the
    request it is answering for up to `graceful_timeout` seconds, then stops.
    """

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        self.cfg.set("child_exit", _child_exit)
        # gunicorn >= 25 opens a control socket at one fixed path per user; two napflow
        # servers on one host would fight over it, and napflow does not use it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        from app import create_app

        return create_app()


def run(options: dict[str, Any]) -> None:
    """Serve with these gunicorn settings until stopped, with a metrics directory of its
    own, removed when it ends."""
    directory, master = metrics_directory(), os.getpid()
    try:
        GunicornServer(options).run()
    finally:
        # A worker leaves through here too (gunicorn ends a forked worker with sys.exit):
        # only the master, once every worker is gone, removes the directory.
        if os.getpid() == master:
            os.environ.pop(MULTIPROC_DIR, None)
            shutil.rmtree(directory, ignore_errors=True)
