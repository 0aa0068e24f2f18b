"""Per-partner figures of a command's result, held as arrays until someone reads them.

A call to a million partners answers with a million allocations. Building them as a
dict of a million decimal strings (and a ``Decimal`` each in the typed result) took
seconds and hundreds of megabytes; here they stay integer arrays beside the partner
table's ids, and become strings one at a time when read (``result["lp"]``), or all at
once when the JSON is asked for (:func:`plain`). They read like the dicts they replace:
:class:`Amounts` is a ``Mapping[str, str]`` of decimal strings, :class:`Parties` a
``Mapping[str, dict]`` of ``{"contributed", "distributed", "irr"}``.

The idempotency store keeps a result as JSON: :func:`dumps` writes each of these as
its columns (``{"$amounts": {...}}``) and :func:`loads` reads them back as the same
objects, so a repeated command answers with the first result without building it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from sovfund.books.money import CURRENCIES, IntArray

if TYPE_CHECKING:
    from sovfund.books.partners import PartnerTable

__all__ = [
    "Amounts",
    "Parties",
    "digits_of",
    "dumps",
    "format_minor",
    "loads",
    "partner_amounts",
    "plain",
]


def format_minor(units: IntArray, digits: IntArray | int) -> list[str]:
    """Minor units as decimal strings, exactly as ``str(from_minor(u, currency))``:
    ``12345 -> "123.45"`` with 2 digits, ``-5 -> "-0.05"``, ``7 -> "7"`` with none."""
    units = np.asarray(units, dtype=np.int64)
    places = np.broadcast_to(np.asarray(digits, dtype=np.int64), units.shape)
    kinds = np.unique(places).tolist()
    if len(kinds) == 1:
        return _format(units, kinds[0])
    text: list[str] = [""] * len(units)
    for d in kinds:
        at = np.flatnonzero(places == d)
        for i, value in zip(at.tolist(), _format(units[at], d), strict=True):
            text[i] = value
    return text


def _format(units: IntArray, d: int) -> list[str]:
    """Minor units with ``d`` decimal places as strings; zeros cost nothing."""
    zero = "0" if d == 0 else "0." + "0" * d
    text = [zero] * len(units)
    moved = np.flatnonzero(units)
    if not len(moved):
        return text
    part = units[moved]
    if d == 0:
        strings = [str(u) for u in part.tolist()]
    else:
        whole, fraction = np.divmod(np.abs(part), 10**d)
        signs = np.where(part < 0, "-", "").tolist()
        strings = [
            f"{s}{w}.{f:0{d}d}"
            for s, w, f in zip(signs, whole.tolist(), fraction.tolist(), strict=True)
        ]
    for i, value in zip(moved.tolist(), strings, strict=True):
        text[i] = value
    return text


def digits_of(currencies: NDArray[np.str_]) -> IntArray:
    """Each currency's digits of its minor unit (USD 2, JPY 0)."""
    digits = np.full(len(currencies), CURRENCIES["USD"], dtype=np.int64)
    for currency, places in CURRENCIES.items():
        digits[currencies == currency] = places
    return digits


class Amounts(Mapping[str, str]):
    """Money per partner as decimal strings, read from integer arrays when asked.

    ``ids`` is the partner table's ids (shared, not copied), ``positions`` the partners
    present (in order), ``units`` their amounts in minor units of their currencies and
    ``digits`` those currencies' decimal places (one for all, or one each).
    """

    __slots__ = ("_lookup", "digits", "ids", "positions", "units")

    def __init__(
        self,
        ids: Sequence[str],
        positions: IntArray,
        units: IntArray,
        digits: IntArray | int = 2,
    ) -> None:
        self.ids = ids
        self.positions = np.asarray(positions, dtype=np.int64)
        self.units = np.asarray(units, dtype=np.int64)
        self.digits = (
            np.broadcast_to(np.asarray(digits, dtype=np.int64), self.units.shape)
            if not isinstance(digits, int)
            else np.full(len(self.units), digits, dtype=np.int64)
        )
        self._lookup: dict[str, int] | None = None

    def _index(self) -> dict[str, int]:
        if self._lookup is None:
            self._lookup = {self.ids[p]: k for k, p in enumerate(self.positions.tolist())}
        return self._lookup

    def __getitem__(self, partner: str) -> str:
        k = self._index()[partner]
        return format_minor(self.units[k : k + 1], self.digits[k : k + 1])[0]

    def __iter__(self) -> Iterator[str]:
        ids = self.ids
        return (ids[p] for p in self.positions.tolist())

    def __len__(self) -> int:
        return len(self.positions)

    def __repr__(self) -> str:
        return f"Amounts({len(self)} partners)"

    def to_dict(self) -> dict[str, str]:
        return dict(zip(self, format_minor(self.units, self.digits), strict=True))

    def decimals(self) -> Mapping[str, Decimal]:
        """The same amounts as ``Decimal``s (the typed results' view)."""
        return _Decimals(self)

    def encode(self) -> dict[str, Any]:
        return {
            "$amounts": {
                "ids": list(self),
                "units": self.units.tolist(),
                "digits": self.digits.tolist(),
            }
        }

    @classmethod
    def decode(cls, data: Mapping[str, Any]) -> Amounts:
        ids = data["ids"]
        return cls(ids, np.arange(len(ids)), np.array(data["units"], dtype=np.int64),
                   np.array(data["digits"], dtype=np.int64))  # fmt: skip


def partner_amounts(
    partners: PartnerTable,
    units: IntArray,
    keep: NDArray[np.bool_] | None = None,
    *,
    currency: str | None = None,
) -> Amounts:
    """Each partner's amount where it is not zero (or ``keep``), in minor units of its
    currency (or of ``currency`` for all)."""
    units = np.asarray(units, dtype=np.int64)
    mask = units != 0 if keep is None else (keep | (units != 0))
    at = np.flatnonzero(mask)
    digits: IntArray | int = (
        CURRENCIES[currency] if currency is not None else digits_of(partners.currency[at])
    )
    return Amounts(partners.ids, at, units[at], digits)


class _Decimals(Mapping[str, Decimal]):
    __slots__ = ("amounts",)

    def __init__(self, amounts: Amounts) -> None:
        self.amounts = amounts

    def __getitem__(self, partner: str) -> Decimal:
        return Decimal(self.amounts[partner])

    def __iter__(self) -> Iterator[str]:
        return iter(self.amounts)

    def __len__(self) -> int:
        return len(self.amounts)

    def __repr__(self) -> str:
        return f"Decimals({len(self)} partners)"


class Parties(Mapping[str, dict[str, Any]]):
    """A distribution's ``parties``: each partner's contributed capital to date, what it
    receives now (cents of the fund's currency) and its IRR (NaN: none)."""

    __slots__ = ("_lookup", "contributed", "distributed", "ids", "irr", "positions")

    def __init__(
        self,
        ids: Sequence[str],
        positions: IntArray,
        contributed: IntArray,
        distributed: IntArray,
        irr: NDArray[np.float64],
    ) -> None:
        self.ids = ids
        self.positions = np.asarray(positions, dtype=np.int64)
        self.contributed = np.asarray(contributed, dtype=np.int64)
        self.distributed = np.asarray(distributed, dtype=np.int64)
        self.irr = np.asarray(irr, dtype=np.float64)
        self._lookup: dict[str, int] | None = None

    def _row(self, k: int) -> dict[str, Any]:
        contributed, distributed = format_minor(
            np.array([self.contributed[k], self.distributed[k]]), 2
        )
        irr = float(self.irr[k])
        return {"contributed": contributed, "distributed": distributed,
                "irr": None if np.isnan(irr) else irr}  # fmt: skip

    def __getitem__(self, partner: str) -> dict[str, Any]:
        if self._lookup is None:
            self._lookup = {self.ids[p]: k for k, p in enumerate(self.positions.tolist())}
        return self._row(self._lookup[partner])

    def __iter__(self) -> Iterator[str]:
        ids = self.ids
        return (ids[p] for p in self.positions.tolist())

    def __len__(self) -> int:
        return len(self.positions)

    def __repr__(self) -> str:
        return f"Parties({len(self)} partners)"

    def to_dict(self) -> dict[str, dict[str, Any]]:
        contributed = format_minor(self.contributed, 2)
        distributed = format_minor(self.distributed, 2)
        irr = [None if np.isnan(r) else r for r in self.irr.tolist()]
        return {
            p: {"contributed": c, "distributed": d, "irr": r}
            for p, c, d, r in zip(self, contributed, distributed, irr, strict=True)
        }

    def encode(self) -> dict[str, Any]:
        return {
            "$parties": {
                "ids": list(self),
                "contributed": self.contributed.tolist(),
                "distributed": self.distributed.tolist(),
                "irr": [None if np.isnan(r) else r for r in self.irr.tolist()],
            }
        }

    @classmethod
    def decode(cls, data: Mapping[str, Any]) -> Parties:
        ids = data["ids"]
        irr = np.array([np.nan if r is None else r for r in data["irr"]], dtype=np.float64)
        return cls(ids, np.arange(len(ids)), np.array(data["contributed"], dtype=np.int64),
                   np.array(data["distributed"], dtype=np.int64), irr)  # fmt: skip


def plain(data: Any) -> Any:
    """``data`` with every :class:`Amounts` and :class:`Parties` made a plain dict."""
    if isinstance(data, Amounts | Parties):
        return data.to_dict()
    if isinstance(data, dict):
        return {k: plain(v) for k, v in data.items()}
    if isinstance(data, list | tuple):
        return [plain(v) for v in data]
    return data


def _encode(value: Any) -> Any:
    if isinstance(value, Amounts | Parties):
        return value.encode()
    raise TypeError(f"{type(value).__name__} is not JSON")


_DECODERS: dict[str, Callable[[Mapping[str, Any]], Any]] = {
    "$amounts": Amounts.decode,
    "$parties": Parties.decode,
}


def _decode(data: dict[str, Any]) -> Any:
    if len(data) == 1:
        (key,) = data
        decoder = _DECODERS.get(key)
        if decoder is not None:
            return decoder(data[key])
    return data


def dumps(data: Any) -> str:
    """JSON of a result, its per-partner columns kept as columns."""
    return json.dumps(data, sort_keys=True, default=_encode)


def loads(text: str) -> Any:
    """A result written by :func:`dumps`, its columns read back as arrays."""
    return json.loads(text, object_hook=_decode)
