"""napflow configuration: each setting from its NAPFLOW_* variable, a TOML file, or a default.

Settings are read when an app is created (`load_settings`), never at import: a variable set
after `import config` (by a test, or by a process manager's wrapper) still counts. The
environment wins over the file named by NAPFLOW_CONFIG_FILE, which wins over the default.
"""

import os
import secrets
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

FILE_VARIABLE = "NAPFLOW_CONFIG_FILE"
# A secret key shorter than this is refused in production (secrets.token_hex(32) gives 64).
MIN_SECRET_KEY_LENGTH = 32


class ConfigError(ValueError):
    """A setting napflow cannot use: one line naming the variable and what it must be."""


Parse = Callable[[str], Any]  # the variable's text to app.config's value; ValueError if bad


def whole(minimum: int) -> Parse:
    def parse(text: str) -> int:
        try:
            value = int(text.strip())
        except ValueError:
            raise ValueError("must be a whole number") from None
        if value < minimum:
            raise ValueError(f"must be at least {minimum}")
        return value
    return parse


def amount(unit: str, rule: str, allowed: Callable[[float], bool],
           convert: Callable[[float], Any] = float) -> Parse:
    """A number of `unit`s within `allowed` (NaN and infinity never are), `rule` said if not."""
    def parse(text: str) -> Any:
        try:
            value = float(text.strip())
        except ValueError:
            raise ValueError(f"must be a number of {unit}") from None
        if not (value < float("inf") and allowed(value)):
            raise ValueError(f"must be a number of {unit} {rule}")
        return convert(value)
    return parse


seconds = amount("seconds", "0 or more", lambda value: value >= 0)
hours = amount("hours", "above 0 (at most a year)", lambda value: 0 < value <= 24 * 366,
               lambda value: timedelta(hours=value))


def flag(text: str) -> bool:
    word = text.strip().lower()
    if word in ("1", "true", "yes", "on"):
        return True
    if word in ("0", "false", "no", "off"):
        return False
    raise ValueError("must be 1 or 0 (true or false)")


def one_of(*choices: str) -> Parse:
    def parse(text: str) -> str:
        word = text.strip().lower()
        if word not in choices:
            raise ValueError(f"must be one of {', '.join(choices)}")
        return word
    return parse


def text(value: str) -> str:
    return value


def database_url(value: str) -> str:
    try:
        make_url(value).get_dialect()  # an unknown dialect is refused here, not at first use
    except ArgumentError:
        raise ValueError("must be an SQLAlchemy URL (dialect+driver://user@host/name)") from None
    return value


def shown(value: Any) -> str:
    """A value as its variable would be written."""
    if isinstance(value, timedelta):
        return f"{value.total_seconds() / 3600:g}"
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


@dataclass(frozen=True)
class Setting:
    name: str  # the key in the file; the variable is NAPFLOW_ + NAME
    key: str  # where app.config keeps the value
    parse: Parse
    default: Any
    secret: bool = False  # never shown (config show masks it)

    @property
    def variable(self) -> str:
        return "NAPFLOW_" + self.name.upper()


# Every setting; README's Configuration section says what each means (a test keeps them in step).
SETTINGS = (
    Setting("env", "ENVIRONMENT", one_of("development", "production"), "development"),
    # None: an SQLite file in the instance folder (runtime.db).
    Setting("database_url", "DATABASE_URL", database_url, None, secret=True),
    # None: the key kept in the instance folder (instance_secret_key, below), which every
    # worker of one host shares.
    Setting("secret_key", "SECRET_KEY", text, None, secret=True),
    Setting("allow_sqlite", "ALLOW_SQLITE", flag, False),
    Setting("allow_instance_secret_key", "ALLOW_INSTANCE_SECRET_KEY", flag, False),
    Setting("db_pool_size", "DB_POOL_SIZE", whole(1), 5),
    Setting("statement_timeout", "STATEMENT_TIMEOUT", seconds, 0.0),
    Setting("lock_timeout", "LOCK_TIMEOUT", seconds, 0.0),
    Setting("sqlite_busy_timeout", "SQLITE_BUSY_TIMEOUT", seconds, 30.0),
    Setting("transaction_attempts", "TRANSACTION_ATTEMPTS", whole(1), 5),
    # The contract keeps an Idempotency-Key's first response at least 24 hours.
    Setting("idempotency_ttl", "IDEMPOTENCY_TTL_SECONDS", whole(24 * 3600), 48 * 3600),
    Setting("idempotency_stale", "IDEMPOTENCY_STALE_SECONDS", whole(1), 120),
    Setting("session_hours", "PERMANENT_SESSION_LIFETIME", hours, timedelta(hours=8)),
    Setting("sign_in_max_failures", "SIGN_IN_MAX_FAILURES", whole(1), 5),
    Setting("sign_in_window_minutes", "SIGN_IN_WINDOW_MINUTES", whole(1), 15),
    # argon2-cffi's defaults (RFC 9106's second recommended profile).
    Setting("password_time_cost", "PASSWORD_TIME_COST", whole(1), 3),
    Setting("password_memory_kib", "PASSWORD_MEMORY_KIB", whole(8), 64 * 1024),
    Setting("password_parallelism", "PASSWORD_PARALLELISM", whole(1), 4),
    Setting("proxy_hops", "PROXY_HOPS", whole(0), 0),
    Setting("log_level", "LOG_LEVEL", one_of("debug", "info", "warning", "error", "critical"),
            "info"),
    Setting("log_format", "LOG_FORMAT", one_of("json", "text"), "json"),
)


@dataclass(frozen=True)
class Settings:
    """The values read (by app.config key) and where each came from (by setting name):
    "env", "file" or "default"."""

    values: dict[str, Any]
    sources: dict[str, str]
    file: Path | None


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Every setting from `environ` (os.environ), the TOML file it names, or its default; a
    value napflow cannot use raises ConfigError. An empty variable counts as not set."""
    environ = os.environ if environ is None else environ
    path, in_file = _read_file(environ.get(FILE_VARIABLE, ""))
    values, sources = {}, {}
    for setting in SETTINGS:
        given = environ.get(setting.variable, "")
        if given != "":
            values[setting.key] = _parse(setting, given, setting.variable)
            sources[setting.name] = "env"
        elif setting.name in in_file:
            values[setting.key] = _parse(setting, _as_text(in_file[setting.name]),
                                         f"{setting.name} in {path}")
            sources[setting.name] = "file"
        else:
            values[setting.key] = setting.default
            sources[setting.name] = "default"
    # argon2 needs 8 KiB per lane: a smaller cost fails at the first sign-in, not here.
    if values["PASSWORD_MEMORY_KIB"] < 8 * values["PASSWORD_PARALLELISM"]:
        raise ConfigError(f"NAPFLOW_PASSWORD_MEMORY_KIB must be at least 8 x "
                          f"NAPFLOW_PASSWORD_PARALLELISM ({8 * values['PASSWORD_PARALLELISM']})"
                          f", got {values['PASSWORD_MEMORY_KIB']}")
    return Settings(values, sources, path)


def _parse(setting: Setting, given: str, where: str) -> Any:
    try:
        return setting.parse(given)
    except ValueError as err:
        got = "(hidden)" if setting.secret else repr(given)
        raise ConfigError(f"{where} {err}, got {got}") from None


def _as_text(value: Any) -> str:
    """A TOML value as a variable would carry it, so that both are read by one parser
    (`5` and `"5"` alike; a table or a list is refused by the parser)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value if isinstance(value, str) else str(value)


def _read_file(name: str) -> tuple[Path | None, dict[str, Any]]:
    if not name:
        return None, {}
    path = Path(name)
    try:
        with path.open("rb") as file:
            found = tomllib.load(file)
    except OSError as err:
        raise ConfigError(f"{FILE_VARIABLE} names {path}, which cannot be read "
                          f"({err.strerror})") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as err:
        raise ConfigError(f"{FILE_VARIABLE} names {path}, which is not TOML: {err}") from None
    known = {setting.name for setting in SETTINGS}
    unknown = sorted(set(found) - known)
    if unknown:
        raise ConfigError(f"{path}: no setting is called {', '.join(unknown)} (the keys are "
                          "the variables' names without NAPFLOW_, in lower case)")
    return path, found


def is_sqlite(database_url: str | None) -> bool:
    return database_url is None or make_url(database_url).get_backend_name() == "sqlite"


def production_refusal(config: Mapping[str, Any], secret_key_made: bool) -> str | None:
    """Why napflow must not serve with this configuration, in one line; None when it may.

    Only in production (NAPFLOW_ENV=production): there, several hosts share one database,
    so a key made in one host's instance folder would reject the sessions another host
    signed, and an SQLite file on one host is no database for several."""
    if config["ENVIRONMENT"] != "production":
        return None
    refusing = "refusing to start in production (NAPFLOW_ENV=production): "
    if secret_key_made and not config["ALLOW_INSTANCE_SECRET_KEY"]:
        return (refusing + "NAPFLOW_SECRET_KEY is not set, and the key made in the instance "
                "folder is not shared by other hosts; set NAPFLOW_SECRET_KEY (the same on every "
                "host), or NAPFLOW_ALLOW_INSTANCE_SECRET_KEY=1 to serve from this host alone")
    if not secret_key_made and len(config["SECRET_KEY"]) < MIN_SECRET_KEY_LENGTH:
        return (refusing + f"NAPFLOW_SECRET_KEY is shorter than {MIN_SECRET_KEY_LENGTH} "
                "characters; make one with `python3 -c 'import secrets; "
                "print(secrets.token_hex(32))'`")
    if is_sqlite(config["DATABASE_URL"]) and not config["ALLOW_SQLITE"]:
        return (refusing + "the database is SQLite, which serves one host only; set "
                "NAPFLOW_DATABASE_URL to PostgreSQL, or NAPFLOW_ALLOW_SQLITE=1 to serve from "
                "SQLite anyway")
    return None


class Config:
    """Flask's settings that are napflow's design, not an operator's choice."""

    # The session cookie is HttpOnly and SameSite=Lax; Secure is decided per request (web/),
    # set whenever the request came over HTTPS (behind a proxy: NAPFLOW_PROXY_HOPS).
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
