"""Password hashing (Argon2id) and the rules a new password must meet."""

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from workflow.errors import ValidationFailed

# NIST SP 800-63B: at least 8 characters for a password the user chose; long passphrases
# welcome. The upper bound only keeps a request from making the server hash megabytes.
MIN_LENGTH, MAX_LENGTH = 10, 1024


@dataclass(frozen=True)
class Hashing:
    """Argon2id's cost parameters; the app's configuration gives them (config.py)."""

    time_cost: int
    memory_kib: int
    parallelism: int

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "Hashing":
        return cls(config["PASSWORD_TIME_COST"], config["PASSWORD_MEMORY_KIB"],
                   config["PASSWORD_PARALLELISM"])

    @property
    def hasher(self) -> PasswordHasher:
        return _hasher(self)

    def hash(self, password: str) -> str:
        return self.hasher.hash(password)

    def verify(self, stored: str | None, password: str) -> bool:
        """True when `password` matches `stored`; with no hash stored (an unknown user, or one
        without a password) a hash is still checked, so the answer takes as long either way."""
        try:
            return self.hasher.verify(stored or _decoy(self), password)
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, stored: str) -> bool:
        return self.hasher.check_needs_rehash(stored)


@cache
def _hasher(params: Hashing) -> PasswordHasher:
    return PasswordHasher(time_cost=params.time_cost, memory_cost=params.memory_kib,
                          parallelism=params.parallelism)


@cache
def _decoy(params: Hashing) -> str:
    # A hash of a random-looking string nobody can type as a password of 10+ characters
    # and match; verifying against it costs what verifying a real hash costs.
    return _hasher(params).hash("\x00decoy\x00")


def check_new_password(password: str) -> None:
    """The rules for a password being set (never applied to one being checked at sign-in)."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed({"password": [f"at least {MIN_LENGTH} characters"]})
    if len(password) > MAX_LENGTH:
        raise ValidationFailed({"password": [f"at most {MAX_LENGTH} characters"]})
    if "\x00" in password:
        raise ValidationFailed({"password": ["must not contain NUL characters"]})
