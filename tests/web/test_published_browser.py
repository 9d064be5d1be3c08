"""The "Published rankings" tab in headless Chromium: agreement matrix, consensus
with a method selector, movers, claims with verdicts; the view is a permalink.
Figures are checked against techhubs.compare; a screenshot goes to test-artifacts/."""

from __future__ import annotations

import pytest

from techhubs.compare import agreement_table, check_claims, consensus_ranking

from ._pages import open_page

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def consensus_labels(page) -> list[str]:
    return page.locator("#consensus tbody td.name").all_inner_texts()


def test_published_tab_end_to_end(browser, server, artifacts):
    page, problems, requests = open_page(browser, server + "/")
    assert page.locator("#published-view").is_hidden()
    page.locator("#tab-published").click()
    page.wait_for_selector("body[data-published=ready]", timeout=30_000)
    assert page.locator("#hubs-view").is_hidden() and page.locator("#edition").is_hidden()
    assert "tab=published" in page.url

    # Agreement matrix: Kendall tau-b with common-hub counts, as agreement_table says.
    reference = agreement_table()
    names = reference["tau"]["ranking"].to_list()
    assert page.locator("#agreement tbody tr").count() == len(names) == 10
    cell = page.locator('#agreement td[data-a="gii-2023"][data-b="gii-2024"]')
    tau = reference["tau"].filter(reference["tau"]["ranking"] == "gii-2023")["gii-2024"][0]
    common = reference["common"].filter(reference["common"]["ranking"] == "gii-2023")[
        "gii-2024"][0]
    assert cell.locator(".value").inner_text() == f"{tau:.2f}"
    assert f"({int(common)})" in cell.inner_text()
    unranked = page.locator('#agreement td[data-a="article-high-tech-innovative"]'
                            '[data-b="gii-2025"] .value')
    assert unranked.inner_text() == "–"
    page.locator("#agreement-metric").select_option("rbo")
    rbo = reference["rbo"].filter(reference["rbo"]["ranking"] == "gii-2023")["gii-2024"][0]
    assert cell.locator(".value").inner_text() == f"{rbo:.2f}"
    assert "agree=rbo" in page.url

    # Consensus: Borda by default, in the order of consensus_ranking; then Schulze.
    borda = consensus_ranking(method="borda").table["label"].to_list()
    assert consensus_labels(page) == borda
    schulze = consensus_ranking(method="schulze").table["label"].to_list()
    assert schulze != borda
    page.locator("#consensus-method").select_option("schulze")
    page.wait_for_selector("#consensus[data-method=schulze]", timeout=15_000)
    assert consensus_labels(page) == schulze
    assert "cmethod=schulze" in page.url
    page.locator("#consensus-method").select_option("kemeny")
    page.wait_for_selector("#consensus[data-method=kemeny]", timeout=15_000)
    assert "Kemeny variant: approximation" in page.locator("#consensus-note").inner_text()

    # Movers between GII editions: London 21 -> 8 (from the GII 2025 note).
    london = page.locator('#movers tbody tr[data-item="london"] td')
    assert london.nth(1).inner_text() == "21" and london.nth(2).inner_text() == "8"
    assert london.nth(3).inner_text() == "▲ 13"
    assert "mfrom=gii-2024" in page.url and "mto=gii-2025" in page.url

    # Claims: Seoul's "highest patent filings" is contradicted, colour-coded.
    verdicts = check_claims()
    seoul = page.locator('#claims tbody tr[data-place="Seoul"][data-fact="patent_filings"]')
    verdict = seoul.locator("td.verdict")
    assert verdict.inner_text() == "contradicted"
    assert "contradicted" in verdict.get_attribute("class")
    assert verdict.evaluate("e => getComputedStyle(e).color") == "rgb(207, 34, 46)"
    assert "127,418" in seoul.inner_text() and "63,447" in seoul.inner_text()
    assert page.locator("#claims tbody tr").count() == verdicts.height
    page.locator("#claims-status").select_option("contradicted")
    n_contradicted = int((verdicts["status"] == "contradicted").sum())
    assert page.locator("#claims tbody tr").count() == n_contradicted
    assert "claims=contradicted" in page.url

    page.screenshot(path=str(artifacts / "dashboard-published.png"), full_page=True)
    assert problems == []
    assert all(url.startswith(server) or url.startswith("data:") for url in requests), requests

    # Back to the hubs: the ranking is still there.
    page.locator("#tab-hubs").click()
    assert page.locator("#hubs-view").is_visible()
    assert "tab=" not in page.url
    page.close()


def test_published_permalink_restores_the_view(browser, server):
    url = (server + "/?tab=published&cmethod=schulze&mfrom=gii-2023&mto=gii-2024"
           "&claims=supported&agree=rbo")
    page, problems, _ = open_page(browser, url)
    page.wait_for_selector("body[data-published=ready]", timeout=30_000)
    assert page.locator("#published-view").is_visible()
    assert page.locator("#consensus-method").input_value() == "schulze"
    assert page.locator("#consensus").get_attribute("data-method") == "schulze"
    assert page.locator("#agreement-metric").input_value() == "rbo"
    assert page.locator("#movers-from").input_value() == "gii-2023"
    assert page.locator("#movers-to").input_value() == "gii-2024"
    statuses = set(page.locator("#claims tbody td.verdict").all_inner_texts())
    assert statuses == {"supported"}
    assert problems == []
    page.close()
