"""What the app holds while it runs: settings, the books, users, sessions, jobs."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import insert

from sovfund.books import schema
from sovfund.books.store import connect, writing
from sovfund.service.auth import RateLimiter
from sovfund.service.jobs import Jobs
from sovfund.service.reader import Reader
from sovfund.service.sessions import Sessions
from sovfund.service.settings import Settings
from sovfund.service.users import User, Users

__all__ = ["Service"]


@dataclass
class Service:
    settings: Settings
    reader: Reader
    users: Users
    sessions: Sessions
    limiter: RateLimiter
    jobs: Jobs

    @classmethod
    def of(cls, settings: Settings) -> Service:
        engine, read_engine = connect(settings.books), connect(settings.books, pooled=True)
        users = Users(read_engine)
        return cls(
            settings=settings,
            reader=Reader(engine, read_engine),
            users=users,
            sessions=Sessions(settings, users),
            limiter=RateLimiter(settings.rate_per_second, settings.rate_burst),
            jobs=Jobs(settings),
        )

    def audit(self, user: User, method: str, path: str, key: str | None, status: int) -> None:
        """Record a write asked of the service (append-only, like the books' audit)."""
        with writing(self.reader.engine) as connection:
            connection.execute(
                insert(schema.service_audit).values(
                    at=dt.datetime.now(dt.UTC).isoformat(timespec="microseconds"),
                    user=user.name,
                    role=user.role,
                    method=method,
                    path=path[:1000],
                    key=key,
                    status=status,
                )
            )
