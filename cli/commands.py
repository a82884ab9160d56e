"""The `napflow` command line: schema, demo data, serving, users and the audit log."""

import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from gunicorn.app.base import BaseApplication
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from api.schemas import AuditExportArgs
from cli.db_commands import bring_to_head, db_group, init_db_command
from models import Plan, User
from models.db import write_session
from workflow import users
from workflow.audit import verify_all
from workflow.audit_head import PublishedHead, matches, publish_head
from workflow.audit_scan import PARALLEL_FROM, verify_log
from workflow.audit_search import EXPORT_FORMATS, AuditFilters, export, search
from workflow.errors import NapflowError, ValidationFailed
from workflow.passwords import Hashing

# Who the audit log names for changes made from the command line.
CLI_ACTOR = "cli"


def init_app(app: Flask) -> None:
    from cli.config_commands import config_group

    for command in (init_db_command, db_group, demo_command, serve_command, users_group,
                    audit_group, config_group):
        app.cli.add_command(command)


def main() -> None:
    """Console script `napflow`: the app's commands, as `flask --app app` would show them."""
    from app import create_app
    from config import ConfigError, load_settings

    try:
        load_settings()  # a bad setting is one line here, not a traceback from create_app
    except ConfigError as err:
        sys.exit(f"napflow: {err}")
    FlaskGroup(create_app=create_app, help=__doc__).main(prog_name="napflow")


def _database():
    from runtime.db import database

    return database()


def error_message(err: NapflowError) -> str:
    if isinstance(err, ValidationFailed):
        return "; ".join(f"{field}: {' '.join(msgs)}" for field, msgs in err.errors.items())
    return err.detail


@contextmanager
def transaction() -> Iterator[Session]:
    """One writing transaction; a refusal from the workflow becomes a clean CLI error."""
    try:
        with write_session(_database().sessions) as session:
            yield session
    except NapflowError as err:
        raise click.ClickException(error_message(err)) from None


@contextmanager
def snapshot() -> Iterator[Session]:
    """A read-only session seeing one consistent state of the database throughout.

    SQLite in WAL mode already reads from one snapshot per transaction; PostgreSQL needs
    REPEATABLE READ, else a chain and its stored head could be read before and after a write.
    """
    db = _database()
    with db.sessions() as session:
        if db.engine.dialect.name == "postgresql":
            session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        yield session


# -- schema, demo, server ---------------------------------------------------------------
@click.command("demo")
@click.option("--tokens-file", type=click.Path(dir_okay=False, path_type=Path),
              help="Where to write the tokens as shell exports "
                   "[default: <instance folder>/demo-tokens.env].")
@click.option("--scale", "events", type=click.IntRange(1), metavar="N",
              help="Instead: fill an empty database with a generated log of N audit events "
                   "(193 countries, plans in every state, six years).")
@click.option("--seed", default=1540, show_default=True, help="The generator's seed (--scale).")
@with_appcontext
def demo_command(tokens_file: Path | None, events: int | None, seed: int) -> None:
    """Load demo users and plans (once) and issue fresh tokens for the demo users."""
    from demo import seed as demo

    target = tokens_file or Path(current_app.instance_path) / "demo-tokens.env"
    if events is not None:
        return _scale_demo(events, seed, target)
    with transaction() as session:
        loaded = demo.load(session, CLI_ACTOR, Hashing.from_config(current_app.config))
    demo.write_tokens_file(target, loaded.tokens)
    click.echo(f"demo: {loaded.new_users} users and {loaded.new_plans} plans created "
               f"({len(loaded.tokens)} demo users, {loaded.plans} demo plans in all)")
    click.echo(demo.tokens_table(loaded.tokens))
    click.echo(f"tokens written to {target} (`source {target}`)")
    click.echo(f"pages: sign in at /sign-in as any demo user above (tha-drafter, "
               f"tha-customs, tha-approver, committee...) with the password "
               f"{demo.DEMO_PASSWORD!r} ({loaded.passwords_set} set now; a password set "
               f"otherwise is kept)")


def _scale_demo(events: int, seed: int, target: Path) -> None:
    from demo import scale as demo_scale
    from demo import seed as demo

    bring_to_head()
    db = _database()
    try:
        built = demo_scale.build(db.engine, events, seed)
    except ValueError as err:
        raise click.ClickException(str(err)) from None
    tokens = [demo.DemoToken(name, grants, token)
              for name, (grants, token) in built.tokens.items()]
    demo.write_tokens_file(target, tokens)
    states = ", ".join(f"{state} {n:,}" for state, n in sorted(built.by_state.items()))
    seconds = built.seconds
    click.echo(f"demo --scale: {built.events:,} events, {built.plans:,} plans ({states}), "
               f"{built.users:,} users in {sum(seconds.values()):.1f} s (walk "
               f"{seconds['walk']:.1f} s, hash {seconds['hash']:.1f} s, insert "
               f"{seconds['insert']:.1f} s)")
    click.echo(demo.tokens_table([t for t in tokens if t.username in SCALE_SAMPLE]))
    click.echo(f"tokens of all {len(tokens):,} users written to {target} (`source {target}`)")


# The generated users whose tokens `demo --scale` prints (the rest are in the tokens file).
SCALE_SAMPLE = ("tha-drafter", "tha-customs", "tha-viewer", "committee", "auditor", "admin")


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=click.IntRange(1, 65535))
@click.option("--workers", default=2, show_default=True, type=click.IntRange(1, 64))
@with_appcontext
def serve_command(host: str, port: int, workers: int) -> None:
    """Serve the API with gunicorn (the app `app.wsgi:app` is), bringing the schema to head
    first (as `napflow db upgrade`)."""
    from app import serving_refusal
    from runtime.logs import gunicorn_logger_class

    refusal = serving_refusal(current_app)
    if refusal:
        raise click.ClickException(refusal)
    bring_to_head()
    db = _database()
    # Workers are forked from this process: they must not inherit its pooled connections.
    db.engine.dispose()
    click.echo(f"napflow on http://{host}:{port} ({workers} workers, "
               f"{current_app.config['ENVIRONMENT']})")
    # No gunicorn access log: napflow writes its own line per request (runtime/logs.py).
    GunicornServer({"bind": f"{host}:{port}", "workers": workers, "logger_class":
                    gunicorn_logger_class(current_app.config["LOG_FORMAT"])}).run()


class GunicornServer(BaseApplication):
    """gunicorn run from Python; each worker builds its app as `app.wsgi:app` does."""

    def __init__(self, options: dict[str, Any]):
        self.options = options
        super().__init__()

    def load_config(self) -> None:
        for key, value in self.options.items():
            self.cfg.set(key, value)
        # gunicorn >= 25 opens a control socket at one fixed path per user; two napflow
        # servers on one host would fight over it, and napflow does not use it.
        if "control_socket_disable" in self.cfg.settings:
            self.cfg.set("control_socket_disable", True)

    def load(self) -> Flask:
        from app import create_app

        return create_app()


# -- users ---------------------------------------------------------------------------------
@click.group("users")
def users_group() -> None:
    """Manage users, their grants (ROLE or ROLE:ISO3) and their API tokens."""


def _echo_token(token: str, about: str) -> None:
    # The token alone on stdout, so `TOKEN=$(napflow users add ...)` works; the rest on stderr.
    click.echo(about, err=True)
    click.echo(token)


def _prompt_password(name: str) -> str:
    # Asked twice, never echoed, never an argument (it would stay in the shell's history).
    return click.prompt(f"Password for {name} (to sign in on the pages)", hide_input=True,
                        confirmation_prompt=True, err=True)


@users_group.command("add")
@click.argument("name")
@click.option("--grant", "grants", multiple=True, metavar="ROLE[:ISO3]",
              help="A grant; repeat for several.")
@click.option("--expires", metavar="DURATION", help="Token lifetime, as 90d, 12h, 30m or 2w.")
@click.option("--password", "with_password", is_flag=True,
              help="Also ask for a password, to sign in on the pages.")
@with_appcontext
def users_add(name: str, grants: tuple[str, ...], expires: str | None,
              with_password: bool) -> None:
    """Create user NAME and print its first token (shown this once)."""
    password = _prompt_password(name) if with_password else None
    with transaction() as session:
        user, token = users.add_user(session, CLI_ACTOR, name, list(grants), expires)
        if password is not None:
            users.set_password(session, CLI_ACTOR, name, password,
                               Hashing.from_config(current_app.config))
        held = ", ".join(user.grant_strings()) or "no grants"
    _echo_token(token, f"created {name} ({held}); its token, shown this once:")


@users_group.command("password")
@click.argument("name")
@with_appcontext
def users_password(name: str) -> None:
    """Set or change NAME's password for the pages; NAME's page sessions end."""
    password = _prompt_password(name)
    with transaction() as session:
        users.set_password(session, CLI_ACTOR, name, password,
                           Hashing.from_config(current_app.config))
    click.echo(f"password of {name} set; {name}'s page sessions have ended")


@users_group.command("grant")
@click.argument("name")
@click.argument("grant", metavar="ROLE[:ISO3]")
@with_appcontext
def users_grant(name: str, grant: str) -> None:
    """Give user NAME a grant."""
    with transaction() as session:
        held = users.grant(session, CLI_ACTOR, name, grant).grant_strings()
    click.echo(f"{name}: {', '.join(held)}")


@users_group.command("revoke")
@click.argument("name")
@click.argument("grant", metavar="ROLE[:ISO3]")
@with_appcontext
def users_revoke(name: str, grant: str) -> None:
    """Take a grant from user NAME."""
    with transaction() as session:
        held = users.revoke(session, CLI_ACTOR, name, grant).grant_strings()
    click.echo(f"{name}: {', '.join(held) or 'no grants'}")


@users_group.command("list")
@with_appcontext
def users_list() -> None:
    """List every user and its grants."""
    with snapshot() as session:
        rows = [(u.username, ", ".join(u.grant_strings()) or "-")
                for u in session.scalars(select(User).order_by(User.username))]
    width = max([len("USERNAME"), *(len(name) for name, _ in rows)])
    click.echo(f"{'USERNAME':<{width}}  GRANTS")
    for name, grants in rows:
        click.echo(f"{name:<{width}}  {grants}")


@users_group.command("token")
@click.argument("name")
@click.option("--expires", metavar="DURATION", help="Token lifetime, as 90d, 12h, 30m or 2w.")
@click.option("--revoke", is_flag=True, help="Revoke all of NAME's tokens instead.")
@with_appcontext
def users_token(name: str, expires: str | None, revoke: bool) -> None:
    """Issue a new token for NAME (shown this once), or revoke all of its tokens."""
    if revoke and expires:
        raise click.UsageError("--expires and --revoke exclude each other")
    with transaction() as session:
        if revoke:
            count = users.revoke_tokens(session, CLI_ACTOR, name)
        else:
            token = users.issue_token(session, CLI_ACTOR, users.get_user(session, name),
                                      expires)
    if revoke:
        click.echo(f"revoked {count} token(s) of {name}")
    else:
        until = f", expires in {expires}" if expires else ""
        _echo_token(token, f"new token for {name}{until}, shown this once:")


# -- audit ---------------------------------------------------------------------------------
@click.group("audit")
def audit_group() -> None:
    """Verify and export the hash-chained audit log."""


@audit_group.command("head")
@with_appcontext
def audit_head() -> None:
    """Print a digest over every chain's head, to keep outside napflow and check later with
    `napflow audit verify --against DIGEST`."""
    with transaction() as session:
        click.echo(str(publish_head(session)))


def _published(_ctx, _param, value: str | None) -> PublishedHead | None:
    try:
        return None if value is None else PublishedHead.parse(value)
    except ValueError as err:
        raise click.BadParameter(str(err)) from None


@audit_group.command("verify")
@click.option("--plan", "plan_id", type=int, help="Verify only this plan's chain.")
@click.option("--against", "published", metavar="DIGEST", callback=_published,
              help="Also check the log against a digest printed earlier by `audit head`.")
@click.option("--workers", type=click.IntRange(1, 64),
              help="Processes sharing the scan [default: one per core from "
                   f"{PARALLEL_FROM:,} events on].")
@with_appcontext
def audit_verify(plan_id: int | None, published: PublishedHead | None,
                 workers: int | None) -> None:
    """Re-check every chain; exit 1 and name the first bad event if one is broken."""
    chains = events = 0
    started = time.perf_counter()
    with snapshot() as session:
        if plan_id is not None and session.get(Plan, plan_id) is None:
            raise click.BadParameter(f"no plan {plan_id}", param_hint="--plan")
        reports = (verify_all(session, plan_id) if plan_id is not None
                   else verify_log(session, workers))
        for report in reports:
            if not report.valid:
                chain = ("the system chain (users, grants, tokens)" if report.plan_id is None
                         else f"plan {report.plan_id}")
                click.echo(f"audit log BROKEN: {chain}, seq {report.first_invalid_seq}: "
                           f"{report.problem}")
                sys.exit(1)
            chains, events = chains + 1, events + report.events
        if published is not None and not matches(session, published):
            click.echo(f"audit log BROKEN: the chains up to event {published.watermark} no "
                       "longer match the published head: history was rewritten or removed")
            sys.exit(1)
    seconds = time.perf_counter() - started
    against = f", and it matches {published}" if published else ""
    click.echo(f"audit log intact: {chains} chain(s), {events} event(s) verified{against} "
               f"in {seconds:.2f} s ({events / max(seconds, 1e-9):,.0f} events/s)")


def _export_filters(options: dict[str, str | None]) -> AuditFilters:
    """The export's options, checked by the rules GET /audit/export applies to its query."""
    given = {name: text for name, text in options.items() if text is not None}
    try:
        return AuditFilters.of(AuditExportArgs().load(given))
    except ValidationError as err:
        raise click.UsageError("; ".join(
            f"--{name.replace('_', '-')}: {' '.join(msgs)}"
            for name, msgs in err.normalized_messages().items())) from None


@audit_group.command("export")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl",
              show_default=True)
@click.option("--country", metavar="ISO3", help="Only events of this country's plans.")
@click.option("--plan", metavar="ID", help="Only this plan's events.")
@click.option("--actor", help="Only events by this user (`cli` for the command line).")
@click.option("--action", help="Only this action (a trigger, `create`, `edit`, `review`...).")
@click.option("--from-state", "from_state", metavar="STATE")
@click.option("--to-state", "to_state", metavar="STATE")
@click.option("--since", metavar="TIME", help="At or after this time (ISO 8601 with offset).")
@click.option("--until", metavar="TIME", help="Before this time (ISO 8601 with offset).")
@with_appcontext
def audit_export(fmt: str, **options: str | None) -> None:
    """Write the audit log, every field, oldest first, to stdout: every event, or those the
    filters select (as GET /audit/export does, seeing everything)."""
    events = export(_database().sessions, search(None, _export_filters(options)))
    for line in EXPORT_FORMATS[fmt](events):
        sys.stdout.write(line)
    sys.stdout.flush()
