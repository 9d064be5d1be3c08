"""End-to-end builds: stages, caching, reruns, crash safety, results folder, demo.

References: hand-made points around Paris, Munich and Lyon with five bad or
out-of-period rows (tests/fixtures/build), and the published GII 2023 ranking
for the synthetic demo.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest

from techhubs.errors import DataError
from techhubs.pipeline import STAGE_NAMES, build, load_config

FIXTURE = Path(__file__).resolve().parents[1] / "fixtures" / "build"
SRC = Path(__file__).resolve().parents[2] / "src"
ALL_RUN = ["ingest", "aggregate", "clusters", "indicators", "index", "outputs"]


@pytest.fixture
def project(tmp_path) -> Path:
    shutil.copy(FIXTURE / "points.csv", tmp_path / "points.csv")
    shutil.copy(FIXTURE / "project.toml", tmp_path / "project.toml")
    return tmp_path / "project.toml"


def test_full_build_then_nothing_to_do(project) -> None:
    first = build(load_config(project))
    assert first.ran == ALL_RUN
    assert first.stage("robustness").status == "skipped"
    assert "not configured" in first.stage("robustness").reason
    ranking = first.ranking()
    assert ranking["name"].to_list()[:3] == ["Paris", "Munich", "Lyon"]
    again = build(load_config(project))
    assert again.ran == []
    assert again.cached == ALL_RUN
    assert again.ranking().equals(ranking)


def test_results_folder_and_manifest(project) -> None:
    result = build(load_config(project))
    results = result.results
    for name in ("ranking.csv", "ranking.json", "ranking.parquet", "clusters.geojson",
                 "assignment.parquet", "ingest_report.json", "manifest.json"):
        assert (results / name).exists(), name
    manifest = json.loads((results / "manifest.json").read_text())
    assert manifest["versions"]["techhubs"]
    assert manifest["versions"]["duckdb"]
    assert manifest["config"]["clustering"]["eps_km"] == 12.0
    (path, digest), = manifest["inputs"].items()
    assert path.endswith("points.csv") and len(digest) == 64
    assert [s["name"] for s in manifest["stages"]] == list(STAGE_NAMES)
    for name, entry in manifest["files"].items():
        data = (results / name).read_bytes()
        assert (len(data), hashlib.sha256(data).hexdigest()) == (entry["size"], entry["sha256"])
    geo = json.loads((results / "clusters.geojson").read_text())
    assert geo["type"] == "FeatureCollection"
    top = geo["features"][0]
    assert top["properties"]["name"] == "Paris" and top["properties"]["rank"] == 1
    assert top["geometry"]["type"] == "Polygon"
    assignment = pl.read_parquet(results / "assignment.parquet")
    assert {"latitude", "longitude", "source", "weight", "cluster_id"} <= set(assignment.columns)


def test_ingest_report_accounts_for_every_row(project) -> None:
    result = build(load_config(project))
    report = json.loads((result.results / "ingest_report.json").read_text())
    f = report["inputs"][0]["files"][0]
    assert f["rows_read"] == 605
    # four bad rows (CSV lines 12, 22, 32, 42) and one outside the period
    assert f["dropped"] == {"non_numeric": 1, "missing_value": 1,
                            "latitude_out_of_range": 1, "negative_weight": 1}
    assert f["examples"]["latitude_out_of_range"] == [11]
    assert f["rows_used"] == 601
    outside = report["aggregate"]["outside_period"]
    assert outside["patents"]["rows"] == 1
    assert sum(report["aggregate"]["records"].values()) == 600


def test_changing_a_clustering_parameter_reruns_only_later_stages(project) -> None:
    config = load_config(project)
    build(config)
    changed = build(config.with_clustering(eps_km=15.0))
    assert changed.ran == ["clusters", "indicators", "index", "outputs"]
    assert changed.cached == ["ingest", "aggregate"]
    back = build(config)  # the earlier parameters are still cached
    assert back.ran == ["outputs"]


def test_changing_the_period_reruns_from_aggregation(project) -> None:
    config = load_config(project)
    build(config)
    from dataclasses import replace

    changed = build(replace(config, period=(2019, 2022)))
    assert changed.ran == ["aggregate", "clusters", "indicators", "index", "outputs"]


def test_from_stage_forces_a_rerun(project) -> None:
    config = load_config(project)
    build(config)
    assert build(config, from_stage="index").ran == ["index", "outputs"]
    assert build(config, from_stage="outputs").ran == ["outputs"]
    with pytest.raises(DataError, match="unknown stage"):
        build(config, from_stage="nope")


def test_changed_input_reruns_everything(project) -> None:
    config = load_config(project)
    build(config)
    points = project.parent / "points.csv"
    points.write_text(points.read_text() + "48.85,2.35,1.0,patents,2020\n")
    assert build(config).ran == ALL_RUN


def test_edited_results_folder_is_rewritten(project) -> None:
    config = load_config(project)
    result = build(config)
    (result.results / "ranking.csv").write_text("tampered")
    assert build(config).ran == ["outputs"]
    assert "rank" in (result.results / "ranking.csv").read_text()


@pytest.mark.parametrize("stage", ["clusters", "outputs"])
def test_killed_build_resumes_cleanly(project, stage) -> None:
    # The build is killed (SIGKILL) in the middle of a stage, after it wrote part of its
    # output. The next build must not trust the half-written stage.
    script = textwrap.dedent(f"""
        import os, signal, sys
        sys.path.insert(0, {str(SRC)!r})
        from pathlib import Path
        import techhubs.pipeline._build as b
        import techhubs.pipeline._stages as st
        from techhubs.pipeline import build, load_config

        def killer(*args, **kwargs):
            out = args[2] if len(args) > 2 else None
            if out is not None:
                (Path(out) / "clusters.parquet").write_bytes(b"PAR1 half")
            os.kill(os.getpid(), signal.SIGKILL)

        if {stage!r} == "clusters":
            stages = list(st.STAGES)
            i = [s.name for s in stages].index("clusters")
            stages[i] = st.Stage("clusters", stages[i].modules, stages[i].params, killer)
            b.STAGES = tuple(stages)
        else:
            real_put = b._geojson
            def dying_geojson(*a, **k):
                os.kill(os.getpid(), signal.SIGKILL)
            b._geojson = dying_geojson
        build(load_config({str(project)!r}))
    """)
    proc = subprocess.run([sys.executable, "-c", script], check=False, capture_output=True)
    assert proc.returncode == -signal.SIGKILL, proc.stderr.decode()[-2000:]
    config = load_config(project)
    if stage == "clusters":
        partial = list((config.cache / "clusters").iterdir())
        assert partial and all(".tmp-" in p.name for p in partial)
        assert not (config.results / "manifest.json").exists()
    else:
        # outputs removes the manifest before writing: a half results folder is never trusted
        assert not (config.results / "manifest.json").exists()
    resumed = build(config)
    expected = ["clusters", "indicators", "index", "outputs"] if stage == "clusters" \
        else ["outputs"]
    assert resumed.ran == expected
    assert resumed.ranking()["name"].to_list()[:3] == ["Paris", "Munich", "Lyon"]
    assert not [p for p in config.cache.rglob("*") if ".tmp-" in p.name]


@pytest.mark.slow
def test_demo_recovers_the_published_ranking_at_small_scale(tmp_path) -> None:
    from techhubs.pipeline.demo import demo_project

    project = demo_project(tmp_path, scale=0.01, seed=0)
    result = build(load_config(project))
    summary = result.manifest["comparison"]
    assert summary["published"] == 34
    assert summary["recovered"] >= 30
    assert summary["spearman_rho"] >= 0.95
    comparison = result.comparison()
    assert comparison is not None
    row = comparison.filter(pl.col("published_name") == "Shenzhen–Hong Kong–Guangzhou").row(
        0, named=True)
    assert row["recovered_name"] == "Shenzhen–Hong Kong–Guangzhou"
    assert row["recovered_economies"] == "CN/HK"
    assert result.manifest["synthetic"] is True
    assert "SYNTHETIC" in result.manifest["label"]
    geo = json.loads((result.results / "clusters.geojson").read_text())
    assert geo["properties"]["synthetic"] is True


def test_reader_formats_feed_the_build(project) -> None:
    # venture deals from a Crunchbase-style rounds file (CR line endings, messy text), read
    # by the crunchbase reader and geocoded; every round is accounted for
    rounds = FIXTURE.parent / "sources" / "crunchbase_rounds.csv"
    shutil.copy(rounds, project.parent / "rounds.csv")
    text = project.read_text().replace("[periods]\nstart = 2018\nend = 2022\n", "")
    text += ('\n[[inputs]]\nsource = "vc"\nformat = "crunchbase"\npaths = ["rounds.csv"]\n')
    project.write_text(text)
    result = build(load_config(project))
    report = json.loads((result.results / "ingest_report.json").read_text())
    vc = next(i for i in report["inputs"] if i["format"] == "crunchbase")
    reader = vc["reader"]
    assert reader["records_read"] == reader["records_used"] + reader["records_dropped"]
    assert reader["records_used"] >= 1
    assert vc["files"][0]["sources"]["vc"]["rows"] == reader["records_used"]


def test_aggregated_locations_match_the_aggregation_engine(project) -> None:
    # the aggregate stage (validation + period + rounding in one DuckDB pass) gives the same
    # rounded locations as techhubs.aggregate on the rows that pass, within the period
    from techhubs.aggregate import aggregate

    config = load_config(project)
    result = build(config)
    mine = pl.read_parquet(next((config.cache / "aggregate").glob("*/locations.parquet")))
    raw = pl.read_csv(project.parent / "points.csv", infer_schema=False)
    ok = raw.with_columns(
        pl.col("latitude").cast(pl.Float64, strict=False),
        pl.col("longitude").cast(pl.Float64, strict=False),
        pl.col("weight").cast(pl.Float64, strict=False),
        pl.col("year").cast(pl.Int32, strict=False),
    ).drop_nulls().filter(pl.col("latitude").abs() <= 90, pl.col("weight") >= 0,
                          pl.col("year").is_between(2018, 2022))
    reference = aggregate(ok, precision=2)
    key = ["source", "year", "latitude", "longitude"]
    a = mine.sort(key).select(*key, "weight", "n_records")
    b = reference.sort(key).select(*key, "weight", "n_records")
    assert a.select(key).equals(b.select(key))
    assert a["n_records"].to_list() == b["n_records"].to_list()
    assert a["weight"].to_list() == pytest.approx(b["weight"].to_list())
    assert result.stage("aggregate").summary["records"] == {"patents": 228, "publications": 372}


def test_robustness_stage_when_configured(project) -> None:
    text = project.read_text().replace(
        "[methodology]", "[robustness]\nruns = 100\nseed = 1\nweights = 0.25\n\n[methodology]")
    project.write_text(text)
    config = load_config(project)
    result = build(config)
    assert result.stage("robustness").status == "ran"
    intervals = pl.read_csv(result.results / "rank_intervals.csv")
    ranking = result.ranking()
    nominal = dict(zip(intervals["unit_id"], intervals["nominal_rank"], strict=True))
    assert all(nominal[u] == r for u, r in zip(ranking["unit_id"], ranking["rank"], strict=True))
    from dataclasses import replace

    more = build(replace(config, robustness={**config.robustness, "runs": 200}))
    assert more.ran == ["robustness", "outputs"]


def test_simulated_inputs_label_the_build_synthetic(tmp_path) -> None:
    from techhubs.datasets.simulate import SimulationParams, simulate

    world = simulate(tmp_path / "world", SimulationParams(scale=0.001, seed=2))
    project = tmp_path / "p.toml"
    project.write_text(
        '[[inputs]]\nsource = "patents"\nformat = "points"\npaths = ["world/patents.parquet"]\n'
        '[[inputs]]\nsource = "publications"\nformat = "points"\n'
        'paths = ["world/publications.parquet"]\n'
        '[clustering]\nmin_weight = { patents = 100, publications = 600 }\n')
    assert world.files
    result = build(load_config(project))
    assert result.config.synthetic
    assert result.manifest["synthetic"] is True and "SYNTHETIC" in result.manifest["label"]
    geo = json.loads((result.results / "clusters.geojson").read_text())
    assert geo["properties"]["synthetic"] is True
    report = json.loads((result.results / "ingest_report.json").read_text())
    assert report["synthetic"] is True


def test_robustness_reclusters_for_clustering_uncertainty(project) -> None:
    # Issue: clustering parameters as uncertain inputs, re-clustered once per grid level.
    text = project.read_text().replace(
        "[methodology]",
        "[robustness]\nruns = 64\nseed = 3\nweights = 0.1\n"
        "clustering = { eps_km = [4.0, 40.0], min_weight = [2.0, 30.0] }\n"
        "clustering_levels = 3\n\n[methodology]")
    project.write_text(text)
    config = load_config(project)
    calls: list[dict[str, float]] = []
    sizes: list[int] = []
    import techhubs.pipeline._stages as stages

    original = stages._find_clusters

    def spy(config, per_location, progress=None, **overrides):
        calls.append(dict(overrides))
        found = original(config, per_location, progress, **overrides)
        sizes.append(found.clusters.height)
        return found

    stages._find_clusters = spy
    try:
        result = build(config)
    finally:
        stages._find_clusters = original
    assert result.stage("robustness").status == "ran"
    factors = result.stage("robustness").summary["factors"]
    assert "clustering:eps_km" in factors and "clustering:min_weight" in factors
    reclustered = [c for c in calls if c]
    # at most one clustering per grid point (3 x 3 levels), however many runs
    assert 1 <= len(reclustered) <= 9
    assert len({tuple(sorted(c.items())) for c in reclustered}) == len(reclustered)
    # a large min weight dissolves Lyon (25.5 patents, 29.9 publications): the
    # sampled parameters really change the clusters that are ranked
    assert min(sizes) < 3 == sizes[0]
    intervals = pl.read_csv(result.results / "rank_intervals.csv")
    assert intervals.height == 3
    assert (intervals["rank_p95"] >= intervals["rank_p05"]).all()
