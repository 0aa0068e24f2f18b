"""The books: the fund administered for real, in SQLite or PostgreSQL, to the cent.

``init(BOOKS, terms=...)`` opens the books of a term sheet's fund; ``open(BOOKS)``
returns the :class:`Books` of an existing one, with a method for every verb of
``sovfund books`` (docs/books.md). The contract is DESIGN.md, "The books".
"""

from sovfund.books.api import Books, init, open
from sovfund.books.results import Booking, Check, Distribution, FeesBilled, Offer, Statement

__all__ = [
    "Booking",
    "Books",
    "Check",
    "Distribution",
    "FeesBilled",
    "Offer",
    "Statement",
    "init",
    "open",
]
