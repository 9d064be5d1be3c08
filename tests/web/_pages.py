"""Helpers shared by the browser tests."""

from __future__ import annotations


def open_page(browser, url: str, viewport: tuple[int, int] = (1400, 1000)):
    """A dashboard page with its console problems and requests recorded."""
    page = browser.new_page(viewport={"width": viewport[0], "height": viewport[1]})
    problems: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}")
            if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("request", lambda r: requests.append(r.url))
    page.goto(url)
    page.wait_for_selector("body[data-ready=true]", timeout=30_000)
    return page, problems, requests
