"""Streaming text input shared by the readers: gzip, any line ending, bad bytes.

* gzip is detected by its magic bytes, whatever the file is called; a
  truncated or corrupt gzip stream is a :class:`DataError` naming the file and
  the last good line.
* A zip archive (as ROR's dump and PatentsView's tables are published) is read
  as its largest member (ROR: the schema v2 JSON), and its layout (CSV or JSON)
  is told by that member's name.
* Lines end in ``\\n``, ``\\r\\n`` or a lone ``\\r`` (old Mac exports).
* Each line is decoded as UTF-8. A line that is not valid UTF-8 is decoded
  with ``fallback_encoding`` when one is given (and noted in the report as
  repaired); without one the record is dropped as ``invalid encoding``.
* Memory is bounded by the chunk size and one CSV record.
"""

from __future__ import annotations

import csv
import gzip
import io
import re
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

from techhubs.errors import DataError
from techhubs.sources.accounting import INVALID_ENCODING, UNPARSEABLE, IngestReport

_CHUNK = 1 << 20
_LINE_END = re.compile(rb"\r\n|\r|\n")
_GZIP_ERRORS = (EOFError, gzip.BadGzipFile, zlib.error, OSError)


class _ZipMember(io.RawIOBase):
    """One member of a zip archive as a stream that closes the archive with it."""

    def __init__(self, archive: zipfile.ZipFile, name: str) -> None:
        self._archive = archive
        self._member = archive.open(name)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        data = self._member.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        if not self.closed:
            self._member.close()
            self._archive.close()
        super().close()


def zip_member(path: str | Path) -> str | None:
    """The member a zip archive is read as (its largest file; ties by name), or None
    when ``path`` is not a zip archive."""
    p = Path(path)
    try:
        with p.open("rb") as handle:
            if handle.read(4) not in (b"PK\x03\x04", b"PK\x05\x06"):  # a member, or none
                return None
        with zipfile.ZipFile(p) as archive:
            files = [i for i in archive.infolist() if not i.is_dir()]
    except (OSError, zipfile.BadZipFile) as exc:
        raise DataError(f"not a readable zip archive ({exc})", file=p,
                        hint="download the file again (techhubs fetch checks hashes)") from exc
    if not files:
        raise DataError("the zip archive holds no file", file=p)
    return max(files, key=lambda i: (i.file_size, [-ord(c) for c in i.filename])).filename


def open_binary(path: str | Path) -> IO[bytes]:
    """Open ``path`` for reading bytes, transparently un-gzipping (and reading a zip
    archive's largest member)."""
    p = Path(path)
    if not p.exists():
        raise DataError("file not found", file=p)
    if p.is_dir():
        raise DataError("is a directory, not a file", file=p,
                        hint="name the data files themselves (a glob such as dir/*.jsonl.gz)")
    try:
        handle: IO[bytes] = p.open("rb")
    except OSError as exc:
        raise DataError(f"cannot be read ({exc.strerror})", file=p) from exc
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"PK":
        handle.close()
        member = zip_member(p)
        if member is not None:
            return io.BufferedReader(_ZipMember(zipfile.ZipFile(p), member), _CHUNK)
        handle = p.open("rb")
    if magic == b"\x1f\x8b":
        # A GzipFile given a file object never closes it: hand it the name
        # instead so that closing the stream closes the file too.
        handle.close()
        return gzip.open(p, "rb")  # type: ignore[return-value]
    return handle


def read_head(path: str | Path, size: int) -> bytes:
    """The first ``size`` bytes of ``path`` (un-gzipped), for telling its layout."""
    try:
        with open_binary(path) as handle:
            return handle.read(size)
    except _GZIP_ERRORS as exc:
        raise DataError(f"compressed stream is truncated or corrupt ({exc})", file=path,
                        line=1, hint="download the file again (techhubs fetch checks hashes)"
                        ) from exc


def iter_raw_lines(path: str | Path) -> Iterator[bytes]:
    """Physical lines of ``path`` without their terminators."""
    line_no = 0
    with open_binary(path) as handle:
        pending = b""
        while True:
            try:
                chunk = handle.read(_CHUNK)
            except _GZIP_ERRORS as exc:
                raise DataError(
                    f"compressed stream is truncated or corrupt ({exc})",
                    file=path,
                    line=line_no + 1,
                    hint="download the file again (techhubs fetch checks hashes)",
                ) from exc
            if not chunk:
                break
            data = pending + chunk
            # A trailing \r may be the first half of \r\n: keep it for the next chunk.
            parts = _LINE_END.split(data[:-1] if data.endswith(b"\r") else data)
            pending = parts.pop() + (b"\r" if data.endswith(b"\r") else b"")
            for part in parts:
                line_no += 1
                yield part
        if pending.endswith(b"\r"):
            yield pending[:-1]  # a line ended by a lone CR at the very end
        elif pending:
            yield pending


def iter_text_lines(
    path: str | Path,
    report: IngestReport,
    fallback_encoding: str | None = None,
    bad_lines: set[int] | None = None,
) -> Iterator[str]:
    """Decoded lines, each ending in ``\\n`` (for :mod:`csv`).

    Lines that are not UTF-8 are repaired with ``fallback_encoding`` (noted
    in ``report``) or, without one, decoded with replacement characters and
    their numbers added to ``bad_lines`` so that the caller drops the record.
    """
    for line_no, raw in enumerate(iter_raw_lines(path), start=1):
        if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            if fallback_encoding:
                text = raw.decode(fallback_encoding, errors="replace")
                report.note(
                    f"bytes not UTF-8, decoded as {fallback_encoding}",
                    file=path,
                    line=line_no,
                    detail=repr(raw[max(exc.start - 8, 0) : exc.end + 8]),
                )
            else:
                text = raw.decode("utf-8", errors="replace")
                if bad_lines is not None:
                    bad_lines.add(line_no)
        yield text + "\n"


def iter_csv_records(
    path: str | Path,
    report: IngestReport,
    *,
    required: tuple[str, ...],
    delimiter: str = ",",
    fallback_encoding: str | None = None,
) -> Iterator[tuple[int, dict[str, str]]]:
    """Records of a delimited text file as ``(line, {column: text})``.

    Raises :class:`DataError` for an empty file or a header without the
    ``required`` columns. Records with the wrong number of fields or invalid
    bytes are read and dropped with a counted reason.
    """
    bad_lines: set[int] = set()
    lines = iter_text_lines(path, report, fallback_encoding, bad_lines)
    reader = csv.reader(lines, delimiter=delimiter, strict=False)
    try:
        header = next(reader)
    except StopIteration:
        raise DataError("file is empty (no header line)", file=path, line=1) from None
    header = [h.strip() for h in header]
    if not any(header):
        raise DataError("first line is empty, expected a header", file=path, line=1)
    missing = [c for c in required if c not in header]
    if missing:
        raise DataError(
            f"missing required column(s): {', '.join(missing)}",
            file=path,
            line=1,
            key=missing[0],
            hint=_header_hint(header, delimiter),
        )
    width = len(header)
    previous_end = reader.line_num
    while True:
        try:
            fields = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.read()
            report.drop(UNPARSEABLE, file=path, line=reader.line_num, detail=str(exc))
            previous_end = reader.line_num
            continue
        start, end = previous_end + 1, reader.line_num
        previous_end = end
        if not fields or (len(fields) == 1 and not fields[0].strip()):
            continue  # blank line, not a record
        report.read()
        if bad_lines and any(n in bad_lines for n in range(start, end + 1)):
            report.drop(INVALID_ENCODING, file=path, line=start, detail="bytes are not UTF-8")
            continue
        if len(fields) != width:
            report.drop(
                UNPARSEABLE,
                file=path,
                line=start,
                detail=f"{len(fields)} fields, header has {width}",
            )
            continue
        yield start, dict(zip(header, fields, strict=True))


def _header_hint(header: list[str], delimiter: str) -> str:
    found = f"columns found: {', '.join(repr(h) for h in header[:12])}"
    if len(header) == 1:
        for name, cand in (("tab", "\t"), ("comma", ","), ("semicolon", ";"), ("pipe", "|")):
            if cand != delimiter and cand in header[0]:
                return f"{found}; the file looks {name}-delimited, pass the matching --delimiter"
    return found


class Unparseable:
    """A record that could not be parsed, with why (kept in the stream to be counted)."""

    def __init__(self, why: str) -> None:
        self.why = why


def is_csv(path: str | Path) -> bool:
    """Whether a (possibly gzipped or zipped) file is CSV/TSV by its name (a zip
    archive: by the name of the member it is read as)."""
    p = Path(path)
    member = zip_member(p) if p.suffix.lower() == ".zip" and p.is_file() else None
    name = (member or p.name).lower().removesuffix(".gz")
    return name.endswith((".csv", ".tsv"))
