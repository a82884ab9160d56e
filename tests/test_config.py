"""Configuration: NAPFLOW_* variables over a TOML file over defaults, read when the app is
made; one-line errors; production refuses unsafe settings; `config show` masks secrets."""

import os
import re
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from app import create_app, serving_refusal
from config import SETTINGS, ConfigError, load_settings, shown

ROOT = Path(__file__).resolve().parents[1]
STRONG_KEY = "k" * 64


@pytest.fixture
def clean_env(monkeypatch):
    """No NAPFLOW_* setting from the shell running the tests."""
    for setting in SETTINGS:
        monkeypatch.delenv(setting.variable, raising=False)
    monkeypatch.delenv("NAPFLOW_CONFIG_FILE", raising=False)
    return monkeypatch


@pytest.fixture
def made_apps():
    """make(test_config) builds an app on an in-memory database; disposed afterwards."""
    apps = []

    def make(**config):
        apps.append(create_app({"DATABASE_URL": "sqlite://", "TESTING": True, **config}))
        return apps[-1]
    yield make
    for app in apps:
        app.extensions["napflow.db"].engine.dispose()


def write_toml(tmp_path, text: str) -> str:
    path = tmp_path / "napflow.toml"
    path.write_text(text)
    return str(path)


# -- reading -------------------------------------------------------------------------------
def test_every_setting_has_its_default_when_nothing_is_set():
    settings = load_settings({})
    assert set(settings.sources.values()) == {"default"} and settings.file is None
    assert settings.values == {setting.key: setting.default for setting in SETTINGS}
    # the names and defaults napflow had before settings were a table
    assert settings.values["TRANSACTION_ATTEMPTS"] == 5
    assert settings.values["IDEMPOTENCY_TTL_SECONDS"] == 172800
    assert settings.values["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=8)
    assert settings.values["DATABASE_URL"] is None and settings.values["SECRET_KEY"] is None


def test_the_environment_wins_over_the_file_which_wins_over_the_default(tmp_path):
    path = write_toml(tmp_path, 'transaction_attempts = 7\nsession_hours = "2.5"\n'
                                'log_format = "text"\nallow_sqlite = true\n')
    settings = load_settings({"NAPFLOW_CONFIG_FILE": path, "NAPFLOW_TRANSACTION_ATTEMPTS": "9",
                              "NAPFLOW_PROXY_HOPS": "1"})
    values, sources = settings.values, settings.sources
    assert (values["TRANSACTION_ATTEMPTS"], sources["transaction_attempts"]) == (9, "env")
    assert (values["PROXY_HOPS"], sources["proxy_hops"]) == (1, "env")
    assert (values["PERMANENT_SESSION_LIFETIME"], sources["session_hours"]) == (
        timedelta(hours=2.5), "file")
    assert (values["LOG_FORMAT"], values["ALLOW_SQLITE"]) == ("text", True)
    assert (values["SIGN_IN_MAX_FAILURES"], sources["sign_in_max_failures"]) == (5, "default")
    assert settings.file == Path(path)


def test_an_empty_variable_counts_as_not_set(tmp_path):
    path = write_toml(tmp_path, "transaction_attempts = 7\n")
    settings = load_settings({"NAPFLOW_CONFIG_FILE": path, "NAPFLOW_TRANSACTION_ATTEMPTS": ""})
    assert settings.values["TRANSACTION_ATTEMPTS"] == 7


def test_a_variable_set_after_import_counts_when_the_app_is_made(clean_env, made_apps):
    clean_env.setenv("NAPFLOW_TRANSACTION_ATTEMPTS", "3")
    clean_env.setenv("NAPFLOW_SESSION_HOURS", "1")
    app = made_apps()
    assert app.config["TRANSACTION_ATTEMPTS"] == 3
    assert app.config["PERMANENT_SESSION_LIFETIME"] == timedelta(hours=1)
    clean_env.setenv("NAPFLOW_TRANSACTION_ATTEMPTS", "4")
    assert made_apps().config["TRANSACTION_ATTEMPTS"] == 4


@pytest.mark.parametrize("variable, value, message", [
    ("NAPFLOW_TRANSACTION_ATTEMPTS", "x",
     "NAPFLOW_TRANSACTION_ATTEMPTS must be a whole number, got 'x'"),
    ("NAPFLOW_TRANSACTION_ATTEMPTS", "0",
     "NAPFLOW_TRANSACTION_ATTEMPTS must be at least 1, got '0'"),
    ("NAPFLOW_IDEMPOTENCY_TTL", "3600",
     "NAPFLOW_IDEMPOTENCY_TTL must be at least 86400, got '3600'"),
    ("NAPFLOW_STATEMENT_TIMEOUT", "-1",
     "NAPFLOW_STATEMENT_TIMEOUT must be a number of seconds 0 or more, got '-1'"),
    ("NAPFLOW_SESSION_HOURS", "nan",
     "NAPFLOW_SESSION_HOURS must be a number of hours above 0 (at most a year), got 'nan'"),
    ("NAPFLOW_ALLOW_SQLITE", "maybe", "NAPFLOW_ALLOW_SQLITE must be 1 or 0 (true or false), "
                                      "got 'maybe'"),
    ("NAPFLOW_ENV", "prod", "NAPFLOW_ENV must be one of development, production, got 'prod'"),
    ("NAPFLOW_LOG_LEVEL", "loud", "NAPFLOW_LOG_LEVEL must be one of debug, info, warning, "
                                  "error, critical, got 'loud'"),
    # a secret is never repeated, even in an error
    ("NAPFLOW_DATABASE_URL", "postgres:/user:pw@host", "NAPFLOW_DATABASE_URL must be an "
     "SQLAlchemy URL (dialect+driver://user@host/name), got (hidden)"),
    ("NAPFLOW_PASSWORD_MEMORY_KIB", "16", "NAPFLOW_PASSWORD_MEMORY_KIB must be at least 8 x "
     "NAPFLOW_PASSWORD_PARALLELISM (32), got 16"),
])
def test_a_bad_value_is_one_line_naming_the_variable(variable, value, message):
    with pytest.raises(ConfigError) as raised:
        load_settings({variable: value})
    assert str(raised.value) == message


@pytest.mark.parametrize("text, message", [
    ("transaction_attempts = 1.5\n", "transaction_attempts in {path} must be a whole number, "
                                     "got '1.5'"),
    ("proxy_hops = true\n", "proxy_hops in {path} must be a whole number, got 'true'"),
    ("databse_url = 'sqlite://'\n", "{path}: no setting is called databse_url (the keys are "
                                    "the variables' names without NAPFLOW_, in lower case)"),
    ("transaction_attempts = \n", "NAPFLOW_CONFIG_FILE names {path}, which is not TOML: "
                                  "Invalid value (at line 1, column 24)"),
])
def test_a_bad_file_is_one_line_naming_the_file_and_key(tmp_path, text, message):
    path = write_toml(tmp_path, text)
    with pytest.raises(ConfigError) as raised:
        load_settings({"NAPFLOW_CONFIG_FILE": path})
    assert str(raised.value) == message.format(path=path)


def test_a_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"^NAPFLOW_CONFIG_FILE names .*nowhere.toml, which "
                                          r"cannot be read \(No such file or directory\)$"):
        load_settings({"NAPFLOW_CONFIG_FILE": str(tmp_path / "nowhere.toml")})


def napflow_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess:
    """The console script as an operator runs it, in a folder of its own (its instance)."""
    clean = {name: value for name, value in os.environ.items()
             if not name.startswith("NAPFLOW_")}
    clean["PYTHONPATH"] = str(ROOT)
    return subprocess.run([sys.executable, "-c", "from cli.commands import main; main()",
                           *args], env={**clean, **env}, cwd=cwd, capture_output=True,
                          text=True, timeout=120)


def test_the_command_line_says_a_bad_setting_in_one_line(tmp_path):
    result = napflow_cli("config", "show", env={"NAPFLOW_TRANSACTION_ATTEMPTS": "x"},
                         cwd=tmp_path)
    assert result.returncode == 1 and result.stdout == ""
    assert result.stderr == ("napflow: NAPFLOW_TRANSACTION_ATTEMPTS must be a whole number, "
                             "got 'x'\n")


# -- production ----------------------------------------------------------------------------
SQLITE_REFUSED = ("refusing to start in production (NAPFLOW_ENV=production): the database is "
                  "SQLite, which serves one host only; set NAPFLOW_DATABASE_URL to PostgreSQL, "
                  "or NAPFLOW_ALLOW_SQLITE=1 to serve from SQLite anyway")
KEY_REFUSED = ("refusing to start in production (NAPFLOW_ENV=production): NAPFLOW_SECRET_KEY "
               "is not set, and the key made in the instance folder is not shared by other "
               "hosts; set NAPFLOW_SECRET_KEY (the same on every host), or "
               "NAPFLOW_ALLOW_INSTANCE_SECRET_KEY=1 to serve from this host alone")
SHORT_KEY_REFUSED = ("refusing to start in production (NAPFLOW_ENV=production): "
                     "NAPFLOW_SECRET_KEY is shorter than 32 characters; make one with "
                     "`python3 -c 'import secrets; print(secrets.token_hex(32))'`")
POSTGRES = "postgresql+psycopg://napflow@db.example.org/napflow"


@pytest.mark.parametrize("config, refusal", [
    ({"ENVIRONMENT": "development", "SECRET_KEY": None}, None),
    ({"ENVIRONMENT": "production", "SECRET_KEY": None, "DATABASE_URL": POSTGRES}, KEY_REFUSED),
    ({"ENVIRONMENT": "production", "SECRET_KEY": "napflow-tests-only",
      "DATABASE_URL": POSTGRES}, SHORT_KEY_REFUSED),
    ({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY}, SQLITE_REFUSED),
    ({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": "sqlite:///x.db"},
     SQLITE_REFUSED),
    ({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY, "DATABASE_URL": POSTGRES}, None),
    # told explicitly
    ({"ENVIRONMENT": "production", "SECRET_KEY": None, "ALLOW_INSTANCE_SECRET_KEY": True,
      "ALLOW_SQLITE": True}, None),
    ({"ENVIRONMENT": "production", "SECRET_KEY": STRONG_KEY, "ALLOW_SQLITE": True}, None),
])
def test_production_refuses_the_instance_key_a_short_key_and_sqlite(clean_env, config,
                                                                    refusal):
    app = create_app({"TESTING": True, "DATABASE_URL": None, **config})
    try:
        assert serving_refusal(app) == refusal
    finally:
        app.extensions["napflow.db"].engine.dispose()


def test_serve_refuses_in_one_line_before_starting(clean_env, made_apps):
    clean_env.setenv("NAPFLOW_ENV", "production")
    clean_env.setenv("NAPFLOW_SECRET_KEY", STRONG_KEY)
    app = made_apps(DATABASE_URL=None)
    result = app.test_cli_runner().invoke(args=["serve", "--port", "1"])
    assert result.exit_code == 1
    assert result.output == f"Error: {SQLITE_REFUSED}\n"


def test_the_wsgi_app_under_gunicorn_refuses_in_one_line(tmp_path):
    """gunicorn stops (its "application failed to load") instead of restarting workers."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("NAPFLOW_")}
    env.update(NAPFLOW_ENV="production", PYTHONPATH=str(ROOT),
               NAPFLOW_DATABASE_URL=f"sqlite:///{tmp_path}/napflow.db")
    gunicorn = Path(sys.executable).with_name("gunicorn")
    result = subprocess.run([str(gunicorn), "--bind", "127.0.0.1:0", "app.wsgi:app"],
                            env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode != 0
    ours = [line for line in result.stderr.splitlines() if line.startswith("napflow:")]
    assert ours == [f"napflow: {KEY_REFUSED}"], result.stderr
    assert "Traceback" not in result.stderr


def test_make_run_serves_the_demo_with_nothing_set(clean_env, made_apps):
    """Development is the default: SQLite and the instance key are fine there."""
    app = made_apps(DATABASE_URL=None, SECRET_KEY=None)
    assert app.config["ENVIRONMENT"] == "development" and serving_refusal(app) is None


# -- config show ---------------------------------------------------------------------------
def test_config_show_masks_secrets_and_says_where_each_value_came_from(tmp_path):
    path = write_toml(tmp_path, 'secret_key = "file-secret-0123456789-0123456789-0123"\n'
                                "db_pool_size = 12\n")
    result = napflow_cli("config", "show", cwd=tmp_path, env={
        "NAPFLOW_CONFIG_FILE": path, "NAPFLOW_ENV": "production",
        "NAPFLOW_DATABASE_URL": "postgresql+psycopg://napflow:pa55word@db.example.org/napflow"
                                "?sslmode=require&password=other-pa55",
        "NAPFLOW_STATEMENT_TIMEOUT": "2.5"})
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "pa55" not in out and "file-secret" not in out
    rows = {line.split()[0]: line for line in out.splitlines()}
    assert re.fullmatch(r"NAPFLOW_DATABASE_URL +postgresql\+psycopg://napflow:\*\*\*@"
                        r"db\.example\.org/napflow\?sslmode=require&password=\*\*\* +\(env\)",
                        rows["NAPFLOW_DATABASE_URL"])
    assert re.fullmatch(r"NAPFLOW_SECRET_KEY +\*\*\* \(38 characters\) +\(file\)",
                        rows["NAPFLOW_SECRET_KEY"])
    assert re.fullmatch(r"NAPFLOW_DB_POOL_SIZE +12 +\(file\)", rows["NAPFLOW_DB_POOL_SIZE"])
    assert re.fullmatch(r"NAPFLOW_STATEMENT_TIMEOUT +2\.5 +\(env\)",
                        rows["NAPFLOW_STATEMENT_TIMEOUT"])
    assert re.fullmatch(r"NAPFLOW_SESSION_HOURS +8 +\(default\)", rows["NAPFLOW_SESSION_HOURS"])
    assert re.fullmatch(rf"NAPFLOW_CONFIG_FILE +{re.escape(path)}", rows["NAPFLOW_CONFIG_FILE"])
    assert set(rows) == {s.variable for s in SETTINGS} | {"NAPFLOW_CONFIG_FILE", "serve:"}
    assert rows["serve:"] == "serve: would start"


def test_config_show_names_the_instance_key_and_database_without_showing_the_key(tmp_path):
    result = napflow_cli("config", "show", cwd=tmp_path, env={"NAPFLOW_ENV": "production"})
    assert result.returncode == 0, result.stderr
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    key_file = Path(rows["NAPFLOW_SECRET_KEY"].split("kept in ")[1].split(")")[0])
    assert key_file.read_text().strip() not in result.stdout
    assert "(an SQLite file in the instance folder)" in rows["NAPFLOW_DATABASE_URL"]
    assert rows["serve:"] == f"serve: refuses: {KEY_REFUSED}"


# -- README --------------------------------------------------------------------------------
def test_the_readme_lists_every_setting_with_its_default():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("\n## Configuration\n")[1].split("\n## ")[0]
    rows = {match[0]: match[1] for match in
            re.findall(r"^\| `(NAPFLOW_[A-Z_]+)` \| ([^|]*) \|", section, re.MULTILINE)}
    assert set(rows) == {setting.variable for setting in SETTINGS} | {"NAPFLOW_CONFIG_FILE"}
    for setting in SETTINGS:
        if setting.default is not None:  # None: a default the row explains in words
            assert rows[setting.variable].startswith(f"`{shown(setting.default)}`"), setting
