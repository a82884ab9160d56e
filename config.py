"""napflow configuration, read from NAPFLOW_* environment variables."""

import os
import secrets


class Config:
    """Base settings; every value can be overridden by an environment variable."""

    # None means "an SQLite file in the Flask instance folder", resolved by the app factory.
    DATABASE_URL = os.environ.get("NAPFLOW_DATABASE_URL")
    SECRET_KEY = os.environ.get("NAPFLOW_SECRET_KEY") or secrets.token_hex(32)
    # Seconds an SQLite writer waits for the lock before giving up.
    SQLITE_BUSY_TIMEOUT = float(os.environ.get("NAPFLOW_SQLITE_BUSY_TIMEOUT", "30"))
    # How long an Idempotency-Key and its first response are kept (the contract says >= 24 h).
    IDEMPOTENCY_TTL_SECONDS = int(os.environ.get("NAPFLOW_IDEMPOTENCY_TTL", str(48 * 3600)))
    # A key claimed by a request that never finished (crash) can be reused after this long.
    IDEMPOTENCY_STALE_SECONDS = int(os.environ.get("NAPFLOW_IDEMPOTENCY_STALE", "120"))
    # How often a writing request is run when PostgreSQL abandons its transaction (deadlock,
    # serialization failure, lock timeout) before the client gets a 503.
    TRANSACTION_ATTEMPTS = int(os.environ.get("NAPFLOW_TRANSACTION_ATTEMPTS", "5"))

    API_TITLE = "napflow"
    API_VERSION = "v1"
    OPENAPI_VERSION = "3.1.0"
    OPENAPI_URL_PREFIX = "/"
    OPENAPI_JSON_PATH = "openapi.json"
    TESTING = False


class ProductionConfig(Config):
    """Settings for `napflow serve`: the secret key must be given, not generated."""


class TestingConfig(Config):
    """Settings for the test suite; the database URL is given by the fixture."""

    TESTING = True
    SQLITE_BUSY_TIMEOUT = 30.0
