"""Where techhubs keeps derived files: one folder, overridable with ``TECHHUBS_CACHE``.

Light on purpose (no numerical package): the command line reads kept answers from it
before anything heavy is imported.
"""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    """Where techhubs caches derived files (override with ``TECHHUBS_CACHE``)."""
    env = os.environ.get("TECHHUBS_CACHE")
    if env:
        return Path(env)
    import platformdirs

    return Path(platformdirs.user_cache_dir("techhubs"))


__all__ = ["cache_dir"]
