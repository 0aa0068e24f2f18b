"""Which sections a command needs (DESIGN.md, "Which sections a command needs").

``[fund]``, ``[[party]]`` and ``[waterfall]`` make a complete term sheet for the
calculator, ``validate`` and the books. Simulations (``run``, ``simulate``, the
studies, the base case) also need ``[[project]]`` and ``[macro]``; given a term sheet
without them they raise one :class:`~sovfund.errors.TermsError` naming each section
that is missing, before any work is done.
"""

from __future__ import annotations

from pathlib import PurePath

from sovfund.errors import ArgumentError, Problem, TermsError
from sovfund.terms.models import Contract, FloatingRate, Terms

__all__ = ["index_rate", "require_simulation", "require_terms"]


def require_terms(terms: object, parameter: str = "terms") -> Terms:
    """``terms`` if it is a :class:`Terms`; else an :class:`ArgumentError` that says how
    to get one (a preset id or a file name is the usual slip)."""
    if isinstance(terms, Terms):
        return terms
    if isinstance(terms, str | PurePath):
        hint = f"pass sovfund.load_terms({str(terms)!r})"
        found = f"the {'text' if isinstance(terms, str) else 'path'} {str(terms)!r}"
    else:
        hint, found = "load one with sovfund.load_terms('son-2025')", f"a {type(terms).__name__}"
    raise ArgumentError(parameter, found, f"a Terms object: {hint}")


def require_simulation(terms: Terms) -> None:
    """Raise :class:`TermsError` unless ``terms`` has what a simulation needs (and an
    :class:`ArgumentError` if it is not a :class:`Terms` at all)."""
    require_terms(terms)
    problems = []
    if not terms.projects:
        problems.append(
            Problem(
                terms.source,
                "project",
                "no [[project]] table",
                "at least one [[project]]: a simulation invests in the fund's projects",
            )
        )
    if terms.macro is None:
        problems.append(
            Problem(
                terms.source,
                "macro",
                "no [macro] table",
                "a [macro] table (short_rate, yield_10y, inflation, usd_jpy):"
                " a simulation starts its markets from it",
            )
        )
    if problems:
        raise TermsError(problems)


def index_rate(terms: Contract) -> float:
    """The index rate floating hurdles accrue at without a rate path: ``macro.short_rate``.

    Raises :class:`TermsError` when a tier's hurdle floats and there is no ``[macro]``.
    """
    macro = terms.macro if isinstance(terms, Terms) else None
    if macro is not None:
        return macro.short_rate
    for i, tier in enumerate(terms.waterfall.tier):
        if tier.until is not None and isinstance(tier.until.rate, FloatingRate):
            raise TermsError(
                [
                    Problem(
                        terms.source,
                        f"waterfall.tier[{i}].until.rate",
                        "a floating hurdle rate and no [macro] table",
                        "a [macro] table whose short_rate is the index (or a fixed rate)",
                    )
                ]
            )
    return 0.0
