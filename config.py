"""napflow configuration, read from NAPFLOW_* environment variables."""

import os
import secrets
from datetime import timedelta
from pathlib import Path


class Config:
    """Base settings; every value can be overridden by an environment variable."""

    # None means "an SQLite file in the Flask instance folder", resolved by the app factory.
    DATABASE_URL = os.environ.get("NAPFLOW_DATABASE_URL")
    # None means "the key kept in the instance folder" (instance_secret_key, below): every
    # worker of one server then signs and verifies sessions with the same key.
    SECRET_KEY = os.environ.get("NAPFLOW_SECRET_KEY") or None
    # Seconds an SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("NAPFLOW_SQLITE_BUSY_TIMEOUT", "30"))
    # How long an Idempotency-Key and its first response are kept (the contract says >= 24 h).
    IDEMPOTENCY_TTL_SECONDS = int(os.environ.get("NAPFLOW_IDEMPOTENCY_TTL", str(48 * 3600)))
    # A key claimed by a request that never finished (crash) can be reused after this long.
    IDEMPOTENCY_STALE_SECONDS = int(os.environ.get("NAPFLOW_IDEMPOTENCY_STALE", "120"))
    # How often a writing request is run when PostgreSQL abandons its transaction (deadlock,
    # serialization failure, lock timeout) before the client gets a 503.
    TRANSACTION_ATTEMPTS = int(os.environ.get("NAPFLOW_TRANSACTION_ATTEMPTS", "5"))

    # Sign-in on the pages: after this many failed sign-ins for one username within the
    # window (counted in the database, so across every server), that name is refused until
    # the window has passed.
    SIGN_IN_MAX_FAILURES = int(os.environ.get("NAPFLOW_SIGN_IN_MAX_FAILURES", "5"))
    SIGN_IN_WINDOW_MINUTES = int(os.environ.get("NAPFLOW_SIGN_IN_WINDOW_MINUTES", "15"))
    # Argon2id cost of password hashes: argon2-cffi's defaults (RFC 9106's second recommended
    # profile: 3 passes over 64 MiB, 4 lanes). Raising them rehashes each password at its
    # owner's next sign-in.
    PASSWORD_TIME_COST = int(os.environ.get("NAPFLOW_PASSWORD_TIME_COST", "3"))
    PASSWORD_MEMORY_KIB = int(os.environ.get("NAPFLOW_PASSWORD_MEMORY_KIB", str(64 * 1024)))
    PASSWORD_PARALLELISM = int(os.environ.get("NAPFLOW_PASSWORD_PARALLELISM", "4"))

    # A page session left unused this long ends (the signed cookie carries its time, checked
    # on every request; each request starts the period again).
    PERMANENT_SESSION_LIFETIME = timedelta(hours=float(os.environ.get("NAPFLOW_SESSION_HOURS",
                                                                      "8")))
    # The session cookie is HttpOnly and SameSite=Lax; Secure is decided per request (web/),
    # set whenever the request came over HTTPS.
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Pages check CSRF tokens themselves (web/); the API, called with bearer tokens, needs none.
    WTF_CSRF_CHECK_DEFAULT = False
    # A token lives as long as the session it belongs to (which sign-out ends): a reviewer who
    # reads a long plan before pressing Approve must not find the form expired.
    WTF_CSRF_TIME_LIMIT = None
    # The locales pages can be shown in (catalogs in web/translations); the first is the default.
    LANGUAGES = ("en",)

    API_TITLE = "napflow"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    TESTING = False

    # -- monitoring and shutdown (README, Monitoring) --
    # GET /metrics answers only when at least one of these is set (else 404, as if absent):
    # a bearer token the scraper sends, compared in constant time, and/or the client networks
    # (comma-separated CIDRs, e.g. "127.0.0.1/32,10.0.0.0/8") it may come from. When both
    # are set, a scrape must satisfy both.
    METRICS_TOKEN = os.environ.get("NAPFLOW_METRICS_TOKEN") or None
    METRICS_ALLOW = os.environ.get("NAPFLOW_METRICS_ALLOW") or None
    # Seconds `napflow serve` lets in-flight requests finish after SIGTERM (gunicorn's
    # graceful_timeout) before its workers are killed.
    GRACEFUL_TIMEOUT = int(os.environ.get("NAPFLOW_GRACEFUL_TIMEOUT", "30"))


class ProductionConfig(Config):
    """Settings for `napflow serve`."""


class TestingConfig(Config):
    """Settings for the test suite; the database URL is given by the fixture."""

    TESTING = True
    SQLITE_BUSY_TIMEOUT = 30.0
    SECRET_KEY = "napflow-tests-only"
    # Cheap hashes: the tests sign in hundreds of times (never lower these in production).
    PASSWORD_TIME_COST = 1
    PASSWORD_MEMORY_KIB = 8
    PASSWORD_PARALLELISM = 1


def instance_secret_key(instance_path: str) -> str:
    """The key kept in `<instance>/secret_key`, made on first use (owner-only, mode 0600).

    Every gunicorn worker builds its own app: a key drawn per process would make a session
    signed by one worker invalid in the next. The file is written aside and linked into
    place, which fails if it exists, so workers starting together all read the same key.
    """
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        aside = path.with_name(f"secret_key.{os.getpid()}.{secrets.token_hex(4)}")
        fd = os.open(aside, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as out:
            out.write(secrets.token_hex(32))
        try:
            os.link(aside, path)
        except FileExistsError:
            pass  # another process made it first: use theirs
        finally:
            aside.unlink()
    key = path.read_text().strip()
    if len(key) < 32:
        raise RuntimeError(f"{path} holds no usable secret key; delete it to make a new one")
    return key
