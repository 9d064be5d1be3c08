"""Content-addressed stage cache with all-or-nothing stage outputs.

A stage's key is the SHA-256 of its name, the code version (the techhubs
version plus the hash of the source files the stage runs), its parameters
and the keys of the stages it reads (or, for the first stage, the content
hashes of the input files). Its outputs live in ``<cache>/<stage>/<key>/``.

Crash safety: a stage writes into a fresh ``<key>.tmp-<pid>-<n>`` folder,
ends by writing ``_stage.json`` (files, sizes, SHA-256 hashes, timings)
inside it, fsyncs the files and the folder, and only then renames the folder
to ``<key>`` (an atomic rename, itself fsynced). A run killed at any moment
leaves at most a ``.tmp-`` folder, which no run trusts and the next run
removes. A finished folder is trusted only when its ``_stage.json`` is present
and every listed file has its recorded size and SHA-256, checked on every read;
a file that fails is reported by name (:attr:`StageCache.problems`) and its
stage is rebuilt.

:meth:`StageCache.entries`, :meth:`StageCache.prune` and
:meth:`StageCache.verify` serve ``techhubs cache`` (list, size, prune by age or
keep the last N per stage, check every file).

Input hashes are remembered by (path, size, mtime) in ``hashes.json``, so a
rebuild does not re-read gigabytes of unchanged inputs.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from techhubs import jsonio
from techhubs._version import __version__
from techhubs.errors import ComputationError
from techhubs.panel import file_sha256

STAGE_FILE = "_stage.json"
_PACKAGE = Path(__file__).resolve().parents[1]


def canonical(value: Any) -> str:
    """Stable JSON text of parameters (sorted keys, paths as text)."""
    return jsonio.dumps(value, indent=None)


def sha256_text(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def code_version(modules: tuple[str, ...]) -> str:
    """techhubs version + hash of the ``.py`` files of these package paths.

    ``modules`` are paths inside the package (``"clusters"``, ``"points.py"``);
    missing ones hash as absent, so adding a module changes the version too.
    """
    digest = hashlib.sha256(__version__.encode())
    for mod in sorted(modules):
        target = _PACKAGE / mod
        files = sorted(target.rglob("*.py")) if target.is_dir() else [target]
        for f in files:
            digest.update(str(f.relative_to(_PACKAGE)).encode())
            digest.update(f.read_bytes() if f.exists() else b"<absent>")
    return f"{__version__}+{digest.hexdigest()[:16]}"


class StageCache:
    """The on-disk cache of one project."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._n = 0
        self.problems: list[Problem] = []

    # ---------------------------------------------------------------- inputs
    def input_hashes(self, paths: list[Path]) -> dict[str, str]:
        """SHA-256 of each file, reusing remembered hashes of files unchanged on disk."""
        memo_path = self.root / "hashes.json"
        memo: dict[str, Any] = {}
        if memo_path.exists():
            try:
                memo = json.loads(memo_path.read_text())
            except (OSError, ValueError):
                memo = {}
        out: dict[str, str] = {}
        changed = False
        for p in paths:
            if p.is_dir():  # a snapshot folder: every file in it, by name and content
                inner = sorted(f for f in p.rglob("*") if f.is_file())
                parts = self.input_hashes(inner)
                out[str(p)] = sha256_text(*(f"{f.relative_to(p)}:{parts[str(f)]}"
                                            for f in inner))
                continue
            st = p.stat()
            name = str(p.resolve())
            entry = memo.get(name)
            if entry and entry.get("size") == st.st_size and entry.get("mtime_ns") == st.st_mtime_ns:
                out[str(p)] = entry["sha256"]
                continue
            digest = file_sha256(p)
            memo[name] = {"size": st.st_size, "mtime_ns": st.st_mtime_ns, "sha256": digest}
            out[str(p)] = digest
            changed = True
        if changed:
            self.root.mkdir(parents=True, exist_ok=True)
            write_json_atomic(memo_path, memo)
        return out

    # ---------------------------------------------------------------- stages
    def path(self, stage: str, key: str) -> Path:
        return self.root / stage / key

    def load(self, stage: str, key: str, *, verify: bool = True) -> dict[str, Any] | None:
        """The stage record when a complete, intact output exists; otherwise None.

        Every file is checked against the size and SHA-256 recorded when it was
        written; a file that does not match is reported in :attr:`problems` (by
        stage and name) and the stage is rebuilt, never trusted. With
        ``verify=False`` only presence and sizes are checked now: the caller
        must :meth:`verify_entry` the entry before it reads a file of it (a rebuild
        that reads nothing then hashes nothing).
        """
        folder = self.path(stage, key)
        record_path = folder / STAGE_FILE
        if not record_path.exists():
            return None
        try:
            record: dict[str, Any] = json.loads(record_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.problems.append(Problem(stage, STAGE_FILE, "unreadable stage record"))
            return None
        for name, entry in record.get("files", {}).items():
            why = check_file(folder / name, entry, content=verify)
            if why is not None:
                self.problems.append(Problem(stage, name, why))
                return None
        return record

    def verify_entry(self, stage: str, key: str) -> Problem | None:
        """Hash every file of a loaded entry; the first that does not match (else None)."""
        folder = self.path(stage, key)
        try:
            record = json.loads((folder / STAGE_FILE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return Problem(stage, STAGE_FILE, "unreadable stage record")
        for name, entry in record.get("files", {}).items():
            why = check_file(folder / name, entry)
            if why is not None:
                return Problem(stage, name, why)
        return None

    def discard(self, stage: str, key: str) -> None:
        """Remove an entry found corrupt, so that the next build recomputes it."""
        folder = self.path(stage, key)
        if folder.exists():
            trash = folder.with_name(f"{key}.old-{os.getpid()}-corrupt")
            folder.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)

    @contextlib.contextmanager
    def writing(self, stage: str, key: str, meta: Mapping[str, Any]) -> Iterator[Path]:
        """A temporary folder to write a stage's outputs into; committed on success.

        On success the folder gets ``_stage.json`` and is renamed to its key;
        on an exception it is removed. A kill leaves only the temporary folder.
        """
        self._n += 1
        final = self.path(stage, key)
        tmp = final.with_name(f"{key}.tmp-{os.getpid()}-{self._n}")
        final.parent.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir()
        started = time.time()
        try:
            yield tmp
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        files = {str(f.relative_to(tmp)): file_entry(f)
                 for f in sorted(tmp.rglob("*")) if f.is_file()}
        record = {"stage": stage, "key": key, "files": files, "created": time.time(),
                  "seconds": round(time.time() - started, 3), **meta}
        write_json_atomic(tmp / STAGE_FILE, record)
        fsync_dir(tmp)
        if final.exists():  # an earlier, untrusted or forced output: replace it
            trash = final.with_name(f"{key}.old-{os.getpid()}-{self._n}")
            final.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        tmp.rename(final)
        fsync_dir(final.parent)

    # ---------------------------------------------------------- maintenance
    def entries(self) -> list[CacheEntry]:
        """Every finished stage output in the cache, newest first within a stage."""
        out: list[CacheEntry] = []
        if not self.root.exists():
            return out
        for stage_dir in sorted(p for p in self.root.iterdir() if p.is_dir()):
            for folder in stage_dir.iterdir():
                record_path = folder / STAGE_FILE
                if not (folder.is_dir() and record_path.exists()):
                    continue
                try:
                    created = float(json.loads(record_path.read_text(encoding="utf-8"))
                                    .get("created", record_path.stat().st_mtime))
                except (OSError, ValueError, TypeError):
                    created = record_path.stat().st_mtime
                size = sum(f.stat().st_size for f in folder.rglob("*") if f.is_file())
                out.append(CacheEntry(stage_dir.name, folder.name, created, size, folder))
        out.sort(key=lambda e: (e.stage, -e.created, e.key))
        return out

    def prune(self, *, older_than_days: float | None = None,
              keep_last: int | None = None) -> list[CacheEntry]:
        """Remove stage outputs older than ``older_than_days`` and/or beyond the
        ``keep_last`` newest of each stage; returns what was removed."""
        if older_than_days is None and keep_last is None:
            raise ComputationError("say what to prune", key="--older-than/--keep-last",
                                   hint="e.g. --older-than 30 or --keep-last 2")
        if keep_last is not None and keep_last < 0:
            raise ComputationError("keep_last must be >= 0", key="--keep-last")
        now = time.time()
        seen: dict[str, int] = {}
        removed = []
        with self.lock():
            for entry in self.entries():
                seen[entry.stage] = seen.get(entry.stage, 0) + 1
                old = older_than_days is not None and \
                    now - entry.created > older_than_days * 86400
                extra = keep_last is not None and seen[entry.stage] > keep_last
                if old or extra:
                    shutil.rmtree(entry.path, ignore_errors=True)
                    removed.append(entry)
        return removed

    def verify(self) -> list[Problem]:
        """Check every cached file against its recorded hash (nothing is changed)."""
        problems: list[Problem] = []
        for entry in self.entries():
            record = json.loads((entry.path / STAGE_FILE).read_text(encoding="utf-8"))
            for name, recorded in record.get("files", {}).items():
                why = check_file(entry.path / name, recorded)
                if why is not None:
                    problems.append(Problem(f"{entry.stage}/{entry.key}", name, why))
        return problems

    def clean_partial(self) -> list[Path]:
        """Remove leftovers of interrupted runs (``.tmp-``/``.old-`` folders, damaged stages)."""
        removed: list[Path] = []
        if not self.root.exists():
            return removed
        for stage_dir in self.root.iterdir():
            if not stage_dir.is_dir():
                continue
            for entry in stage_dir.iterdir():
                if ".tmp-" in entry.name or ".old-" in entry.name or (
                        entry.is_dir() and not (entry / STAGE_FILE).exists()):
                    shutil.rmtree(entry, ignore_errors=True)
                    removed.append(entry)
        return removed

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """One build at a time per cache (an advisory lock on ``<cache>/.lock``)."""
        import fcntl

        self.root.mkdir(parents=True, exist_ok=True)
        handle = open(self.root / ".lock", "w")  # noqa: SIM115 - held for the block
        try:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                raise ComputationError(
                    "another build is running on this cache", file=self.root,
                    hint="wait for it to finish") from None
            yield
        finally:
            handle.close()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON durably: to a temporary file, fsync, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(jsonio.dumps(data) + "\n")
        handle.flush()
        os.fsync(handle.fileno())
    tmp.replace(path)


def fsync_dir(path: Path) -> None:
    """Make the files and renames inside ``path`` durable (POSIX: fsync the files and
    the directory)."""
    for f in path.iterdir():
        if f.is_file():
            with open(f, "rb") as handle:
                os.fsync(handle.fileno())
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class CacheEntry:
    """One finished stage output."""

    stage: str
    key: str
    created: float
    size: int
    path: Path


@dataclass(frozen=True)
class Problem:
    """A cached file that failed its check: where, and why."""

    stage: str
    file: str
    reason: str

    def describe(self) -> str:
        return f"{self.stage}: cached {self.file} {self.reason}; rebuilt"


def file_entry(path: Path) -> dict[str, Any]:
    """What a cache records of a file it wrote: size and SHA-256."""
    return {"size": path.stat().st_size, "sha256": file_sha256(path)}


def check_file(path: Path, entry: Any, *, content: bool = True) -> str | None:
    """Why ``path`` does not match its recorded ``entry`` (None when it does); with
    ``content=False`` only presence and size."""
    if not isinstance(entry, Mapping) or "sha256" not in entry:
        return "has no recorded hash (written by an older techhubs)"
    if not path.exists():
        return "is missing"
    if path.stat().st_size != entry.get("size"):
        return f"has {path.stat().st_size} bytes, not the {entry.get('size')} recorded"
    if content and file_sha256(path) != entry["sha256"]:
        return "is corrupt (its SHA-256 differs from the one recorded)"
    return None
