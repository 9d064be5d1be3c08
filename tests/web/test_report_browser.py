"""The report opens offline: Chromium loads it from file:// and makes no other request."""

from __future__ import annotations

import pytest

from techhubs.report import build_report

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_report_opens_offline(browser, artifacts, tmp_path):
    path = build_report(tmp_path / "report.html", edition="gii-2023",
                        runs=100, hub_pages=5)
    context = browser.new_context(offline=True)
    page = context.new_page()
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    # Any request but the document itself is recorded and refused.
    page.route("**/*", lambda route: route.continue_() if route.request.url == path.as_uri()
               else route.abort())
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    assert requests == [path.as_uri()]
    assert problems == []
    assert page.locator("svg.map circle.hub").count() == 34
    assert page.locator("svg.map .land path").count() > 100
    page.locator('#ranking a[href="#hub-seoul"]').click()
    assert page.locator("#hub-seoul h3").inner_text() == "3. Seoul"
    page.screenshot(path=str(artifacts / "report.png"))
    context.close()
