"""Cache integrity and reproducible results. Reference: a clean build of the fixture
project (tests/fixtures/build); the bytes of its results folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from techhubs.cli import main
from techhubs.pipeline import STAGE_NAMES, build, load_config
from techhubs.pipeline.cache import STAGE_FILE, StageCache

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "build"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    shutil.copy(FIXTURE / "points.csv", tmp_path / "points.csv")
    shutil.copy(FIXTURE / "project.toml", tmp_path / "project.toml")
    return tmp_path / "project.toml"


def _results(config_path: Path) -> dict[str, bytes]:
    results = load_config(config_path).results
    return {p.name: p.read_bytes() for p in sorted(results.iterdir())
            if p.is_file() and p.name != "manifest.json"}


def _flip(path: Path, at: int = 64, n: int = 16) -> None:
    data = bytearray(path.read_bytes())
    at = min(at, max(len(data) - n, 0))
    for i in range(at, min(at + n, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))  # same size, other bytes


def test_two_clean_builds_give_byte_identical_results(project: Path) -> None:
    build(load_config(project))
    first = _results(project)
    config = load_config(project)
    shutil.rmtree(config.cache)
    shutil.rmtree(config.results)
    build(load_config(project))
    assert _results(project) == first
    assert "ranking.json" in first and "clusters.geojson" in first


def test_every_cached_file_flipped_is_detected_named_and_rebuilt(project: Path) -> None:
    build(load_config(project))
    clean = _results(project)
    cache = StageCache(load_config(project).cache)
    files = [e.path / f for e in cache.entries() for f in
             (p.name for p in e.path.iterdir() if p.is_file() and p.name != STAGE_FILE)]
    assert len(files) >= 5
    order = [*STAGE_NAMES, "outputs"] if "outputs" not in STAGE_NAMES else list(STAGE_NAMES)
    for victim in files:
        _flip(victim)
        stage = victim.parent.parent.name
        # a cached file is hashed when something reads it: force the stage after it
        start = order[order.index(stage) + 1]
        events: list[tuple[str, str, dict]] = []
        result = build(load_config(project), from_stage=start, on_event=(
            lambda e, s, i, seen=events: seen.append((e, s, i))))
        corrupt = [(s, i["file"]) for e, s, i in events if e == "corrupt"]
        assert (victim.parent.parent.name, victim.name) in corrupt, victim
        assert victim.parent.parent.name in result.ran  # the stage was rebuilt, not trusted
        assert _results(project) == clean  # the published ranking equals a clean build's


def test_a_rebuild_that_reads_nothing_hashes_nothing_but_still_catches_a_flip(
        project: Path) -> None:
    build(load_config(project))
    cache = StageCache(load_config(project).cache)
    victim = next(e.path for e in cache.entries() if e.stage == "clusters")
    _flip(next(p for p in victim.iterdir() if p.suffix == ".parquet"))
    quiet = build(load_config(project))  # nothing to compute: the entry is not read
    assert all(r.status in ("cached", "skipped") for r in quiet.stages)
    events: list[tuple[str, str]] = []
    again = build(load_config(project), from_stage="indicators",
                  on_event=lambda e, s, i: events.append((e, s)))
    assert ("corrupt", "clusters") in events and "clusters" in again.ran


def test_a_flipped_results_file_is_rewritten(project: Path) -> None:
    build(load_config(project))
    clean = _results(project)
    _flip(load_config(project).results / "ranking.parquet")
    again = build(load_config(project))
    assert "outputs" in again.ran and _results(project) == clean


def test_cache_command_lists_verifies_and_prunes(project: Path, capsys) -> None:
    build(load_config(project))
    assert main(["cache", "list", str(project)]) == 0
    assert "clusters" in capsys.readouterr().out
    assert main(["cache", "verify", str(project)]) == 0
    cache = StageCache(load_config(project).cache)
    victim = next(e.path for e in cache.entries() if e.stage == "clusters")
    _flip(next(p for p in victim.iterdir() if p.suffix == ".parquet"))
    assert main(["cache", "verify", str(project)]) == 2
    err = capsys.readouterr().err
    assert "clusters/" in err and "SHA-256" in err
    assert main(["cache", "size", "--dir", str(cache.root)]) == 0
    assert "total" in capsys.readouterr().out
    assert main(["cache", "prune", str(project), "--keep-last", "0"]) == 0
    assert cache.entries() == []
    assert main(["cache", "prune", str(project)]) == 2  # nothing said: nothing pruned


@pytest.mark.slow
def test_two_clean_builds_of_a_world_with_many_rows_per_location_are_byte_identical(
        tmp_path: Path) -> None:
    """A SYNTHETIC world of about 180,000 fractional records. Its sums are long enough
    for a parallel group-by to change their last bits from run to run (the world totals
    and the clusters' weights did), so this checks that every sum is added in a fixed
    order."""
    assert main(["build", "--demo", "--scale", "0.02", "--dir", str(tmp_path)]) == 0
    project = next(tmp_path.glob("demo-*.toml"))
    first = _results(project)
    for _ in range(2):
        config = load_config(project)
        shutil.rmtree(config.cache)
        shutil.rmtree(config.results)
        build(load_config(project))
        assert _results(project) == first
