"""Sessions verify in every worker: without NAPFLOW_SECRET_KEY, one key kept in the instance
folder, made once (owner-only), the same for every process that starts."""

import multiprocessing
import stat

from config import instance_secret_key


def test_the_key_is_made_once_owner_only_and_read_back(tmp_path):
    key = instance_secret_key(str(tmp_path))
    assert len(key) == 64
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600
    assert instance_secret_key(str(tmp_path)) == key
    assert [p.name for p in tmp_path.iterdir()] == ["secret_key"]  # nothing left aside


def _key_of(folder: str, queue) -> None:
    queue.put(instance_secret_key(folder))


def test_workers_starting_together_all_get_the_same_key(tmp_path):
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    workers = [context.Process(target=_key_of, args=(str(tmp_path), queue)) for _ in range(6)]
    for worker in workers:
        worker.start()
    keys = {queue.get(timeout=30) for _ in workers}
    for worker in workers:
        worker.join()
    assert len(keys) == 1


def test_an_app_without_a_configured_key_uses_its_instance_folders(monkeypatch):
    from app import create_app

    monkeypatch.delenv("NAPFLOW_SECRET_KEY", raising=False)
    app = create_app({"DATABASE_URL": "sqlite://", "SECRET_KEY": None, "TESTING": True})
    try:
        assert app.config["SECRET_KEY"] == instance_secret_key(app.instance_path)
    finally:
        app.extensions["napflow.db"].engine.dispose()
