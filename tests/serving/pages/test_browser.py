"""The pages in a real browser: Debian's chromium driven by Playwright (no browser download),
at 1366×768, with axe-core checking WCAG 2.1 AA on every page and no console error allowed.

The walk: a page without a session goes to the login; log in; search an enterprise; open its
page; the waterfall's lines add up to the shown score and equal the API's explanation; the
repair guidance loads; record a disposition of its warning and see it shown, on the page and
on the warning's own; switch to English; open the heat map and click into a cell (on the
chart itself and through its table twin); the model page; a sampling key draws a campaign and
the regulator opens it from the sampling page, and finds it on a target's page; log out; a
page without a session redirects again. Screenshots of every page land in ``test-artifacts/pages/``.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.serving.conftest import DECEMBER, Deployment
from tests.serving.pages.conftest import ARTIFACTS

CHROMIUM = Path("/usr/bin/chromium")
AXE = Path(__file__).with_name("vendor") / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
VIEWPORT = {"width": 1366, "height": 768}


def _require_browser() -> None:
    """Fail (never skip) without the system browser or the CJK fonts the pages need."""
    if not CHROMIUM.is_file():
        pytest.fail(f"Debian's chromium is required at {CHROMIUM}: apt-get install -y "
                    "chromium fonts-noto-cjk (the browser tests never download a browser)")
    fonts = subprocess.run(["fc-list", ":lang=zh"], capture_output=True, text=True,
                           check=False).stdout if shutil.which("fc-list") else ""
    if "Noto" not in fonts:
        pytest.fail("fonts-noto-cjk is required for Chinese text: apt-get install -y "
                    "fonts-noto-cjk")


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    _require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                              args=["--no-sandbox"])
        yield launched
        launched.close()


class Walk:
    """One browser tab with its console errors and the pages it checked."""

    def __init__(self, page: Any, base: str, folder: Path) -> None:
        self.page, self.base, self.folder = page, base, folder
        self.errors: list[str] = []
        page.on("console", lambda m: self.errors.append(f"{page.url}: {m.text}")
                if m.type == "error" else None)
        page.on("pageerror", lambda e: self.errors.append(f"{page.url}: {e}"))

    def go(self, path: str) -> None:
        self.page.goto(self.base + path)
        self.settle()

    def settle(self) -> None:
        self.page.wait_for_load_state("networkidle")

    def check(self, name: str) -> None:
        """Screenshot the page and run axe-core on it: no serious or critical violation."""
        self.settle()
        self.page.screenshot(path=str(self.folder / f"{name}.png"), full_page=True)
        if not self.page.evaluate("() => typeof axe !== 'undefined'"):
            self.page.evaluate(AXE.read_text())
        found = self.page.evaluate(
            "async (tags) => (await axe.run(document, {runOnly: {type: 'tag', values: tags}}))"
            ".violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.map("
            "n => n.target.join(' ')).slice(0, 3)}))", WCAG_AA)
        bad = [v for v in found if v["impact"] in ("serious", "critical")]
        assert not bad, f"{name}: WCAG 2.1 AA violations {bad}"


def _api_explanation(deployment: Deployment, uscc: str) -> dict[str, Any]:
    response = httpx.get(f"{deployment.url}/v1/enterprises/{uscc}/explanation",
                         headers=deployment.headers("regulator"), timeout=60)
    assert response.status_code == 200, response.text
    return response.json()


def _warned(deployment: Deployment) -> tuple[str, str]:
    """An enterprise with a warning in December (its page has the most to show), and the
    warning's id."""
    response = httpx.get(f"{deployment.url}/v1/warnings", params={"period": str(DECEMBER)},
                         headers=deployment.headers("regulator"), timeout=60)
    first = response.json()["items"][0]
    return first["uscc"], first["warning_id"]


def test_a_regulator_walks_through_the_pages(browser: Any, deployment: Deployment,
                                             request: pytest.FixtureRequest) -> None:
    folder = ARTIFACTS / request.node.callspec.id
    folder.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(viewport=VIEWPORT, locale="zh-CN")
    walk = Walk(context.new_page(), deployment.url, folder)
    page = walk.page
    uscc, warning_id = _warned(deployment)

    walk.go(f"/pages/enterprises/{uscc}")  # no session yet
    assert page.url.endswith("/pages/login")
    walk.check("login")
    page.fill("#key", deployment.keys["regulator"])
    page.click("#login")
    page.wait_for_url("**/pages/")
    walk.check("overview")
    assert page.locator("html").get_attribute("lang") == "zh-CN"

    page.select_option("#severity", "4")  # the warnings' filter, swapped in by htmx
    page.click("#filter-warnings")
    page.wait_for_function("() => !document.querySelector('#warnings-table') || [...document"
                           ".querySelectorAll('#warnings-table tbody tr')].every(r => r.cells[1]"
                           ".textContent.trim() === '4')")
    assert page.url.endswith("/pages/")  # filtered in place
    page.fill("#q", uscc)
    page.click("#search-button")
    link = page.locator(f"#search-results a[href='/pages/enterprises/{uscc}']")
    link.wait_for()
    assert "q=" not in page.url
    link.click()
    page.wait_for_url(f"**/pages/enterprises/{uscc}")
    page.locator("#repair-table, #repair-none").first.wait_for()
    walk.check("enterprise")

    steps = page.locator("#waterfall-table tbody tr")
    kinds = steps.evaluate_all("rows => rows.map(r => r.dataset.kind)")
    points = [float(p) for p in steps.evaluate_all("rows => rows.map(r => r.dataset.points)")]
    lines = dict(zip(kinds, points, strict=False))
    base, model, final = lines["base"], lines["model"], lines["final"]
    features = sum(p for k, p in zip(kinds, points, strict=True) if k in ("feature", "others"))
    rules = sum(p for k, p in zip(kinds, points, strict=True) if k in ("rule", "fusion"))
    assert base + features == pytest.approx(model, abs=1e-6)
    assert model + rules == pytest.approx(final, abs=1e-6)
    shown = float(page.locator("#final-score").get_attribute("data-exact"))
    assert final == pytest.approx(shown, abs=1e-6)
    api = _api_explanation(deployment, uscc)
    assert final == pytest.approx(api["final_score"], abs=1e-6)
    assert base == pytest.approx(api["base_points"], abs=1e-6)
    assert page.locator("#final-score").inner_text() == f"{api['final_score']:,.2f}"
    assert page.locator("#class-label").inner_text() == api["risk_class"]["label"]

    disposal = page.locator(f"#dispose-{warning_id}")  # record what was done (处置)
    disposal.locator("summary").click()
    disposal.locator("select[name='status']").select_option("in_progress")
    disposal.locator("input[name='action_taken']").fill("约谈负责人，限期整改")
    disposal.locator("input[name='department']").fill("食品经营监管科")
    disposal.locator("textarea[name='note']").fill("浏览器测试：十日内复查")
    walk.check("enterprise-dispose")
    disposal.locator("button[type='submit']").click()
    page.wait_for_url(re.compile(rf"/pages/enterprises/{uscc}#warnings$"))
    row = page.locator(f"#warning-{warning_id}")
    assert row.locator(".disposition-status").inner_text() == "处置中"
    assert row.locator(".disposition-action").inner_text() == "约谈负责人，限期整改"
    assert row.locator(".disposition-department").inner_text() == "食品经营监管科"
    page.locator("#repair-table, #repair-none").first.wait_for()
    walk.check("enterprise-disposed")
    row.locator(f"a[href='/pages/warnings/{warning_id}']").click()
    page.wait_for_url(f"**/pages/warnings/{warning_id}")
    assert "浏览器测试：十日内复查" in page.locator("#dispositions-table").inner_text()
    assert page.locator("#warning-status").inner_text() == "处置中"
    walk.check("warning")
    walk.go(f"/pages/enterprises/{uscc}")

    page.click("#switch-language")
    page.wait_for_url(f"**/pages/enterprises/{uscc}")
    page.locator("#repair-table, #repair-none").first.wait_for()
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("#explain-title").inner_text().startswith("Explanation")
    walk.check("enterprise-en")

    walk.go("/pages/")
    walk.check("overview-en")
    chart = page.locator("[data-chart='heatmap']")
    chart.scroll_into_view_if_needed()
    at = page.evaluate(
        "() => { const el = document.querySelector(\"[data-chart='heatmap']\");"
        " const data = JSON.parse(document.getElementById('chart-heat').textContent);"
        " const c = data.cells[0];"
        " const xy = echarts.getInstanceByDom(el).convertToPixel({seriesIndex: 0},"
        " [c[0], c[1]]); const box = el.getBoundingClientRect();"
        " return {x: box.left + xy[0], y: box.top + xy[1], link: data.links[0]}; }")
    page.mouse.click(at["x"], at["y"])
    page.wait_for_url("**/pages/cells?**")
    assert page.url.endswith(at["link"])
    assert page.locator("#cell-table tbody tr").count() >= 1
    walk.check("cell")

    walk.go("/pages/")
    page.locator("#heat-table").evaluate("t => t.closest('details').open = true")
    page.locator("#heat-table a.cell-link").first.click()
    page.wait_for_url("**/pages/cells?**")
    assert page.locator("#cell-table tbody tr").count() >= 1

    walk.go("/pages/model")
    assert page.locator("#model-version").inner_text().startswith("enterprise-credit-risk/")
    walk.check("model")

    made = httpx.post(f"{deployment.url}/v1/sampling/draws", timeout=600,
                      json={"period": DECEMBER.isoformat(), "task": "GEN",
                            "seed": "pages browser test"},
                      headers=deployment.headers("sampling"))
    assert made.status_code == 201, made.text
    drawn = made.json()
    walk.go(f"/pages/sampling?period={DECEMBER}")
    walk.check("sampling")
    assert page.locator("#effect-table tbody tr").count() >= 4
    page.locator(f"a.draw-link[href='/pages/sampling/draws/{drawn['draw_id']}']").click()
    page.wait_for_url(f"**/pages/sampling/draws/{drawn['draw_id']}")
    assert page.locator("#targets-table tbody tr").count() == drawn["targets"]
    assert page.locator("#progress").inner_text().startswith(f"0 / {drawn['targets']}")
    walk.check("draw")
    target = drawn["items"][0]["uscc"]
    walk.go(f"/pages/enterprises/{target}")
    assert drawn["draw_id"] in page.locator("#enterprise-draws").inner_text()

    page.click("#logout")
    page.wait_for_url("**/pages/login")
    walk.go(f"/pages/enterprises/{uscc}")
    assert page.url.endswith("/pages/login")
    assert not walk.errors, walk.errors
    context.close()
