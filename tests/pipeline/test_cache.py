"""The stage cache: all-or-nothing stage folders, trust rules, input hash memo."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from techhubs.pipeline import cache as cache_mod
from techhubs.pipeline.cache import STAGE_FILE, StageCache, code_version

SRC = Path(__file__).resolve().parents[2] / "src"


def test_committed_stage_is_trusted(tmp_path) -> None:
    c = StageCache(tmp_path)
    with c.writing("s", "k1", {"params": {"a": 1}}) as d:
        (d / "out.txt").write_text("hello")
    record = c.load("s", "k1")
    assert record is not None and record["files"] == {
        "out.txt": {"size": 5, "sha256": hashlib.sha256(b"hello").hexdigest()}}
    assert record["params"] == {"a": 1}
    assert (tmp_path / "s" / "k1" / "out.txt").read_text() == "hello"


def test_failed_stage_leaves_nothing(tmp_path) -> None:
    c = StageCache(tmp_path)
    with pytest.raises(RuntimeError), c.writing("s", "k1", {}) as d:
        (d / "half.txt").write_text("half")
        raise RuntimeError("boom")
    assert c.load("s", "k1") is None
    assert list((tmp_path / "s").iterdir()) == []


def test_damaged_stage_is_not_trusted(tmp_path) -> None:
    c = StageCache(tmp_path)
    with c.writing("s", "k1", {}) as d:
        (d / "out.txt").write_text("hello")
    (tmp_path / "s" / "k1" / "out.txt").write_text("hell")  # truncated
    assert c.load("s", "k1") is None
    (tmp_path / "s" / "k1" / STAGE_FILE).write_text("{not json")
    assert c.load("s", "k1") is None


def test_killed_writer_leaves_only_an_untrusted_temporary(tmp_path) -> None:
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(SRC)!r})
        from techhubs.pipeline.cache import StageCache
        c = StageCache({str(tmp_path)!r})
        with c.writing("s", "k1", {{}}) as d:
            (d / "half.txt").write_text("half")
            os.kill(os.getpid(), signal.SIGKILL)
    """)
    proc = subprocess.run([sys.executable, "-c", script], check=False)
    assert proc.returncode == -signal.SIGKILL
    c = StageCache(tmp_path)
    assert c.load("s", "k1") is None
    leftovers = list((tmp_path / "s").iterdir())
    assert len(leftovers) == 1 and ".tmp-" in leftovers[0].name
    assert c.clean_partial() == leftovers
    assert list((tmp_path / "s").iterdir()) == []


def test_input_hashes_are_remembered_until_the_file_changes(tmp_path, monkeypatch) -> None:
    f = tmp_path / "in.csv"
    f.write_text("a,b\n1,2\n")
    c = StageCache(tmp_path / "cache")
    first = c.input_hashes([f])
    calls = []
    real = cache_mod.file_sha256
    monkeypatch.setattr(cache_mod, "file_sha256", lambda p: calls.append(p) or real(p))
    assert c.input_hashes([f]) == first and calls == []
    f.write_text("a,b\n1,3\n")
    os.utime(f, ns=(1, 1))
    assert c.input_hashes([f]) != first and calls == [f]
    memo = json.loads((tmp_path / "cache" / "hashes.json").read_text())
    assert memo[str(f.resolve())]["size"] == f.stat().st_size


def test_code_version_follows_the_source() -> None:
    a = code_version(("indicators",))
    assert a == code_version(("indicators",))
    assert a != code_version(("index",))


def test_one_build_at_a_time(tmp_path) -> None:
    from techhubs.errors import ComputationError

    c = StageCache(tmp_path)
    with c.lock(), pytest.raises(ComputationError, match="another build"), \
            StageCache(tmp_path).lock():
        pass
