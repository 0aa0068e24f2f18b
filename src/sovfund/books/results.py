"""Typed results of the books' commands; ``to_dict()`` is each one's JSON (DESIGN.md).

Money is ``Decimal`` here and a decimal string in JSON. A command repeated with its
idempotency key answers with the first result, rebuilt by ``from_dict``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sovfund.books.columns import Amounts, Parties, plain

__all__ = [
    "Booking",
    "Check",
    "Distribution",
    "FeesBilled",
    "Offer",
    "PartnerShare",
    "Statement",
    "TierPaid",
]


def _money(values: Mapping[str, str]) -> Mapping[str, Decimal]:
    if isinstance(values, Amounts):  # a million partners: read when asked
        return values.decimals()
    return {k: Decimal(v) for k, v in values.items()}


class _Shares(Mapping[str, "PartnerShare"]):
    """A distribution's parties as :class:`PartnerShare`s, read when asked."""

    __slots__ = ("parties",)

    def __init__(self, parties: Mapping[str, Mapping[str, Any]]) -> None:
        self.parties = parties

    def __getitem__(self, partner: str) -> PartnerShare:
        v = self.parties[partner]
        return PartnerShare(Decimal(v["contributed"]), Decimal(v["distributed"]), v["irr"])

    def __iter__(self) -> Iterator[str]:
        return iter(self.parties)

    def __len__(self) -> int:
        return len(self.parties)


@dataclass(frozen=True, slots=True)
class Booking:
    """An entry booked (``entry`` is None when there was nothing to book): a call, a
    payment, an investment, proceeds, a mark, a draw or repayment, a clawback."""

    entry: int | None
    kind: str
    date: dt.date
    amount: Decimal
    currency: str
    allocations: Mapping[str, Decimal]  # per partner, in the partner's currency
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(dict(self.data))
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Booking:
        return cls(
            entry=data["entry"],
            kind=data["kind"],
            date=dt.date.fromisoformat(data["date"]),
            amount=Decimal(data["amount"]),
            currency=data["currency"],
            allocations=_money(data.get("allocations", {})),
            data=data,
        )


@dataclass(frozen=True, slots=True)
class PartnerShare:
    contributed: Decimal
    distributed: Decimal
    irr: float | None


@dataclass(frozen=True, slots=True)
class TierPaid:
    name: str
    paid: Mapping[str, Decimal]


@dataclass(frozen=True, slots=True)
class Distribution:
    """A distribution's split (booked, or a preview with ``entry`` None), in the shape of
    ``sovfund waterfall --json`` for this distribution: each partner's contributed
    capital to date and what it receives now, and what each tier paid."""

    entry: int | None
    date: dt.date
    amount: Decimal
    preview: bool
    parties: Mapping[str, PartnerShare]
    tiers: tuple[TierPaid, ...]
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(dict(self.data))
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Distribution:
        return cls(
            entry=data["entry"],
            date=dt.date.fromisoformat(data["date"]),
            amount=Decimal(data["amount"]),
            preview=bool(data.get("preview", False)),
            parties=_Shares(data["parties"])
            if isinstance(data["parties"], Parties)
            else {
                p: PartnerShare(Decimal(v["contributed"]), Decimal(v["distributed"]), v["irr"])
                for p, v in data["parties"].items()
            },
            tiers=tuple(TierPaid(t["name"], _money(t["paid"])) for t in data["tiers"]),
            data=data,
        )


@dataclass(frozen=True, slots=True)
class FeesBilled:
    """The quarters a ``fees`` run billed (none when all were billed before)."""

    through: dt.date
    amount: Decimal
    entries: tuple[int, ...]
    quarters: tuple[str, ...]
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(dict(self.data))
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> FeesBilled:
        return cls(
            through=dt.date.fromisoformat(data["through"]),
            amount=Decimal(data["amount"]),
            entries=tuple(data["entries"]),
            quarters=tuple(q["quarter"] for q in data["quarters"]),
            data=data,
        )


@dataclass(frozen=True, slots=True)
class Statement:
    """A partner's capital account statement, in the partner's currency."""

    partner: str
    as_of: dt.date
    currency: str
    commitment: Decimal
    contributed: Decimal
    distributed: Decimal
    unfunded: Decimal
    fees: Decimal
    carry: Decimal
    capital_account: Decimal
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(dict(self.data))
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Statement:
        money = ("commitment", "contributed", "distributed", "unfunded", "fees", "carry")
        return cls(
            partner=data["partner"],
            as_of=dt.date.fromisoformat(data["as_of"]),
            currency=data["currency"],
            capital_account=Decimal(data["capital_account"]),
            data=data,
            **{k: Decimal(data[k]) for k in money},
        )


@dataclass(frozen=True, slots=True)
class Check:
    """What ``books check`` found: every breach of an invariant, in words."""

    breaches: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.breaches

    def to_dict(self) -> dict[str, Any]:
        return {"ok": self.ok, "breaches": list(self.breaches)}


@dataclass(frozen=True, slots=True)
class Offer:
    """A repurchase offer as ``books offer`` opened it, or a request in one
    (``books request``, ``kind`` "request"); nothing is booked until ``settle``."""

    offer: int
    kind: str
    data: Mapping[str, Any] = field(repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = plain(dict(self.data))
        return result

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Offer:
        return cls(offer=int(data["offer"]), kind=data["kind"], data=data)
