"""Load a term sheet from a preset id or a TOML file, and validate it at the boundary.

Every problem is reported at once as a :class:`~sovfund.errors.Problem` naming the
file, the key path, what was found and what was expected.
"""

from __future__ import annotations

import datetime as dt
import json
import re
import tomllib
import unicodedata
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sovfund.errors import Problem, TermsError, UnknownScenarioError, os_reason
from sovfund.presets import preset_ids, preset_text
from sovfund.terms.checks import Sheet, check_terms
from sovfund.terms.models import Fee, Id, Party, Project, Stress, Terms, Tier, Waterfall

__all__ = ["load_terms", "parse_terms"]


def load_terms(source: str | Path) -> Terms:
    """Load and validate a term sheet.

    Parameters
    ----------
    source
        A preset id (``"son-2025"``, ``"mou-550b"``) or the path of a TOML file.

    Raises
    ------
    UnknownScenarioError
        ``source`` is neither a preset id nor an existing file.
    TermsError
        The file is not valid TOML or not a valid term sheet; ``.problems`` lists
        every problem found.
    """
    text, name = _read(source)
    return parse_terms(text, name=name)


def parse_terms(text: str, *, name: str = "<string>") -> Terms:
    """Validate TOML text as a term sheet; ``name`` is used in error messages.

    Every problem is reported at once, whatever stage finds it: each section (and each
    item of a list) is checked on its own, then the checks that relate several values
    run on whatever passed, so a missing section does not hide a bad share elsewhere.
    """
    text = text.removeprefix("\ufeff")  # a byte-order mark some editors write
    too_deep = f"at most {MAX_DEPTH} levels (a term sheet needs 4)"
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise TermsError([Problem(name, "", f"invalid TOML ({error})", "valid TOML")]) from None
    except RecursionError:  # the reader recurses once a level of nesting
        found = "arrays or tables nested deeper than the TOML reader can follow"
        raise TermsError([Problem(name, "", found, too_deep)]) from None
    if _depth(data) > MAX_DEPTH:
        found = f"arrays or tables nested more than {MAX_DEPTH} levels deep"
        raise TermsError([Problem(name, "", found, too_deep)])
    sheet, problems = _sections(data, name)
    problems += check_terms(sheet, name)
    if problems:
        raise TermsError(problems)
    try:
        terms = Terms.model_validate(data)
    except ValidationError as error:  # pragma: no cover - the sections passed one by one
        raise TermsError(_problems(error, data, name)) from None
    terms._source = name
    return terms


MAX_DEPTH = 16
"""Deepest nesting of arrays and tables accepted (the deepest a term sheet uses is 4)."""


def _depth(data: Any) -> int:
    """How deeply arrays and tables nest in ``data`` (a scalar: 0), without recursion."""
    deepest, stack = 0, [(data, 0)]
    while stack:
        value, level = stack.pop()
        deepest = max(deepest, level)
        if deepest > MAX_DEPTH:
            break
        if isinstance(value, Mapping):
            stack.extend((item, level + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, level + 1) for item in value)
    return deepest


_LISTS = {"party": Party, "fee": Fee, "project": Project}
"""Top-level arrays of tables, validated item by item."""
_STAND_IN_TIER = {"name": "stand-in", "pay": {"lps": 1.0}}


def _sections(data: dict[str, Any], name: str) -> tuple[Sheet, list[Problem]]:
    """Validate each section, and each item of a list, on its own."""
    problems: list[Problem] = []
    fields = {field.alias or key: key for key, field in Terms.model_fields.items()}
    for key in data:
        if key not in fields:
            allowed = ", ".join(sorted(fields))
            problems.append(
                Problem(name, key, f"unknown key '{key}'", f"one of the keys {allowed}")
            )
    sheet = Sheet()
    for key, field_name in fields.items():
        field = Terms.model_fields[field_name]
        if key not in data:
            if field.is_required():
                problems.append(Problem(name, key, "nothing", f"the required key '{key}'"))
                sheet.failed.add(key)
            continue
        value = data[key]
        if key in _LISTS and isinstance(value, list):
            items = sheet.items.setdefault(key, [])
            for i, item in enumerate(value):
                valid = _one(_LISTS[key], item, data, name, [key, i], problems)
                items.append(valid)
                if valid is None:
                    sheet.loose_ids.setdefault(key, set()).update(_raw_id(item))
            if key == "party" and not value:
                problems.append(Problem(name, key, "an empty list", "at least one [[party]]"))
        elif key == "waterfall" and isinstance(value, Mapping) and "tier" in value:
            tiers = value["tier"]
            if isinstance(tiers, list):
                sheet.items["waterfall.tier"] = checked = [
                    _one(Tier, tier, data, name, [key, "tier", i], problems)
                    for i, tier in enumerate(tiers)
                ]
                # the table's own keys, with the tiers that passed (or a stand-in for
                # none): a bad tier must not hide a problem with the rest of it
                good = [tiers[i] for i, tier in enumerate(checked) if tier is not None]
                value = {**value, "tier": good or [_STAND_IN_TIER]}
            sheet.sections[key] = _one(Waterfall, value, data, name, [key], problems)
        elif key == "stress" and isinstance(value, Mapping):
            sheet.stresses = {
                stress: _one(Stress, table, data, name, [key, stress], problems)
                for stress, table in value.items()
            }
            bad_names = TypeAdapter(dict[Id, Any]).validate_python  # the names themselves
            _adapt(bad_names, value, data, name, [key], problems)
        else:
            sheet.sections[key] = _one(field.annotation, value, data, name, [key], problems)
        if sheet.sections.get(key, True) is None:
            sheet.failed.add(key)
    return sheet, problems


def _one(
    model: Any,
    value: Any,
    data: Mapping[str, Any],
    name: str,
    keys: list[int | str],
    problems: list[Problem],
) -> Any:
    """``value`` validated as ``model``, or None with its problems added."""
    return _adapt(_adapter(model).validate_python, value, data, name, keys, problems)


def _adapt(
    validate: Any,
    value: Any,
    data: Mapping[str, Any],
    name: str,
    keys: list[int | str],
    problems: list[Problem],
) -> Any:
    try:
        return validate(value)
    except ValidationError as error:
        problems.extend(_problems(error, data, name, prefix=keys))
        return None


@cache
def _adapter(model: Any) -> TypeAdapter[Any]:
    return TypeAdapter(model)


def _raw_id(item: Any) -> set[str]:
    """The id an invalid list item names, if any: other sections may refer to it."""
    raw = item.get("id") if isinstance(item, Mapping) else None
    return {raw} if isinstance(raw, str) else set()


def _read(source: str | Path) -> tuple[str, str]:
    if isinstance(source, str) and source in preset_ids():
        return preset_text(source), f"preset {source}"
    path = Path(source)
    if path.suffix.lower() != ".toml" and not path.exists():
        presets = ", ".join(preset_ids())
        raise UnknownScenarioError(
            f"{source!s}: no such preset or file; expected a preset id ({presets})"
            " or the path of a .toml term sheet"
        )
    try:
        return path.read_text(encoding="utf-8-sig"), str(path)
    except (OSError, UnicodeDecodeError) as error:
        raise UnknownScenarioError(
            f"{path}: cannot read it ({os_reason(error)}); expected a readable UTF-8 TOML file"
        ) from None
    except ValueError as error:  # an embedded NUL in the name
        raise UnknownScenarioError(
            f"{source!r}: not a usable file name ({error}); expected the path of a .toml file"
        ) from None


# -- pydantic errors -> problems -------------------------------------------------------

_TYPE_WORDS = {
    "float_type": "a number",
    "float_parsing": "a number",
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "date_type": "a date written as YYYY-MM-DD, without quotes",
    "bool_type": "true or false",
    "string_type": "text in quotes",
    "dict_type": "a table",
    "model_type": "a table",
    "tuple_type": "a list",
    "list_type": "a list",
    "finite_number": "a finite number",
}
_BOUNDS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_PATTERN_WORDS = {
    "^[a-z][a-z0-9_]*$": "a lowercase id of letters, digits and underscores (like 'us_gp')",
    "^[A-Z]{2}$": "a two-letter country code (like 'US' or 'JP')",
}


def _problems(
    error: ValidationError,
    data: Mapping[str, Any],
    name: str,
    *,
    prefix: list[int | str] | None = None,
) -> list[Problem]:
    """One problem per key path; ``prefix`` is where the validated value sits in ``data``."""
    problems: dict[str, Problem] = {}
    root = tuple(prefix or ())
    for detail in error.errors():
        detail = {**detail, "loc": root + tuple(detail["loc"])}
        keys, member = _clean_loc(detail["loc"], data)
        if member is not None:
            # A union (a number or a table): report only the branch the user wrote.
            wrote_table = isinstance(_value_at(data, keys), Mapping)
            if member[:1].isupper() != wrote_table:
                continue
            keys = [*keys, *detail["loc"][len(keys) + 1 :]]
        path = _path(keys)
        if detail["type"] == "too_short" and any(p.startswith(path) for p in problems):
            continue  # "0 items after validation": its items' own errors say why
        problems.setdefault(
            path, Problem(name, path, _found(detail, keys), _expected(detail, keys))
        )
    if not problems:  # every error was a branch of a union the user did not write
        for detail in error.errors():
            path = _path([*root, *(k for k in detail["loc"] if k in _keys_in(data))])
            problems.setdefault(path, Problem(name, path, _show(detail["input"]), detail["msg"]))
    return list(problems.values())


def _keys_in(data: Any) -> set[Any]:
    """Every key and index anywhere in ``data`` (to tell them from pydantic's markers)."""
    found: set[Any] = set()
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            found.update(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            found.update(range(len(value)))
            stack.extend(value)
    return found


def _clean_loc(
    loc: tuple[int | str, ...], data: Mapping[str, Any]
) -> tuple[list[int | str], str | None]:
    """Split a loc at pydantic's union-member marker ('float', 'FloatingRate'); a key
    the user wrote (even "" or "Name") is never taken for one."""
    for i, key in enumerate(loc):
        if isinstance(key, int) or key == "[key]":
            continue
        container = _value_at(data, list(loc[:i]))
        if isinstance(container, Mapping) and key in container:
            continue  # a key of the file
        if not (key.isidentifier() and key.islower()) or key in {"float", "int"}:
            return list(loc[:i]), key
    return list(loc), None


def _value_at(data: Any, keys: list[int | str]) -> Any:
    for key in keys:
        try:
            data = data[key]
        except (KeyError, IndexError, TypeError):
            return None
    return data


def _path(keys: list[int | str]) -> str:
    out = ""
    for key in keys:
        if key == "[key]":
            continue
        if isinstance(key, int):
            out += f"[{key}]"
        else:
            bare = key if re.fullmatch(r"[A-Za-z0-9_-]+", key) else quoted(key)
            out += f".{bare}" if out else bare
    return out


def _found(detail: ErrorDetails, keys: list[int | str]) -> str:
    if detail["type"] == "missing":
        return "nothing"
    if detail["type"] == "extra_forbidden":
        return f"unknown key '{keys[-1]}'"
    if keys and keys[-1] == "[key]":
        return f"key {_show(detail['input'])}"
    return _show(detail["input"])


def _expected(detail: ErrorDetails, keys: list[int | str]) -> str:
    kind, message = detail["type"], detail["msg"]
    if kind == "missing":
        return f"the required key '{keys[-1]}'"
    if kind == "extra_forbidden":
        allowed = _allowed_keys(keys[:-1])
        return f"one of the keys {', '.join(allowed)}" if allowed else "no such key"
    if kind == "string_pattern_mismatch":
        pattern = str((detail.get("ctx") or {}).get("pattern", ""))
        return _PATTERN_WORDS.get(pattern, f"text matching {pattern}")
    if kind in _TYPE_WORDS:
        return _TYPE_WORDS[kind]
    if kind == "literal_error":  # the words as the file spells them: "lp" or "gp"
        return re.sub(r"'([^']*)'", r'"\1"', str((detail.get("ctx") or {}).get("expected")))
    if kind == "value_error":
        return message.removeprefix("Value error, ")
    if kind in _BOUNDS:
        return _bounds_words(_constraints(keys) or dict(detail.get("ctx") or {}))
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        ctx = detail.get("ctx") or {}
        text = "text" if kind.startswith("string") else "a list"
        unit = "character" if kind.startswith("string") else "item"
        low, high = ctx.get("min_length"), ctx.get("max_length")
        count = low if kind.endswith("short") else high
        bound = "at least" if kind.endswith("short") else "at most"
        return f"{text} of {bound} {count:,} {unit}{'s' if count != 1 else ''}"
    return message.removeprefix("Input should be ")


def _bounds_words(bounds: Mapping[str, Any]) -> str:
    """'a number from 0 to 1e15', 'a date from 1900-01-01 to 2200-12-31'."""
    values = [v for v in bounds.values() if v is not None]
    noun = "a date" if values and isinstance(values[0], dt.date) else "a number"
    low = ("from", bounds["ge"]) if "ge" in bounds else ("above", bounds.get("gt"))
    high = ("to", bounds["le"]) if "le" in bounds else ("below", bounds.get("lt"))
    if low[1] is not None and high[1] is not None:
        if low[0] == "from" and high[0] == "to":
            return f"{noun} from {_number(low[1])} to {_number(high[1])}"
        lower = f"at least {_number(low[1])}" if low[0] == "from" else f"above {_number(low[1])}"
        upper = f"at most {_number(high[1])}" if high[0] == "to" else f"below {_number(high[1])}"
        return f"{noun} {lower} and {upper}"
    if low[1] is not None:
        return f"{noun} {'at least' if low[0] == 'from' else 'above'} {_number(low[1])}"
    if high[1] is not None:
        return f"{noun} {'at most' if high[0] == 'to' else 'below'} {_number(high[1])}"
    return noun


def _number(value: Any) -> str:
    """A bound as a person writes it: 0, 0.05, 60, 1e15, 2200-12-31."""
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float) and abs(value) >= 1e6:
        mantissa, _, exponent = f"{value:.6g}".partition("e")
        return f"{mantissa}e{int(exponent)}" if exponent else f"{value:,.0f}"
    return f"{value:g}" if isinstance(value, float) else str(value)


def _constraints(keys: list[int | str]) -> dict[str, Any]:
    """The bounds (ge, gt, le, lt) of the value at ``keys``, read off the Terms model."""
    annotation: Any = Terms
    metadata: list[Any] = []
    for key in keys:
        annotation, metadata = _member(annotation, key)
        if annotation is None:
            return {}
    bounds: dict[str, Any] = {}
    for _, found in _unwrap(annotation, metadata):
        for item in found:
            for name in ("ge", "gt", "le", "lt"):
                value = getattr(item, name, None)
                if value is not None:
                    bounds[name] = value
    return bounds


def _member(annotation: Any, key: int | str) -> tuple[Any, list[Any]]:
    """The annotation of item ``key`` of a value of type ``annotation``, and its
    constraints; (None, []) where the model has no such member."""
    for base, _ in _unwrap(annotation, []):
        if isinstance(base, type) and issubclass(base, BaseModel) and isinstance(key, str):
            for field_name, field in base.model_fields.items():
                if key in (field_name, field.alias):
                    return field.annotation, list(field.metadata)
        origin, args = get_origin(base), get_args(base)
        if origin is tuple and isinstance(key, int) and args:
            return args[0], []
        if origin is dict and args:
            return (args[0] if key == "[key]" else args[1]), []
    return None, []


def _unwrap(annotation: Any, metadata: list[Any]) -> list[tuple[Any, list[Any]]]:
    """The members of a union, each with the constraints of its ``Annotated`` wrappers."""
    if get_origin(annotation) is Annotated:
        base, *extra = get_args(annotation)
        found = [m for item in extra for m in getattr(item, "metadata", [item])]
        return _unwrap(base, [*metadata, *found])
    if get_origin(annotation) in (Union, UnionType):
        return [u for arg in get_args(annotation) for u in _unwrap(arg, metadata)]
    return [(annotation, metadata)]


def _allowed_keys(keys: list[int | str]) -> list[str]:
    """The keys the model at ``keys`` accepts, by walking the Terms model."""
    model: Any = Terms
    for key in keys:
        if isinstance(key, int):
            continue
        field = next(
            (f for n, f in model.model_fields.items() if key in (n, f.alias)),
            None,
        )
        if field is None:
            return []
        model = _model_in(field.annotation)
        if model is None:
            return []
    return sorted(f.alias or n for n, f in model.model_fields.items())


def _model_in(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def _show(value: Any) -> str:
    """A value as the TOML file spells it (not as Python does), shortened."""
    if isinstance(value, Mapping):
        return "a table with keys " + ", ".join(map(str, value)) if value else "an empty table"
    text = _toml(value)
    if isinstance(value, dt.datetime):
        text += " (a date and time)"
    elif isinstance(value, dt.time):
        text += " (a time of day)"
    return text if len(text) <= 60 else text[:57] + "..."


def _toml(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return quoted(value)
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, float):
        return "nan" if value != value else repr(value)
    if isinstance(value, list):
        inner = ", ".join(_toml(item) for item in value[:8])
        return f"[{inner}{', ...' if len(value) > 8 else ''}]"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{key} = ..." for key in value) + "}"
    return str(value)


def quoted(text: str) -> str:
    """``text`` in double quotes, control characters as escapes (never raw on a screen)."""
    escaped = json.dumps(text, ensure_ascii=False)
    return "".join(
        f"\\u{ord(c):04x}" if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp") else c
        for c in escaped
    )
