"""The dashboard end to end in headless Chromium: load, ranking, what-if weights,
profile, permalink; a screenshot is saved to test-artifacts/."""

from __future__ import annotations

import pytest

from techhubs.datasets import load_edition

from ._pages import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TOP5 = ["Tokyo–Yokohama", "Shenzhen–Hong Kong–Guangzhou", "Seoul", "Beijing", "Shanghai–Suzhou"]


def pct_only_names() -> list[str]:
    panel = load_edition("gii-2023")
    table = panel.values.join(panel.units.select("unit_id", "name"), on="unit_id")
    return table.sort(["pct_applications", "unit_id"], descending=[True, False])["name"].to_list()


def table_names(page) -> list[str]:
    return page.locator("#ranking tbody td.name").all_inner_texts()


def test_dashboard_end_to_end(browser, server, artifacts):
    page, problems, requests = open_page(browser, server + "/")
    # The top five of gii-2023, in order.
    assert table_names(page)[:5] == TOP5
    # Map: one circle per hub, drawn over the bundled world outline; rank intervals shown.
    assert page.locator("#map circle.hub").count() == 34
    assert "intervals from 200 runs" in page.locator("#rerank-status").inner_text()
    first = page.locator("#ranking tbody tr").first.locator("td").nth(4).inner_text()
    assert first.startswith("1–")
    assert page.locator("#map path.land").count() > 100

    # Publications weight to zero: the table takes the PCT-only order.
    expected = pct_only_names()
    assert table_names(page) != expected
    page.locator("#w-scientific_publications").fill("0")
    page.wait_for_function(
        "names => [...document.querySelectorAll('#ranking tbody td.name')]"
        ".map(td => td.textContent).join('|') === names.join('|')",
        arg=expected, timeout=15_000)
    assert table_names(page) == expected
    assert "weights=scientific_publications%3A0" in page.url

    # Seoul's profile, opened from the table.
    page.locator("#ranking tbody tr[data-unit=seoul] td.name button").click()
    page.wait_for_selector("#profile:not([hidden])")
    page.wait_for_function(
        "() => document.getElementById('profile-name').textContent === 'Seoul'", timeout=15_000)
    assert "unit=seoul" in page.url
    assert page.locator("#published tbody tr").count() >= 4
    assert "source:" in page.locator("#facts").inner_text()
    assert page.locator("#decomposition rect").count() == 2

    # Compare with Beijing.
    page.locator("#compare-with").select_option("beijing")
    page.wait_for_function(
        "() => document.querySelectorAll('#compare tbody tr').length >= 4", timeout=15_000)
    assert "compare=beijing" in page.url
    page.screenshot(path=str(artifacts / "dashboard.png"), full_page=True)

    # Search and filter.
    page.locator("#search").fill("tokyo")
    assert table_names(page) == ["Tokyo–Yokohama"]
    page.locator("#search").fill("")
    page.locator("#economy").select_option("DE")
    assert set(table_names(page)) == {"Munich", "Stuttgart", "Cologne"}

    assert problems == []
    assert all(url.startswith(server) or url.startswith("data:") for url in requests), requests
    page.close()


def test_permalink_restores_the_view_and_map_opens_a_profile(browser, server, artifacts):
    url = server + "/?weights=scientific_publications%3A0&sort=name&dir=asc&unit=beijing"
    page, problems, _ = open_page(browser, url)
    page.wait_for_function(
        "() => document.getElementById('profile-name').textContent === 'Beijing'",
        timeout=15_000)
    assert page.locator("#w-scientific_publications").input_value() == "0"
    names = table_names(page)
    assert names == sorted(names, key=str.lower)
    # The profile of Seoul from the map.
    page.locator("#map circle[data-unit=seoul]").dispatch_event("click")
    page.wait_for_function(
        "() => document.getElementById('profile-name').textContent === 'Seoul'", timeout=15_000)
    assert "unit=seoul" in page.url
    page.screenshot(path=str(artifacts / "dashboard-permalink.png"))
    assert problems == []
    page.close()


def _box(page, selector: str) -> dict:
    return page.locator(selector).bounding_box()


def _zoom(page) -> float:
    return float(page.locator("#map").get_attribute("data-zoom"))


@pytest.mark.parametrize("width,height", [(1400, 900), (390, 844)])
def test_map_is_the_main_view(browser, server, artifacts, width, height):
    """The map spans the page, zooms, pans and names hubs on hover; nothing overflows."""
    page, problems, _ = open_page(browser, server + "/", viewport=(width, height))
    frame = _box(page, "#map-frame")
    table = _box(page, "#table-panel")
    # The map is the widest thing on the page and comes first, above the table.
    assert frame["width"] >= 0.85 * width
    assert frame["y"] + frame["height"] <= table["y"]
    if width >= 1000:
        assert frame["height"] >= 0.5 * height  # the main view, not a tile
        side = _box(page, "#side")
        assert abs(side["y"] - table["y"]) < 2  # table and weights side by side: no empty half
    # Nothing is wider than the screen.
    assert page.evaluate("() => document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(artifacts / f"dashboard-{width}x{height}.png"))

    # Hover a hub: its name and rank appear.
    singapore = page.locator("#map circle[data-unit=singapore]")
    singapore.hover()
    tip = page.locator("#map-tip")
    tip.wait_for(state="visible")
    rank = page.locator("#ranking tbody tr[data-unit=singapore] td.rank").inner_text()
    assert tip.inner_text().startswith("Singapore\nrank " + rank + " ·")
    page.mouse.move(0, 0)
    tip.wait_for(state="hidden")
    seoul = page.locator("#map circle[data-unit=seoul]")

    # Zoom in with the button and the wheel; hubs keep their size on screen, names show.
    r0 = seoul.bounding_box()["width"]
    page.locator("#zoom-in").click()
    assert _zoom(page) == 2.0
    assert abs(seoul.bounding_box()["width"] - r0) < 1.5
    page.locator("#zoom-reset").click()
    # Wheel over East Asia, where hubs pile up at world scale: they separate and are named.
    box = seoul.bounding_box()
    page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    for _ in range(3):
        page.mouse.wheel(0, -200)
    page.wait_for_function("() => Number(document.getElementById('map').dataset.zoom) > 2.5")
    assert page.locator("#map text.hub-label[data-unit=seoul]").is_visible()
    assert page.locator("#map text.hub-label[data-unit=beijing]").is_visible()
    page.screenshot(path=str(artifacts / f"dashboard-{width}x{height}-zoomed.png"))
    centre = _box(page, "#map")
    # Drag to pan: the map moves, and the drag opens no profile.
    before = page.locator("#map g.viewport").get_attribute("transform")
    x, y = centre["x"] + centre["width"] / 2, centre["y"] + centre["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x - 80, y + 30, steps=5)
    page.mouse.up()
    assert page.locator("#map g.viewport").get_attribute("transform") != before
    assert page.locator("#profile").is_hidden()
    page.locator("#zoom-reset").click()
    assert _zoom(page) == 1.0
    assert problems == []
    page.close()
