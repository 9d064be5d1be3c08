"""Deprecated: the methodology specification moved to :mod:`techhubs.methodology`.

``from techhubs.config import load_methodology`` keeps working and warns;
import from ``techhubs.methodology`` (or ``techhubs``) instead.
"""

from __future__ import annotations

import warnings
from typing import Any

from techhubs import methodology as _methodology


def __getattr__(name: str) -> Any:
    value = getattr(_methodology, name)  # AttributeError for unknown names, as before
    warnings.warn("techhubs.config is deprecated: import from techhubs.methodology",
                  DeprecationWarning, stacklevel=2)
    return value
