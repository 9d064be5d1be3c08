"""The HTML report: content (ranking, methodology, provenance, hub pages), no
external resource, the TopoJSON decoder and projection, and the CLI."""

from __future__ import annotations

import json
import math
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from markupsafe import escape

from fixtures.web.results_folder import write_results_folder
from techhubs import workflows
from techhubs.cli import main
from techhubs.report import build_report
from techhubs.report._svg import _vendor, decode_topology, natural_earth, width_colour

RUNS = 100


class Collector(HTMLParser):
    """Ids, external-resource attributes and table rows of a document."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.resources: list[tuple[str, str, str]] = []
        self.tags: set[str] = set()

    def handle_starttag(self, tag, attrs):
        self.tags.add(tag)
        for name, value in attrs:
            if name == "id" and value:
                self.ids.append(value)
            if name in ("src", "href", "srcset", "action", "data", "poster") and value:
                self.resources.append((tag, name, value))


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> tuple[Path, str, Collector]:
    path = build_report(tmp_path_factory.mktemp("report") / "report.html",
                        edition="gii-2023", runs=RUNS, seed=1)
    html = path.read_text(encoding="utf-8")
    parsed = Collector()
    parsed.feed(html)
    return path, html, parsed


@pytest.mark.slow
def test_report_sections_and_hub_pages(report):
    _, html, parsed = report
    for section in ("map", "ranking", "intervals", "methodology", "provenance", "hubs"):
        assert section in parsed.ids
    units = workflows.rank("gii-2023").table["unit_id"].to_list()
    assert [i[4:] for i in parsed.ids if i.startswith("hub-")] == units
    # The ranking table lists the names in rank order.
    names = workflows.rank("gii-2023").names()
    positions = [html.index(f">{escape(n)}</a>") for n in names]
    assert positions == sorted(positions)
    # Methodology and provenance: tree, steps, edition file hash.
    assert "pct_applications" in html and "scientific_publications" in html
    # The ranking table's headers are human names with units, the code as a tooltip.
    ranking = html[html.index('<section id="ranking">'):html.index("</thead>",
                                                                   html.index('id="ranking"'))]
    assert ('>PCT patent applications <span class="unit">(applications)</span>' in ranking)
    assert '>Scientific publications <span class="unit">(articles)</span>' in ranking
    assert ">pct_applications<" not in ranking
    prov = workflows.rank("gii-2023").provenance
    assert prov["sha256"] in html
    # Per-hub content: published ranks and quoted facts with their source.
    seoul = html[html.index('id="hub-seoul"'):html.index('id="hub-beijing"')]
    assert "Rank in published rankings" in seoul and "2024" in seoul
    assert "source: The 5 Most Technologically Advanced Cities in the World (2025)" in seoul
    assert seoul.count("<rect") == 2  # decomposition bars
    assert "90% interval" in seoul and "P(top 10)" in html


@pytest.mark.slow
def test_report_is_self_contained(report):
    _, html, parsed = report
    assert not re.search(r"https?://", html)
    assert not re.search(r"(?i)url\(", html)
    assert "script" not in parsed.tags and "link" not in parsed.tags and "img" not in parsed.tags
    # Every link is an anchor inside the document.
    assert all(value.startswith("#") for _, _, value in parsed.resources)
    assert set(v[1:] for _, _, v in parsed.resources) <= set(parsed.ids)
    assert "<svg" in html and html.count('class="hub"') >= 34


def test_topojson_decoding_of_the_vendored_world():
    topology = json.loads((_vendor() / "countries-110m.json").read_text(encoding="utf-8"))
    features = decode_topology(topology, "countries")
    assert len(features) == len(topology["objects"]["countries"]["geometries"])
    italy = next(f for f in features if f["properties"]["name"] == "Italy")
    points = [p for polygon in italy["polygons"] for ring in polygon for p in ring]
    lons = [p[0] for p in points]
    lats = [p[1] for p in points]
    # Natural Earth's Italy (with Sicily and Sardinia): 6.6-18.5 E, 36.6-47.1 N.
    assert 6 < min(lons) < 7.5 and 18 < max(lons) < 19
    assert 36 < min(lats) < 37.5 and 46.5 < max(lats) < 47.5
    for polygon in italy["polygons"]:
        for ring in polygon:
            assert ring[0] == pytest.approx(ring[-1])  # closed rings


def test_natural_earth_projection_hand_computed():
    # Centre of the frame, and the equator at 180 E: x = pi * 0.8707 in projected units.
    cx, cy = natural_earth(0.0, 0.0)
    assert cx == pytest.approx(480.0)
    x, y = natural_earth(180.0, 0.0)
    assert y == pytest.approx(cy)
    assert (x - cx) / (960 / (2 * 2.7354)) == pytest.approx(math.pi * 0.8707, rel=1e-9)
    # North is up and the projection is symmetric.
    assert natural_earth(0, 45)[1] < cy
    assert natural_earth(-30, -20)[0] == pytest.approx(960 - natural_earth(30, -20)[0])


def test_interval_colours():
    assert width_colour(0) == "rgb(68,1,84)"  # viridis ends
    assert width_colour(10) == width_colour(25) == "rgb(253,231,37)"
    assert width_colour(3) == "rgb(46,114,140)"  # halfway between the stops at 2 and 4
    assert width_colour(None) == width_colour(float("nan")) == "#8c959f"


@pytest.mark.slow
def test_report_command_from_a_results_folder(tmp_path):
    results = write_results_folder(tmp_path / "test-build")
    out = tmp_path / "out" / "r.html"
    assert main(["report", "--results", str(results), "--out", str(out), "--runs", "0"]) == 0
    html = out.read_text(encoding="utf-8")
    assert 'id="hub-tokyo-yokohama"' in html and "Test build from the GII 2023" in html


def test_report_command_errors(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path / "report.pdf"), "--runs", "0"]) == 2
    assert "HTML" in capsys.readouterr().err
    assert main(["report", "--edition", "gii-2023", "--results", str(tmp_path),
                 "--out", str(tmp_path / "r.html")]) == 2
    assert main(["report", "--edition", "gii-1999", "--out", str(tmp_path / "r.html"),
                 "--runs", "0"]) == 2
    assert not (tmp_path / "r.html").exists()


def test_report_shows_the_pillars_of_an_enriched_panel(tmp_path):
    """An enriched panel ranked with hub-factors: the ranking table and every hub page show
    the pillar scores the engine computed, and the note on the pillar without data."""
    import polars as pl

    from techhubs.indicators.enrich import enrich, write_hubs

    data = write_hubs(enrich("gii-2023", []), tmp_path / "hubs.csv")
    hubs = pl.read_csv(data)
    hubs = hubs.with_columns((pl.int_range(pl.len()) % 7 + 1).cast(pl.Float64).alias("talent"),
                             (pl.int_range(pl.len()) % 5 * 10.0 + 20).alias(
                                 "digital_connectivity"))
    hubs.write_csv(data)
    path = build_report(tmp_path / "r.html", data=data, method="hub-factors", runs=20, seed=1)
    html = path.read_text(encoding="utf-8")
    ranking = workflows.rank(data=data, method="hub-factors")
    for label in ("Talent", "Knowledge creation", "Digital and green infrastructure"):
        assert f">{label}</th>" in html
    assert "no data for capital" in html
    top = ranking.table.row(0, named=True)
    page = html[html.index(f'id="hub-{top["unit_id"]}"'):]
    page = page[:page.index("</article>")]
    assert f"Knowledge creation: {top['knowledge__score']:.2f}" in page
    assert f"Talent: {top['people__score']:.2f}" in page
