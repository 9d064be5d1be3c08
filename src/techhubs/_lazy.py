"""Packages whose public names load their module on first use (PEP 562).

``import techhubs`` and the command line's start stay quick when a package's ``__init__``
names what it offers without importing it. One rule needs care: a function may share
its name with a submodule (``techhubs.index.explain``, ``techhubs.robustness``); importing
the submodule later must not rebind the package's name to the module, so the package's
module class keeps public names (``from techhubs.index.explain import ...`` still reads
the submodule through ``sys.modules``).
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(package: str, names: Mapping[str, str]) -> Callable[[str], Any]:
    """Install lazy ``names`` (name -> module) on ``package``; returns its ``__getattr__``."""

    def lookup(name: str) -> Any:
        if name in names:
            value = getattr(importlib.import_module(names[name]), name)
            types.ModuleType.__setattr__(sys.modules[package], name, value)
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    class _Package(types.ModuleType):
        def __setattr__(self, name: str, value: Any) -> None:
            if name in names and isinstance(value, types.ModuleType):
                return  # a submodule of the same name: the public name stays
            super().__setattr__(name, value)

        def __dir__(self) -> list[str]:
            return sorted({*super().__dir__(), *names})

    sys.modules[package].__class__ = _Package
    return lookup
