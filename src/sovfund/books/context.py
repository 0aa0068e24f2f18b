"""What every command reads first: the fund's term sheet and its partners."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy import Connection, select

from sovfund.books import schema
from sovfund.books.partners import PartnerTable, load_partners
from sovfund.terms.load import parse_terms
from sovfund.terms.models import Terms

__all__ = ["Context", "load_context"]


@dataclass(frozen=True, slots=True, eq=False)
class Context:
    """The fund as a command finds it: its terms (as given to ``books init``) and partners."""

    terms: Terms
    start: dt.date
    partners: PartnerTable

    def has_project(self, connection: Connection, project: str) -> bool:
        found = connection.execute(
            select(schema.project.c.id).where(schema.project.c.id == project)
        ).first()
        return found is not None


@lru_cache(maxsize=8)
def _terms(text: str, source: str) -> Terms:
    return parse_terms(text, name=source)


def load_context(connection: Connection) -> Context:
    fund = connection.execute(select(schema.fund)).one()
    return Context(
        terms=_terms(fund.terms, fund.terms_source),
        start=fund.start,
        partners=load_partners(connection),
    )
