"""The service's users and their API keys, kept in the books' database.

Keys are ``sfk_`` and 43 characters of :func:`secrets.token_urlsafe` (256 random bits),
shown once by ``sovfund users add``; the books keep only their SHA-256, which is
enough for a key of that entropy (a salted slow hash guards guessable passwords, not
random keys) and lets a request's key be found by its hash in one indexed lookup.
No web framework here: ``sovfund users add`` loads none.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import re
import secrets
import threading
from dataclasses import dataclass
from typing import Any, Literal, get_args

from sqlalchemy import Engine, insert, select

from sovfund.books import schema
from sovfund.books.store import reading, writing
from sovfund.errors import BooksError

__all__ = ["KEY_PREFIX", "ROLES", "Role", "User", "Users", "hash_key", "new_key"]

Role = Literal["gp_admin", "lp", "auditor", "analyst"]
ROLES: tuple[Role, ...] = get_args(Role)
KEY_PREFIX = "sfk_"
NAME = re.compile(r"[a-z0-9][a-z0-9_.-]{0,39}")


def new_key() -> str:
    """A new API key: 256 random bits, URL-safe."""
    return KEY_PREFIX + secrets.token_urlsafe(32)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class User:
    """Who is asking: a name, a role and, for an LP, the partner it reads."""

    name: str
    role: Role
    partner: str | None
    key_hash: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "role": self.role, "partner": self.partner}


class Users:
    """The service's users, in the books' database; lookups by key hash are cached
    (users are only ever added, so a cached answer stays right)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._cache: dict[str, User] = {}
        self._lock = threading.Lock()

    def add(self, name: str, role: str, partner: str | None = None) -> tuple[User, str]:
        """A new user and its key (the only time the key is seen)."""
        if not NAME.fullmatch(name):
            raise BooksError(
                f"user name {name!r}: expected 1 to 40 lowercase letters, digits, '_', '.'"
                " or '-', starting with a letter or digit"
            )
        if role not in ROLES:
            raise BooksError(f"--role: found {role!r}; expected one of {', '.join(ROLES)}")
        if (role == "lp") != (partner is not None):
            raise BooksError(
                "--partner: an lp user needs the partner it reads; expected --partner ID"
                if role == "lp"
                else f"--partner: found {partner!r}; expected it only with --role lp"
            )
        key = new_key()
        user = User(name, role, partner, hash_key(key))
        with writing(self.engine) as connection:
            if connection.execute(
                select(schema.service_user.c.name).where(schema.service_user.c.name == name)
            ).first():
                raise BooksError(f"user {name!r} exists already; expected a new name")
            if (
                partner is not None
                and not connection.execute(
                    select(schema.partner.c.id).where(schema.partner.c.id == partner)
                ).first()
            ):
                raise BooksError(f"--partner: no partner {partner!r} in these books")
            connection.execute(
                insert(schema.service_user).values(
                    name=name,
                    role=role,
                    partner_id=partner,
                    key_hash=user.key_hash,
                    created_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
                )
            )
        return user, key

    def by_key(self, key: str) -> User | None:
        """The user holding ``key``, or None."""
        digest = hash_key(key)
        with self._lock:
            cached = self._cache.get(digest)
        if cached is not None:
            return cached
        table = schema.service_user
        with reading(self.engine) as connection:
            row = connection.execute(select(table).where(table.c.key_hash == digest)).first()
        if row is None:
            return None
        user = User(row.name, row.role, row.partner_id, row.key_hash)
        with self._lock:
            self._cache[digest] = user
        return user

    def by_name(self, name: str, key_hash: str) -> User | None:
        """The user ``name`` if its key still hashes to ``key_hash`` (page sessions)."""
        with self._lock:
            cached = self._cache.get(key_hash)
        if cached is not None:
            return cached if hmac.compare_digest(cached.name, name) else None
        table = schema.service_user
        with reading(self.engine) as connection:
            row = connection.execute(select(table).where(table.c.key_hash == key_hash)).first()
        if row is None or row.name != name:
            return None
        user = User(row.name, row.role, row.partner_id, row.key_hash)
        with self._lock:
            self._cache[key_hash] = user
        return user

    def all(self) -> list[dict[str, Any]]:
        table = schema.service_user
        with reading(self.engine) as connection:
            rows = connection.execute(select(table).order_by(table.c.name)).all()
        return [
            {"name": r.name, "role": r.role, "partner": r.partner_id, "created_at": r.created_at}
            for r in rows
        ]
