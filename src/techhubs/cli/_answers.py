"""Answers the command line has computed before, kept so that asking again is instant.

``techhubs rank`` on a bundled edition is a pure function of the package (its code and
data files), the methodology file and the options. The ranking it computes is saved
(:meth:`~techhubs.index.ranking.Ranking.save`, with a SHA-256 of the table) under a key of
all of those: the size and modification time of every file of the installed package,
the methodology file's bytes when it is the user's, the options. Any change of an input
changes the key; a saved answer that fails its hash is recomputed. At most
:data:`KEEP` answers are kept (oldest removed). Nothing here ever changes an answer:
the first run computes it, later runs read it.

What a command printed is kept too (:func:`load_text`, :func:`save_text`), under a key
that adds the output format, the terminal width and colour: reading it back needs no
numerical package, so asking again costs little more than starting Python.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import shutil
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from techhubs._cache import cache_dir
from techhubs.errors import TechhubsError

if TYPE_CHECKING:
    from techhubs.index.ranking import Ranking

KEEP = 32
PACKAGE = Path(__file__).resolve().parents[1]


@functools.cache
def package_fingerprint() -> str:
    """Size and modification time of every file of the package: a new version, an edit,
    new data all change it."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            st = path.stat()
            digest.update(f"{path.relative_to(PACKAGE)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return digest.hexdigest()


def answer_key(command: str, **options: Any) -> str:
    """The key of an answer: the package, the options, and the bytes of a user's
    methodology file when one is named."""
    method = options.get("method")
    method_bytes = ""
    if method and Path(str(method)).is_file():
        method_bytes = hashlib.sha256(Path(str(method)).read_bytes()).hexdigest()
    text = json.dumps({"command": command, "package": package_fingerprint(),
                       "options": options, "method_file": method_bytes}, sort_keys=True,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _root() -> Path:
    return cache_dir() / "answers"


def load_answer(key: str) -> tuple[Ranking, list[str]] | None:
    from techhubs.index.ranking import Ranking

    folder = _root() / key
    if not (folder / "footer.json").exists():
        return None
    try:
        footer = json.loads((folder / "footer.json").read_text(encoding="utf-8"))
        return Ranking.load(folder), list(footer)
    except (TechhubsError, OSError, ValueError):
        shutil.rmtree(folder, ignore_errors=True)  # not intact: recomputed and rewritten
        return None


def save_answer(key: str, ranking: Ranking, footer: list[str]) -> None:
    """Keep an answer (silently skipped where the cache cannot be written)."""
    root = _root()
    tmp = root / f".{key}.tmp{os.getpid()}"
    try:
        ranking.save(tmp)
        (tmp / "footer.json").write_text(json.dumps(footer), encoding="utf-8")
        tmp.replace(root / key)
    except OSError:
        shutil.rmtree(tmp, ignore_errors=True)
        return
    answers = sorted((p for p in root.iterdir() if p.is_dir() and not p.name.startswith(".")),
                     key=lambda p: p.stat().st_mtime)
    for old in answers[:-KEEP]:
        shutil.rmtree(old, ignore_errors=True)
    os.utime(root / key, (time.time(), time.time()))


def load_text(key: str) -> str | None:
    """What a command printed for ``key``, if kept and intact (its SHA-256 is checked)."""
    path = _root() / f"{key}.txt.json"
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        text = str(kept["text"])
        if hashlib.sha256(text.encode("utf-8")).hexdigest() != kept["sha256"]:
            raise ValueError("hash differs")
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        path.unlink(missing_ok=True)  # damaged: recomputed and rewritten
        return None
    return text


def save_text(key: str, text: str) -> None:
    """Keep what a command printed (silently skipped where the cache cannot be written)."""
    root = _root()
    path = root / f"{key}.txt.json"
    tmp = root / f".{key}.tmp{os.getpid()}"
    try:
        root.mkdir(parents=True, exist_ok=True)
        tmp.write_text(json.dumps({"sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
                                   "text": text}), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        tmp.unlink(missing_ok=True)
        return
    kept = sorted(root.glob("*.txt.json"), key=lambda p: p.stat().st_mtime)
    for old in kept[:-KEEP]:
        old.unlink(missing_ok=True)
