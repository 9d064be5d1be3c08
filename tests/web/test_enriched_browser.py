"""The dashboard on an enriched panel (``techhubs serve --data hubs.csv``): the ranking
table has one column per pillar of the hub-factors tree, the note on the pillar without
data is shown, and a profile lists the hub's pillar scores. Reference: the engine's own
pillar scores (``Ranking`` ``<pillar>__score`` columns) for the same file."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest

from techhubs import workflows
from techhubs.indicators.enrich import enrich, write_hubs

from ._pages import open_page
from .conftest import serve_app

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture(scope="module")
def hubs_file(tmp_path_factory) -> Path:
    data = write_hubs(enrich("gii-2023", []), tmp_path_factory.mktemp("enriched") / "hubs.csv")
    frame = pl.read_csv(data).with_columns(
        (pl.int_range(pl.len()) % 7 + 1).cast(pl.Float64).alias("talent"),
        (pl.int_range(pl.len()) % 5 * 10.0 + 20).alias("digital_connectivity"))
    frame.write_csv(data)
    return data


@pytest.fixture(scope="module")
def enriched_server(hubs_file: Path) -> Iterator[str]:
    from techhubs.api import create_app

    yield from serve_app(create_app(data_files=[hubs_file], editions=False))


def test_dashboard_shows_the_pillars_of_an_enriched_panel(browser, enriched_server, hubs_file,
                                                          artifacts):
    page, problems, _ = open_page(browser, enriched_server + "/")
    page.wait_for_function(
        "() => document.querySelectorAll('#ranking th.pillar').length === 3", timeout=15_000)
    headers = page.locator("#ranking th.pillar").all_inner_texts()
    assert headers == ["Talent", "Knowledge creation", "Digital and green infrastructure"]
    assert "no data for capital" in page.locator("#ranking-notes").inner_text()
    expected = workflows.rank(data=hubs_file, method="hub-factors").table
    first = expected.row(0, named=True)
    row = page.locator(f"#ranking tbody tr[data-unit='{first['unit_id']}']")
    cells = row.locator("td.pillar").all_inner_texts()
    assert cells == [f"{first[c]:.2f}" for c in
                     ("people__score", "knowledge__score", "infrastructure__score")]
    # sorting on a pillar column
    page.locator("#ranking th.pillar", has_text="Talent").click()
    page.locator("#ranking th.pillar", has_text="Talent").click()  # descending
    assert "sort=pillar%3Apeople" in page.url
    top_talent = page.locator("#ranking tbody tr").first.locator("td.pillar").first.inner_text()
    assert float(top_talent) == pytest.approx(expected["people__score"].max(), abs=0.006)
    # a profile lists the pillars with the hub's score on each
    row.locator("td.name button").click()
    page.wait_for_selector("#profile-pillars:not([hidden])")
    items = page.locator("#pillar-scores li").all_inner_texts()
    assert items[1].startswith(f"Knowledge creation: {first['knowledge__score']:.2f}")
    page.screenshot(path=str(artifacts / "dashboard-enriched.png"))
    assert problems == []
