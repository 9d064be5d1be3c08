"""OpenAlex snapshot folders: the parts a manifest lists and the record count of each.

Kept apart from the reader (no numerical package) so that whoever only needs the list of
parts, such as the Dask driver that sends one part per task, loads nothing heavy.
"""

from __future__ import annotations

import json
from pathlib import Path

from techhubs.errors import DataError

PathLike = str | Path


def snapshot_parts(folder: PathLike) -> tuple[list[Path], dict[Path, int]]:
    """The parts of an OpenAlex snapshot folder and their record counts from its manifest.

    ``folder`` is the entity folder (``.../data/works``, holding ``manifest`` and
    ``updated_date=*/part_*.gz``) or a folder above it holding ``works/``. Parts are
    read in the manifest's order; a part the manifest lists but the folder lacks is a
    DataError, and so is a folder without a manifest.
    """
    root = Path(folder)
    if not (root / "manifest").exists() and (root / "works" / "manifest").exists():
        root = root / "works"
    manifest = root / "manifest"
    if not manifest.exists():
        raise DataError("no manifest in the snapshot folder", file=root,
                        hint="give the works folder of an OpenAlex snapshot (it holds "
                             "'manifest' and updated_date=*/part_*.gz), or the part files")
    try:
        entries = json.loads(manifest.read_text(encoding="utf-8"))["entries"]
        listed = [(str(e["url"]), int(e["meta"]["record_count"])) for e in entries]
    except (ValueError, KeyError, TypeError) as exc:
        raise DataError(f"manifest is not an OpenAlex manifest ({exc})", file=manifest,
                        hint="it is JSON with entries[].url and entries[].meta.record_count"
                        ) from exc
    parts: list[Path] = []
    counts: dict[Path, int] = {}
    for url, count in listed:
        tail = url.split("/works/", 1)[-1] if "/works/" in url else url.rsplit("/", 2)[-2:]
        part = root / (tail if isinstance(tail, str) else "/".join(tail))
        if not part.exists():
            raise DataError(f"the manifest lists {part.relative_to(root)}, which is missing",
                            file=manifest, hint="download the snapshot again (aws s3 sync "
                                                "resumes), or give the parts you have as files")
        parts.append(part)
        counts[part] = count
    return parts, counts


def expand_paths(paths: list[PathLike] | tuple[PathLike, ...]
                 ) -> tuple[list[Path], dict[Path, int]]:
    """``paths`` with every snapshot folder replaced by its parts, and the record count the
    manifest gives each of those parts."""
    files: list[Path] = []
    counts: dict[Path, int] = {}
    for p in paths:
        if Path(p).is_dir():
            parts, expected = snapshot_parts(p)
            files += parts
            counts |= expected
        else:
            files.append(Path(p))
    return files, counts


__all__ = ["expand_paths", "snapshot_parts"]
