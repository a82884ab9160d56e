"""Loading the demo (`napflow demo`): users and plans once, fresh tokens on every run."""

import os
import re
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from demo.data import ASEAN, PLANS, demo_users
from models import Plan, User
from workflow import service, users
from workflow.countries import is_iso3


@dataclass
class DemoToken:
    username: str
    grants: list[str]
    token: str

    @property
    def variable(self) -> str:
        return "NAPFLOW_TOKEN_" + re.sub(r"[^A-Z0-9]", "_", self.username.upper())


@dataclass
class Loaded:
    tokens: list[DemoToken] = field(default_factory=list)
    new_users: int = 0
    new_plans: int = 0
    plans: int = 0


def load(session: Session, actor: str) -> Loaded:
    """Create what is missing of the demo, and a new token for every demo user."""
    missing = [code for code in ASEAN if not is_iso3(code)]
    if missing:  # the demo promises real ISO codes; fail loudly if the ISO list disagrees
        raise RuntimeError(f"not ISO 3166-1 alpha-3 codes: {missing}")
    loaded = Loaded()
    for username, grants in demo_users():
        user = session.scalars(select(User).where(User.username == username)).one_or_none()
        if user is None:
            user, token = users.add_user(session, actor, username, grants)
            loaded.new_users += 1
        else:  # only the hash of earlier tokens is stored: the one way to show one is anew
            token = users.issue_token(session, actor, user)
        loaded.tokens.append(DemoToken(username, user.grant_strings(), token))
    for spec in PLANS:
        exists = session.scalar(select(Plan.id).where(Plan.country == spec["country"],
                                                      Plan.title == spec["title"]))
        if exists is None:
            _make_plan(session, spec)
            loaded.new_plans += 1
        loaded.plans += 1
    return loaded


def _user(session: Session, country: str, who: str) -> User:
    name = who if who == "committee" else f"{country.lower()}-{who}"
    return users.get_user(session, name)


def _make_plan(session: Session, spec: dict[str, Any]) -> int:
    country = spec["country"]
    plan = service.create_plan(session, _user(session, country, "drafter"), country=country,
                               title=spec["title"], content=spec["content"])
    for who, operation, args in spec.get("steps", []):
        actor = _user(session, country, who)
        if operation == "assign":
            reviewer = _user(session, country, args["username"]).username
            service.assign_reviewer(session, actor, plan.id, username=reviewer)
        elif operation == "review":
            service.record_review(session, actor, plan.id, **args)
        elif operation == "edit":
            service.edit_plan(session, actor, plan.id, **args)
        else:
            service.fire(session, actor, plan.id, operation, **args)
    return plan.id


def tokens_table(tokens: list[DemoToken]) -> str:
    rows = [("USERNAME", "GRANTS", "TOKEN")]
    rows += [(t.username, ", ".join(t.grants), t.token) for t in tokens]
    widths = [max(len(row[i]) for row in rows) for i in range(2)]
    return "\n".join(f"{a:<{widths[0]}}  {b:<{widths[1]}}  {c}" for a, b, c in rows)


def write_tokens_file(path: Path, tokens: list[DemoToken]) -> None:
    """Shell `export` lines, readable by the owner only, replaced whole (never half-written)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    lines = ["# napflow demo tokens: `source` this file; `napflow demo` writes new ones.\n"]
    lines += [f"export {t.variable}={shlex.quote(t.token)}\n" for t in tokens]
    partial = path.with_name(path.name + ".partial")
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as out:
        out.writelines(lines)
    os.replace(partial, path)
