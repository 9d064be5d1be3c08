"""Hash-checked, cached, resumable downloads of the public datasets techhubs reads.

``fetch(name)`` downloads every file of a registered dataset into
``cache_dir()/downloads/<name>/``. A download goes to ``<file>.part`` and
resumes from there with an HTTP ``Range`` request; only a file whose SHA-256
matches is moved into place. A mismatch raises :class:`DownloadError` and
deletes the partial file, so a corrupt file is never left in the cache.

Upstream files change with their releases (GeoNames daily, ROR and
PatentsView with each release), so the registry pins a hash only where the
file is versioned; elsewhere the hash is recorded on first download
(``<file>.sha256``) and later downloads are checked against ``--sha256`` when
given. ``TECHHUBS_FETCH_BASE_URL`` (or ``base_url=``) replaces the host part of
every URL: a mirror, or a local test server.
"""

from __future__ import annotations

import hashlib
import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from techhubs.errors import DownloadError, UnknownNameError
from techhubs.geo.gazetteer import cache_dir

Progress = Callable[[str, int, int | None], None]
"""Callback ``(file name, bytes done, bytes total or None)``."""


@dataclass(frozen=True)
class RemoteFile:
    url: str
    sha256: str | None = None
    filename: str | None = None

    @property
    def name(self) -> str:
        return self.filename or self.url.rsplit("/", 1)[-1]


REGISTRY: dict[str, tuple[RemoteFile, ...]] = {
    "geonames": (
        RemoteFile("https://download.geonames.org/export/dump/cities500.zip"),
        RemoteFile("https://download.geonames.org/export/dump/admin1CodesASCII.txt"),
        RemoteFile("https://download.geonames.org/export/dump/countryInfo.txt"),
    ),
    "ror": (
        # ROR data dump v1.55 (Zenodo record 13950911), JSON v2 schema inside the zip.
        RemoteFile(
            "https://zenodo.org/records/13950911/files/v1.55-2024-10-31-ror-data.zip",
            filename="ror-data.zip",
        ),
    ),
    "patentsview": (
        RemoteFile(
            "https://s3.amazonaws.com/data.patentsview.org/download/g_inventor_disambiguated.tsv.zip"
        ),
        RemoteFile(
            "https://s3.amazonaws.com/data.patentsview.org/download/g_location_disambiguated.tsv.zip"
        ),
        RemoteFile("https://s3.amazonaws.com/data.patentsview.org/download/g_patent.tsv.zip"),
    ),
    "openalex-sample": (
        # One partition of the public OpenAlex snapshot (S3 bucket openalex, no sign-in).
        RemoteFile(
            "https://openalex.s3.amazonaws.com/data/works/updated_date=2023-05-17/part_000.gz",
            filename="works-part_000.gz",
        ),
        RemoteFile(
            "https://openalex.s3.amazonaws.com/data/institutions/updated_date=2023-05-17/part_000.gz",
            filename="institutions-part_000.gz",
        ),
    ),
}


def dataset_names() -> list[str]:
    return sorted(REGISTRY)


def _rebase(url: str, base_url: str | None) -> str:
    base = base_url or os.environ.get("TECHHUBS_FETCH_BASE_URL")
    if not base:
        return url
    return base.rstrip("/") + "/" + url.rsplit("/", 1)[-1]


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def download(
    remote: RemoteFile,
    target_dir: Path,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download one file (resuming a ``.part``), check its hash, return the cached path."""
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / remote.name
    if target.exists() and (remote.sha256 is None or sha256_of(target) == remote.sha256):
        return target
    url = _rebase(remote.url, base_url)
    part = target.with_name(target.name + ".part")
    done = part.stat().st_size if part.exists() else 0
    request = urllib.request.Request(url, headers={"User-Agent": "techhubs"})
    if done:
        request.add_header("Range", f"bytes={done}-")
    try:
        response = urllib.request.urlopen(request, timeout=timeout)
    except urllib.error.HTTPError as exc:
        if exc.code == 416 and done:  # the part is already complete
            response = None
        else:
            raise DownloadError(f"HTTP {exc.code} for {url}", key=remote.name) from exc
    except (urllib.error.URLError, OSError) as exc:
        raise DownloadError(
            f"cannot reach {url} ({exc})",
            key=remote.name,
            hint="check the network, or set TECHHUBS_FETCH_BASE_URL to a mirror",
        ) from exc
    if response is not None:
        with response:
            resumed = response.status == 206
            if not resumed:
                done = 0
            length = response.headers.get("Content-Length")
            total = done + int(length) if length is not None else None
            with part.open("ab" if resumed else "wb") as out:
                while True:
                    try:
                        block = response.read(1 << 16)
                    except OSError as exc:
                        raise DownloadError(
                            f"download of {url} interrupted ({exc}); run again to resume",
                            key=remote.name,
                        ) from exc
                    if not block:
                        break
                    out.write(block)
                    done += len(block)
                    if progress:
                        progress(remote.name, done, total)
            if total is not None and done < total:
                raise DownloadError(
                    f"download of {url} stopped at {done} of {total} bytes; run again to resume",
                    key=remote.name,
                )
    digest = sha256_of(part)
    if remote.sha256 is not None and digest != remote.sha256.lower():
        part.unlink(missing_ok=True)
        raise DownloadError(
            f"SHA-256 mismatch for {remote.name}: expected {remote.sha256}, got {digest}",
            key=remote.name,
            hint="the file is corrupt or changed upstream; pass --sha256 for a new release",
        )
    part.replace(target)
    target.with_name(target.name + ".sha256").write_text(f"{digest}  {remote.name}\n")
    return target


def fetch(
    name: str,
    *,
    url: str | None = None,
    sha256: str | None = None,
    base_url: str | None = None,
    dest: Path | None = None,
    progress: Progress | None = None,
) -> list[Path]:
    """Download the files of dataset ``name``; ``url``/``sha256`` override a one-file fetch."""
    if name not in REGISTRY:
        raise UnknownNameError(
            f"unknown dataset {name!r}", key=name, hint=f"choose from {', '.join(dataset_names())}"
        )
    files = REGISTRY[name]
    if url is not None or sha256 is not None:
        first = files[0]
        files = (
            RemoteFile(url or first.url, sha256 or first.sha256, None if url else first.filename),
        )
    target_dir = dest or cache_dir() / "downloads" / name
    return [download(f, target_dir, base_url=base_url, progress=progress) for f in files]
