"""The sector risk table: shipped figures merged with a term sheet's overrides.

The shipped table (``sovfund/scenarios/sectors.toml``) gives every key of
:class:`~sovfund.terms.models.SectorRisk` for every sector, each figure with its source
or reasoning (see docs/risk.md). A term sheet's ``[risk.sector.NAME]`` tables override
any of those keys; what they leave out comes from the shipped table.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType

import numpy as np
from numpy.typing import NDArray
from pydantic import ValidationError

from sovfund.errors import SovfundError
from sovfund.terms.models import SECTORS, SectorRisk, Terms

__all__ = ["SectorParameters", "sector_parameters", "shipped_sector_risk", "tariff_exposure"]

TABLE = "sectors.toml"


@dataclass(frozen=True, slots=True)
class SectorParameters:
    """The project risk of one sector with every figure filled in.

    Attributes
    ----------
    overrun_mean, overrun_sd
        Mean and standard deviation of ``capex_factor - 1``.
    delay_years
        Mean construction delay, in years.
    default_construction, default_operation
        Annual default probabilities while built and once operating.
    recovery_mean, recovery_sd
        Mean and standard deviation of the share recovered in default.
    revenue_vol
        Standard deviation of ``revenue_factor`` (mean 1) before the merchant uplift.
    tariff_exposed
        Whether a tariff snap-back makes the sector's imported inputs dearer.
    """

    overrun_mean: float
    overrun_sd: float
    delay_years: float
    default_construction: float
    default_operation: float
    recovery_mean: float
    recovery_sd: float
    revenue_vol: float
    tariff_exposed: bool


@cache
def shipped_sector_risk() -> MappingProxyType[str, SectorRisk]:
    """The shipped table, validated: every sector, every key filled.

    Raises
    ------
    SovfundError
        The shipped file is broken (a packaging bug, not a user error).
    """
    text = resources.files(__package__).joinpath(TABLE).read_text(encoding="utf-8")
    data = tomllib.loads(text)
    missing = [sector for sector in SECTORS if sector not in data]
    unknown = [sector for sector in data if sector not in SECTORS]
    if missing or unknown:
        raise SovfundError(
            f"shipped {TABLE}: sectors missing {missing}, unknown {unknown};"
            f" expected exactly {list(SECTORS)}"
        )
    table: dict[str, SectorRisk] = {}
    for sector in SECTORS:
        try:
            risk = SectorRisk.model_validate(data[sector])
        except ValidationError as error:
            raise SovfundError(f"shipped {TABLE}: [{sector}] is invalid: {error}") from None
        empty = [key for key in SectorRisk.model_fields if getattr(risk, key) is None]
        if empty:
            raise SovfundError(f"shipped {TABLE}: [{sector}] lacks {', '.join(empty)}")
        table[sector] = risk
    return MappingProxyType(table)


def sector_parameters(terms: Terms) -> dict[str, SectorParameters]:
    """Every sector's figures: the shipped table with ``terms.risk.sector`` on top."""
    shipped = shipped_sector_risk()
    overrides: dict[str, SectorRisk] = dict(terms.risk.sector.items())
    merged: dict[str, SectorParameters] = {}
    for sector in SECTORS:
        values = shipped[sector].model_dump()
        override = overrides.get(sector)
        if override is not None:
            values.update(override.model_dump(exclude_none=True))
        merged[sector] = SectorParameters(
            overrun_mean=float(values["overrun_mean"]),
            overrun_sd=float(values["overrun_sd"]),
            delay_years=float(values["delay_years"]),
            default_construction=float(values["default_construction"]),
            default_operation=float(values["default_operation"]),
            recovery_mean=float(values["recovery_mean"]),
            recovery_sd=float(values["recovery_sd"]),
            revenue_vol=float(values["revenue_vol"]),
            tariff_exposed=bool(values["tariff_exposed"]),
        )
    return merged


def tariff_exposure(terms: Terms) -> NDArray[np.float64]:
    """1.0 for each project whose sector is tariff-exposed, else 0.0; shape (projects,).

    Whether the contractor is Japanese (the other condition for paying the snap-back
    tariff) is the engine's business.
    """
    sectors = sector_parameters(terms)
    return np.array(
        [1.0 if sectors[project.sector].tariff_exposed else 0.0 for project in terms.projects]
    )
