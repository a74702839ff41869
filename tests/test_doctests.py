"""The examples in the core's docstrings run as tests (sqlglot's habit): a stale example fails here."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import pmdrill.core

MODULES = sorted(m.name for m in pkgutil.walk_packages(pmdrill.core.__path__, "pmdrill.core."))
MODULES += ["pmdrill.core.items", "pmdrill.app.records", "pmdrill.app.jsonable", "pmdrill.settings"]


@pytest.mark.parametrize("name", sorted(set(MODULES)))
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0, f"{result.failed} of {result.attempted} examples failed in {name}"


def test_the_examples_are_many() -> None:
    attempted = 0
    for name in MODULES:
        finder = doctest.DocTestFinder()
        attempted += sum(len(t.examples) for t in finder.find(importlib.import_module(name)))
    assert attempted >= 60, attempted
