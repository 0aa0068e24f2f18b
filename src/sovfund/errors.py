"""Errors raised by sovfund.

Every error carries a message a user can act on. Problems found in user data are
collected as :class:`Problem` records (file, key path, what was found, what was
expected) so that the CLI can list all of them at once and exit 1, never a traceback::

    SovfundError                    anything sovfund raises on purpose
    ├── InputError                  user input that cannot be used (CLI exit code 1)
    │   ├── TermsError              a term sheet: one or more Problems
    │   ├── FlowsError              a flows CSV: one or more Problems
    │   ├── PartnersError           a partners CSV for the books: one or more Problems
    │   ├── UnknownScenarioError    neither a preset id nor a readable file
    │   ├── ArgumentError           one argument of a function (also a ValueError),
    │   │                           named as the Python parameter; the CLI shows its flag
    │   └── BooksError              a books command that cannot be booked as asked
    │       └── KeyReusedError      an idempotency key sent again with another request
    └── ConvergenceError            a numerical method found no answer

Warnings (a term sheet that is valid but will likely not run as its author expects)
are :class:`Problem` records too, returned beside the term sheet, never raised.
"""

from __future__ import annotations

import errno
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "ArgumentError",
    "BooksError",
    "ConvergenceError",
    "FlowsError",
    "InputError",
    "KeyReusedError",
    "PartnersError",
    "Problem",
    "SovfundError",
    "TermsError",
    "UnknownScenarioError",
    "os_reason",
]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with a user's file.

    ``path`` is the key path inside the file, with list items counted from 0
    (``waterfall.tier[2].until.rate``); empty when the problem is with the file as a
    whole (for example a TOML syntax error, whose ``found`` names the line).
    """

    file: str
    path: str
    found: str
    expected: str

    def as_dict(self) -> dict[str, str]:
        return {
            "file": self.file,
            "path": self.path,
            "found": self.found,
            "expected": self.expected,
        }

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        return f"{where}: found {self.found}; expected {self.expected}"


class SovfundError(Exception):
    """Base class of every error sovfund raises on purpose."""


class InputError(SovfundError):
    """User input (a file, an option) that cannot be used as given."""


class _ProblemsError(InputError):
    """An input error made of one or more located problems."""

    kind = "input"

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        if not self.problems:
            raise ValueError(f"a {type(self).__name__} needs at least one problem")
        count = len(self.problems)
        head = f"{count} problem{'s' if count > 1 else ''} in {self.kind}"
        super().__init__("\n".join([head, *(f"  - {p}" for p in self.problems)]))


class TermsError(_ProblemsError):
    """A term sheet failed to load or validate."""

    kind = "the term sheet"


class FlowsError(_ProblemsError):
    """A flows file failed to load or validate."""

    kind = "the flows file"


class PartnersError(_ProblemsError):
    """A partners CSV for ``books partners`` failed to validate; nobody was added."""

    kind = "the partners file"


class UnknownScenarioError(InputError):
    """A scenario argument is neither a preset id nor a readable TOML file."""


class BooksError(InputError):
    """A books command that cannot be booked as asked (an unknown partner, an amount
    larger than the cash, a date out of order...); nothing was booked."""


class KeyReusedError(BooksError):
    """An idempotency key sent again with a different request; nothing was booked."""


class ArgumentError(InputError, ValueError):
    """An argument a function cannot use, named by its Python parameter.

    ``parameter`` is the name in the signature (``paths``, ``batch_size``), never a CLI
    flag: the CLI maps it to its own option when it shows the message. Also a
    ``ValueError``, as Python code expects of a bad argument.
    """

    def __init__(self, parameter: str, found: str, expected: str) -> None:
        self.parameter, self.found, self.expected = parameter, found, expected
        super().__init__(self.message(parameter))

    def message(self, name: str) -> str:
        """The message with ``name`` (a parameter or the CLI's flag) in front."""
        return f"{name}: found {self.found}; expected {self.expected}"


class ConvergenceError(SovfundError):
    """A numerical method (for example an IRR search) found no answer."""


_OS_WORDS = {
    errno.ENOENT: "no such file or folder",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "it is a folder, not a file",
    errno.ENOTDIR: "a part of the path is a file, not a folder",
    errno.EEXIST: "a file of that name is in the way of a folder",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk quota is used up",
    errno.EROFS: "the file system is read-only",
    errno.ENAMETOOLONG: "the name is too long",
    errno.ELOOP: "too many symbolic links",
    errno.EMFILE: "too many files open",
    errno.EIO: "an input/output error on the device",
}


def os_reason(error: OSError | UnicodeError) -> str:
    """Why a file could not be read or written, in a user's words ("the disk is full")."""
    if isinstance(error, UnicodeError):
        return "it is not UTF-8 text"
    words = _OS_WORDS.get(error.errno or -1)
    return words or (error.strerror or str(error) or type(error).__name__).lower()
