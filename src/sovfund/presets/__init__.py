"""Term sheets shipped inside the package, by id.

- ``son-2025`` (default): the fund floated in May 2025;
- ``mou-550b``: the structure agreed in the September 2025 memorandum.

Every assumption in them is commented in the TOML with its source or reasoning
(see also docs/scenarios.md).
"""

from __future__ import annotations

from importlib import resources

__all__ = ["DEFAULT_PRESET", "preset_ids", "preset_text"]

DEFAULT_PRESET = "son-2025"


def preset_ids() -> tuple[str, ...]:
    """The ids of the shipped presets, the default first."""
    names = sorted(
        entry.name.removesuffix(".toml")
        for entry in resources.files(__name__).iterdir()
        if entry.name.endswith(".toml")
    )
    return tuple(sorted(names, key=lambda name: name != DEFAULT_PRESET))


def preset_text(preset_id: str) -> str:
    """The TOML text of a preset."""
    if preset_id not in preset_ids():
        raise KeyError(preset_id)
    return resources.files(__name__).joinpath(f"{preset_id}.toml").read_text(encoding="utf-8")
