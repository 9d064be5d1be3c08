"""Downloads against a local HTTP server on 127.0.0.1 (never the internet)."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from techhubs.download import RemoteFile, download, fetch
from techhubs.errors import DownloadError, UnknownNameError


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Static files with HTTP Range support (resumable downloads)."""

    def log_message(self, *args: object) -> None:
        pass

    def do_GET(self) -> None:
        path = Path(self.translate_path(self.path))
        if not path.is_file():
            self.send_error(404)
            return
        data = path.read_bytes()
        start = 0
        header = self.headers.get("Range")
        if header and header.startswith("bytes="):
            start = int(header[6:].split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(data) - start))
        self.end_headers()
        self.wfile.write(data[start:])


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    root = tmp_path / "www"
    root.mkdir()
    (root / "admin1CodesASCII.txt").write_bytes(b"US.CA\tCalifornia\tCalifornia\t5332921\n" * 50)
    (root / "corrupt.zip").write_bytes(b"not the real bytes")
    good = b"PK\x03\x04 a ROR dump"
    (root / "v1.55-2024-10-31-ror-data.zip").write_bytes(good)
    record = {
        "files": [
            {
                "key": "v1.55-2024-10-31-ror-data.zip",
                "size": len(good),
                "checksum": "md5:" + hashlib.md5(good).hexdigest(),
                "links": {"self": "https://zenodo.org/api/records/1/files/x/content"},
            }
        ]
    }
    (root / "ror-zenodo-record.json").write_text(json.dumps(record))
    part = b'{"id": "W1"}\n' * 10
    (root / "part_000.gz").write_bytes(part)
    manifest = {
        "entries": [
            {
                "url": "s3://openalex/data/works/updated_date=2023-05-17/part_000.gz",
                "meta": {"content_length": len(part), "record_count": 10},
            },
            {
                "url": "s3://openalex/data/works/updated_date=2023-05-18/part_001.gz",
                "meta": {"content_length": 10**9, "record_count": 10**6},
            },
        ]
    }
    (root / "openalex-works-manifest.json").write_text(json.dumps(manifest))
    handler = lambda *a: RangeHandler(*a, directory=str(root))  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", root
    httpd.shutdown()
    httpd.server_close()
    thread.join()


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_download_checks_hash_and_caches(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    body = (root / "admin1CodesASCII.txt").read_bytes()
    seen: list[int] = []
    remote = RemoteFile("https://example.org/x/admin1CodesASCII.txt", checksum=sha(body))
    path = download(
        remote, tmp_path / "cache", base_url=base, progress=lambda n, d, t: seen.append(d)
    )
    assert path.read_bytes() == body and seen[-1] == len(body)
    (root / "admin1CodesASCII.txt").unlink()  # cached: no second request
    assert download(remote, tmp_path / "cache", base_url=base) == path


def test_corrupted_file_rejected_and_not_cached(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    remote = RemoteFile("https://example.org/corrupt.zip", checksum="sha256:" + "0" * 64)
    with pytest.raises(DownloadError, match="SHA256 mismatch"):
        download(remote, tmp_path / "cache", base_url=base)
    assert list((tmp_path / "cache").iterdir()) == []


def test_resume_from_partial_file(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    body = (root / "admin1CodesASCII.txt").read_bytes()
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "admin1CodesASCII.txt.part").write_bytes(body[:100])
    fetched: list[int] = []
    remote = RemoteFile("https://e.org/admin1CodesASCII.txt", checksum=sha(body))
    path = download(remote, cache, base_url=base, progress=lambda n, d, t: fetched.append(d))
    assert path.read_bytes() == body
    assert fetched[0] > 100  # counted from the resumed offset, not from zero


def test_fetch_by_name_with_env_base_url(
    server: tuple[str, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    base, root = server
    monkeypatch.setenv("TECHHUBS_FETCH_BASE_URL", base)
    body = (root / "admin1CodesASCII.txt").read_bytes()
    paths = fetch(
        "geonames",
        url="https://download.geonames.org/export/dump/admin1CodesASCII.txt",
        sha256=sha(body),
        dest=tmp_path / "d",
    )
    assert paths[0].read_bytes() == body
    with pytest.raises(UnknownNameError):
        fetch("nope")


def test_ror_from_zenodo_record_checked_against_published_md5(
    server: tuple[str, Path], tmp_path: Path
) -> None:
    base, root = server
    paths = fetch("ror", base_url=base, dest=tmp_path / "ror")
    assert paths[0].name == "v1.55-2024-10-31-ror-data.zip"
    assert paths[0].read_bytes() == (root / paths[0].name).read_bytes()


def test_ror_corrupt_dump_rejected(server: tuple[str, Path], tmp_path: Path) -> None:
    base, root = server
    # same length as the published file, one byte different: only the MD5 can tell
    (root / "v1.55-2024-10-31-ror-data.zip").write_bytes(b"PK\x03\x04 a ROR dumq")
    with pytest.raises(DownloadError, match="MD5 mismatch"):
        fetch("ror", base_url=base, dest=tmp_path / "ror")
    assert not list((tmp_path / "ror").glob("*.zip*"))


def test_openalex_sample_is_smallest_partition(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    paths = fetch("openalex-sample", base_url=base, dest=tmp_path / "oa")
    assert paths[0].name == "part_000.gz"
    assert paths[0].stat().st_size == 130


def test_missing_file_is_download_error(server: tuple[str, Path], tmp_path: Path) -> None:
    base, _ = server
    with pytest.raises(DownloadError, match="404"):
        download(RemoteFile("https://e.org/absent.txt"), tmp_path, base_url=base)
    with pytest.raises(DownloadError, match="SHA256 mismatch"):
        download(
            RemoteFile("https://e.org/corrupt.zip", checksum="1" * 64), tmp_path, base_url=base
        )


def test_fetch_command_with_progress(server: tuple[str, Path], tmp_path: Path) -> None:
    from click.testing import CliRunner

    from techhubs.cli import cli

    base, _ = server
    result = CliRunner().invoke(
        cli, ["fetch", "openalex-sample", "--base-url", base, "--dest", str(tmp_path / "oa")]
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "oa" / "part_000.gz").exists()
    assert "part_000.gz" in result.output
