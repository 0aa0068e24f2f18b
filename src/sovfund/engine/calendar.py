"""The fund's quarterly calendar: every flow happens at a quarter's end."""

from __future__ import annotations

import calendar
import datetime as dt

import numpy as np
from numpy.typing import NDArray

__all__ = ["add_months", "quarter_dates", "year_fractions"]


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` moved by whole months, clamped to the month's last day (Jan 31 + 1 = Feb 28)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def quarter_dates(start: dt.date, quarters: int) -> tuple[dt.date, ...]:
    """End dates of quarters 0 .. quarters-1: quarter q ends 3(q+1) months after start."""
    return tuple(add_months(start, 3 * (q + 1)) for q in range(quarters))


def year_fractions(start: dt.date, dates: tuple[dt.date, ...]) -> NDArray[np.float64]:
    """Actual/365 year fractions of each date from ``start``."""
    return np.array([(d - start).days / 365.0 for d in dates], dtype=np.float64)
