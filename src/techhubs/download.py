"""Hash-checked, cached, resumable downloads of the public datasets techhubs reads.

``fetch(name)`` downloads every file of a registered dataset into
``cache_dir()/downloads/<name>/`` with pooch, which checks each file against
its published checksum, moves it into the cache only when it matches, and
does not download a cached file again. What pooch cannot do is kept small
here: resuming (:class:`ResumableDownloader` keeps ``<file>.part`` and asks for
the rest with an HTTP ``Range`` request) and checking a published size. A
mismatch raises :class:`DownloadError` and deletes the file, so a corrupt
file is never left in the cache.

Where the checksums come from
-----------------------------
* ``ror``: the latest ROR data dump is looked up in its Zenodo record (concept
  record 6347574, https://ror.readme.io/docs/zenodo); Zenodo publishes an MD5
  checksum and the size of every file, and the download is checked against
  them.
* ``openalex-sample``: the smallest works partition listed in the OpenAlex
  snapshot manifest (Redshift manifest format, with ``content_length`` per
  file); the download is checked against that size.
* ``geonames`` and ``patentsview``: the publishers post no checksums and the
  files change in place (GeoNames daily), so the SHA-256 of what was received
  is recorded next to it (``<file>.sha256``) and printed; pin it with
  ``--sha256`` to reject anything else later.

``--url``/``--sha256`` override the registry for one file, and
``TECHHUBS_FETCH_BASE_URL`` (or ``base_url=``) serves every file from a mirror:
the URL becomes ``<base>/<file name>``.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pooch

from techhubs._cache import cache_dir
from techhubs.errors import DownloadError, UnknownNameError

# pooch reports each download on its logger; techhubs reports through ``progress``.
pooch.get_logger().setLevel(logging.WARNING)

Progress = Callable[[str, int, int | None], None]
"""Callback ``(file name, bytes done, bytes total or None)``."""

_ALGORITHMS = ("sha256", "md5")


@dataclass(frozen=True)
class RemoteFile:
    """One file to download.

    ``checksum`` is ``"sha256:<hex>"``, ``"md5:<hex>"`` or a bare SHA-256 hex
    digest; ``size`` the expected length in bytes; ``resolver`` names a lookup
    (``zenodo``, ``openalex-manifest``) that turns this entry into the real
    file with its published checksum or size.
    """

    url: str
    checksum: str | None = None
    filename: str | None = None
    size: int | None = None
    resolver: str | None = None

    @property
    def name(self) -> str:
        return self.filename or self.url.rstrip("/").rsplit("/", 1)[-1]


REGISTRY: dict[str, tuple[RemoteFile, ...]] = {
    "geonames": (
        RemoteFile("https://download.geonames.org/export/dump/cities500.zip"),
        RemoteFile("https://download.geonames.org/export/dump/admin1CodesASCII.txt"),
        RemoteFile("https://download.geonames.org/export/dump/countryInfo.txt"),
    ),
    "ror": (
        RemoteFile(
            "https://zenodo.org/api/records/6347574",
            filename="ror-zenodo-record.json",
            resolver="zenodo",
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
        RemoteFile(
            "https://openalex.s3.amazonaws.com/data/works/manifest",
            filename="openalex-works-manifest.json",
            resolver="openalex-manifest",
        ),
    ),
}


def dataset_names() -> list[str]:
    return sorted(REGISTRY)


def _rebase(remote: RemoteFile, base_url: str | None) -> str:
    base = base_url or os.environ.get("TECHHUBS_FETCH_BASE_URL")
    if not base:
        return remote.url
    return base.rstrip("/") + "/" + remote.name


def parse_checksum(checksum: str) -> tuple[str, str]:
    """``"md5:ab12..."`` -> ``("md5", "ab12...")``; a bare digest is SHA-256."""
    algorithm, _, digest = checksum.partition(":")
    if not digest:
        algorithm, digest = "sha256", checksum
    algorithm = algorithm.lower()
    if algorithm not in _ALGORITHMS:
        raise DownloadError(
            f"unsupported checksum algorithm {algorithm!r}", hint="use sha256 or md5"
        )
    return algorithm, digest.strip().lower()


def digest_of(path: Path, algorithm: str = "sha256") -> str:
    return str(pooch.file_hash(str(path), alg=algorithm))


def sha256_of(path: Path) -> str:
    return digest_of(path, "sha256")


class ResumableDownloader:
    """A pooch downloader that resumes an interrupted download.

    pooch downloads into a temporary file and checks the hash before it moves the
    file into the cache; it cannot resume. This downloader keeps what arrived in
    ``<file>.part`` beside the target, asks for the rest with an HTTP ``Range``
    request, and hands pooch the complete file; pooch then checks and moves it.
    The ``.part`` file is removed once the file is complete (or rejected).
    """

    def __init__(self, part: Path, progress: Progress | None = None, name: str = "",
                 timeout: float = 60.0) -> None:
        self.part = part
        self.progress = progress
        self.name = name
        self.timeout = timeout

    def __call__(self, url: str, output_file: Any, pooch_obj: Any,
                 check_only: bool = False) -> bool | None:
        import requests

        if check_only:
            return True
        done = self.part.stat().st_size if self.part.exists() else 0
        headers = {"User-Agent": "techhubs-fetch", **({"Range": f"bytes={done}-"} if done
                                                      else {})}
        try:
            response = requests.get(url, headers=headers, stream=True, timeout=self.timeout)
        except requests.RequestException as exc:
            raise DownloadError(f"cannot reach {url} ({exc})", key=self.name,
                                hint="check the network, or set TECHHUBS_FETCH_BASE_URL to a "
                                "mirror") from exc
        with response:
            if response.status_code == 416 and done:
                pass  # the part is already complete
            elif response.status_code >= 400:
                raise DownloadError(f"HTTP {response.status_code} for {url}", key=self.name)
            else:
                self._receive(url, response, done)
        with self.part.open("rb") as source, open(output_file, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
        self.part.unlink()
        return None

    def _receive(self, url: str, response: Any, done: int) -> None:
        resumed = response.status_code == 206
        done = done if resumed else 0
        length = response.headers.get("Content-Length")
        total = done + int(length) if length is not None else None
        with self.part.open("ab" if resumed else "wb") as out:
            try:
                for block in response.iter_content(1 << 16):
                    out.write(block)
                    done += len(block)
                    if self.progress:
                        self.progress(self.name, done, total)
            except OSError as exc:
                raise DownloadError(f"download of {url} interrupted ({exc}); run again to "
                                    "resume", key=self.name) from exc
        if total is not None and done < total:
            raise DownloadError(f"download of {url} stopped at {done} of {total} bytes; run "
                                "again to resume", key=self.name)


def download(
    remote: RemoteFile,
    target_dir: Path,
    *,
    base_url: str | None = None,
    progress: Progress | None = None,
    timeout: float = 60.0,
) -> Path:
    """Download one file through pooch (resuming a ``.part``), check it, return the path.

    pooch checks the published checksum and keeps the cache (a file whose hash
    matches is not downloaded again); a published size is checked here. A file
    that fails either check is deleted, never left in the cache.
    """
    target_dir.mkdir(parents=True, exist_ok=True)
    target = target_dir / remote.name
    known = None
    if remote.checksum is not None:
        algorithm, digest = parse_checksum(remote.checksum)
        known = f"{algorithm}:{digest}"
    # A file without a published checksum: the cached copy stands (when its size fits).
    if (target.exists() and known is None and (remote.resolver is None or remote.size)
            and (remote.size is None or target.stat().st_size == remote.size)):
        return target
    part = target.with_name(target.name + ".part")
    downloader = ResumableDownloader(part, progress, remote.name, timeout)
    url = _rebase(remote, base_url)
    try:
        pooch.retrieve(url, known_hash=known, fname=remote.name, path=target_dir,
                       downloader=downloader)
    except ValueError as exc:  # pooch's hash mismatch: the temporary file is gone
        part.unlink(missing_ok=True)
        raise DownloadError(_mismatch(exc, remote), key=remote.name,
                            hint="the file is corrupt or changed upstream; pass --sha256 "
                            "for a new release") from exc
    if remote.size is not None and target.stat().st_size != remote.size:
        got = target.stat().st_size
        target.unlink()
        raise DownloadError(
            f"size mismatch for {remote.name}: expected {remote.size} bytes, got {got}",
            key=remote.name, hint="the file is corrupt or changed upstream; run again")
    target.with_name(target.name + ".sha256").write_text(f"{sha256_of(target)}  {remote.name}\n")
    return target


def _mismatch(exc: ValueError, remote: RemoteFile) -> str:
    algorithm, expected = parse_checksum(remote.checksum or "")
    return f"{algorithm.upper()} mismatch for {remote.name}: expected {expected} ({exc})"


def resolve(
    remote: RemoteFile, target_dir: Path, *, base_url: str | None = None
) -> list[RemoteFile]:
    """Turn a resolver entry into the real files with their published checksum/size."""
    if remote.resolver is None:
        return [remote]
    # Index documents change with every release: always fetch them afresh.
    index = target_dir / remote.name
    index.unlink(missing_ok=True)
    path = download(remote, target_dir, base_url=base_url)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DownloadError(f"{remote.name} is not valid JSON ({exc})", key=remote.name) from exc
    if remote.resolver == "zenodo":
        return _zenodo_files(document, remote)
    if remote.resolver == "openalex-manifest":
        return _openalex_sample(document, remote)
    raise DownloadError(f"unknown resolver {remote.resolver!r}", key=remote.name)


def _zenodo_files(record: dict[str, Any], remote: RemoteFile) -> list[RemoteFile]:
    files = record.get("files") or []
    zips = [f for f in files if str(f.get("key", "")).endswith("ror-data.zip")]
    if not zips:
        raise DownloadError(
            "the Zenodo record lists no *-ror-data.zip file",
            key=remote.name,
            hint="pass --url with a ROR dump URL",
        )
    entry = zips[0]
    link = (entry.get("links") or {}).get("self") or ""
    return [
        RemoteFile(
            url=str(link),
            checksum=entry.get("checksum"),
            filename=str(entry["key"]),
            size=int(entry["size"]) if entry.get("size") is not None else None,
        )
    ]


def _openalex_sample(manifest: dict[str, Any], remote: RemoteFile) -> list[RemoteFile]:
    entries = [e for e in manifest.get("entries") or [] if e.get("url")]
    if not entries:
        raise DownloadError("the OpenAlex manifest lists no files", key=remote.name)
    smallest = min(
        entries, key=lambda e: int((e.get("meta") or {}).get("content_length") or 1 << 62)
    )
    s3 = str(smallest["url"])
    url = s3.replace("s3://openalex/", "https://openalex.s3.amazonaws.com/")
    size = (smallest.get("meta") or {}).get("content_length")
    return [RemoteFile(url=url, size=int(size) if size is not None else None)]


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
    target_dir = dest or cache_dir() / "downloads" / name
    files: list[RemoteFile]
    if url is not None:
        files = [RemoteFile(url, checksum=sha256)]
    else:
        files = []
        for entry in REGISTRY[name]:
            files.extend(resolve(entry, target_dir, base_url=base_url))
        if sha256 is not None:
            files = [replace(files[0], checksum=sha256)]
    return [download(f, target_dir, base_url=base_url, progress=progress) for f in files]
