"""The pages' templates (Jinja2, autoescaped) and their filters."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import cache
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

__all__ = ["environment", "money", "negative", "render"]


def money(value: Any) -> str:
    """A decimal string with thousands separators, its decimals kept up to two
    (``"1234567.5"`` -> ``1,234,567.50``; yen ``"1500"`` -> ``1,500``)."""
    if value is None:
        return "—"
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        return str(value)
    exponent = number.as_tuple().exponent
    places = min(2, -exponent) if isinstance(exponent, int) and exponent < 0 else 0
    return f"{number:,.{places}f}"


def negative(value: Any) -> str:
    """An amount shown as taken away: ``−1,234.00`` (``0.00`` stays as it is)."""
    text = money(value)
    return text if text.strip("0.,") in ("", "—") else f"−{text}"


@cache
def environment() -> Environment:
    env = Environment(
        loader=PackageLoader("sovfund.service", "templates"),
        autoescape=select_autoescape(enabled_extensions=("html", "j2"), default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = money
    env.filters["negative"] = negative
    return env


def render(name: str, **context: Any) -> str:
    return environment().get_template(name).render(**context)
