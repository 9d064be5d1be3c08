"""Content-addressed stage cache with all-or-nothing stage outputs.

A stage's key is the SHA-256 of its name, the code version (the techhubs
version plus the hash of the source files the stage runs), its parameters
and the keys of the stages it reads (or, for the first stage, the content
hashes of the input files). Its outputs live in ``<cache>/<stage>/<key>/``.

Crash safety: a stage writes into a fresh ``<key>.tmp-<pid>-<n>`` folder,
ends by writing ``_stage.json`` (files, sizes, hashes, timings) inside it,
and only then renames the folder to ``<key>`` (an atomic rename). A run
killed at any moment leaves at most a ``.tmp-`` folder, which no run trusts
and the next run removes. A finished folder is trusted only when its
``_stage.json`` is present and every listed file has its recorded size.

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
from pathlib import Path
from typing import Any

from techhubs._version import __version__
from techhubs.errors import ComputationError

STAGE_FILE = "_stage.json"
_PACKAGE = Path(__file__).resolve().parents[1]


def canonical(value: Any) -> str:
    """Stable JSON text of parameters (sorted keys, paths as text)."""
    return json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))


def sha256_text(*parts: str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 22), b""):
            digest.update(block)
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

    def load(self, stage: str, key: str) -> dict[str, Any] | None:
        """The stage record when a complete, intact output exists; otherwise None."""
        folder = self.path(stage, key)
        record_path = folder / STAGE_FILE
        if not record_path.exists():
            return None
        try:
            record: dict[str, Any] = json.loads(record_path.read_text())
        except (OSError, ValueError):
            return None
        for name, size in record.get("files", {}).items():
            f = folder / name
            if not f.exists() or f.stat().st_size != size:
                return None
        return record

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
        files = {str(f.relative_to(tmp)): f.stat().st_size
                 for f in sorted(tmp.rglob("*")) if f.is_file()}
        record = {"stage": stage, "key": key, "files": files, "created": time.time(),
                  "seconds": round(time.time() - started, 3), **meta}
        write_json_atomic(tmp / STAGE_FILE, record)
        if final.exists():  # an earlier, untrusted or forced output: replace it
            trash = final.with_name(f"{key}.old-{os.getpid()}-{self._n}")
            final.rename(trash)
            shutil.rmtree(trash, ignore_errors=True)
        tmp.rename(final)

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
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(data, indent=2, sort_keys=True, default=str, ensure_ascii=False))
    tmp.replace(path)
