"""Methodologies shipped with techhubs, one TOML file each."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path

from techhubs.errors import UnknownNameError


def _directory() -> Path:
    return Path(str(resources.files(__name__)))


def list_presets() -> list[dict[str, str]]:
    """Name, title and description of every shipped methodology."""
    out = []
    for path in sorted(_directory().glob("*.toml")):
        with open(path, "rb") as handle:
            raw = tomllib.load(handle)
        out.append({"name": path.stem, "title": raw.get("title", ""),
                    "description": raw.get("description", "").strip()})
    return out


def preset_path(name: str) -> Path:
    path = _directory() / f"{name}.toml"
    if not path.exists():
        names = ", ".join(p["name"] for p in list_presets())
        raise UnknownNameError(f"no methodology preset named {name!r}", key=name,
                               hint=f"presets: {names}; or give a .toml file")
    return path


def is_preset_file(path: Path) -> bool:
    """Whether ``path`` is one of the shipped methodology files."""
    return path.suffix == ".toml" and path.resolve().parent == _directory().resolve()
