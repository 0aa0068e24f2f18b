"""The public API is what ``sovfund.__all__`` says, and every name in it exists."""

from __future__ import annotations

import importlib

import pytest

import sovfund

PACKAGES = ["sovfund", "sovfund.terms", "sovfund.analytics", "sovfund.engine", "sovfund.scenarios"]


@pytest.mark.parametrize("name", PACKAGES)
def test_all_names_exist_once(name: str) -> None:
    module = importlib.import_module(name)
    assert module.__all__, f"{name} exports nothing"
    missing = [member for member in module.__all__ if not hasattr(module, member)]
    assert not missing, f"{name}.__all__ names missing members: {missing}"
    assert len(set(module.__all__)) == len(module.__all__)


def test_public_entry_points() -> None:
    for member in ("load_terms", "parse_terms", "run_base_case", "Terms", "TermsError", "irr"):
        assert member in sovfund.__all__
    assert sovfund.DEFAULT_PRESET == "son-2025"
