"""JSON documents: what every result's ``to_dict()`` returns, ``--json`` prints and
summary.json holds.

Results cross from the analytics to the reports as typed, frozen objects; ``to_dict()``
turns one into a :data:`Document` at the edge, for a file, the terminal or the HTTP
service. Missing figures are None (JSON's null) there already; the one encoding of a
document as text is :func:`sovfund.reports.files.json_text`.
"""

from __future__ import annotations

from typing import TypeAlias

__all__ = ["Document", "JsonValue"]

JsonValue: TypeAlias = bool | int | float | str | list["JsonValue"] | dict[str, "JsonValue"] | None
"""Any value JSON can carry."""
Document: TypeAlias = dict[str, JsonValue]
"""A JSON object: ``to_dict()`` of a result."""
