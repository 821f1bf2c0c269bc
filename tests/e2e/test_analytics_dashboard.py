"""A manager opens the analytics dashboard of the demo company: the charts draw, in Persian."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest

from mehvar.customers.demo import DEMO_STAFF, generate
from mehvar.insights.models import RunStatus, RunTrigger
from mehvar.insights.services import analytics_recompute

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(__file__).resolve().parents[2] / "var" / "screenshots" / "analytics-dashboard.png"
CHARTS = ("chart-pareto", "chart-clv", "chart-churn", "chart-holdout")
LATIN_DIGIT = re.compile(r"[0-9]")

# Counts the canvas pixels that are not blank: a chart that drew nothing has none.
_INK = """(id) => {
  const canvas = document.getElementById(id);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) { ink += 1; } }
  return ink;
}"""


def test_the_dashboard_draws_the_demo_company(live_server: Any, browser: Any) -> None:
    generate(customers=300, seed=7, years=2)
    run = analytics_recompute(trigger=RunTrigger.DEMO)
    assert run.status == RunStatus.SUCCEEDED
    assert run.fit_error == "", "the demo company has enough repeat buyers for the model"
    assert run.parsed_results.holdout is not None, "two years: the model is checked on 13 weeks"
    manager = next(login for login in DEMO_STAFF if login.role == "manager")

    page = browser.new_page(locale="fa-IR", viewport={"width": 1366, "height": 900})
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    def refused(response: Any) -> None:
        # Every script and stylesheet is served (the browser asks for /favicon.ico on its own).
        if response.status >= 400 and not response.url.endswith("/favicon.ico"):
            errors.append(f"{response.status} {response.url}")

    page.on("response", refused)
    page.goto(f"{live_server.url}/login/")
    page.fill("#id_username", manager.username)
    page.fill("#id_password", manager.password)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/")

    page.click("nav >> text=تحلیل مشتریان")
    page.wait_for_url(f"{live_server.url}/analytics/")
    page.wait_for_selector('#insights[data-charts-ready="true"]', timeout=15_000)
    assert page.locator("html").get_attribute("dir") == "rtl"
    assert page.locator("#insights").get_attribute("data-charts") == str(len(CHARTS))
    for chart in CHARTS:
        box = page.locator(f"#{chart}").bounding_box()
        assert box is not None
        assert box["width"] > 200
        assert box["height"] > 200
        assert page.evaluate("(id) => window.Chart.getChart(id) !== undefined", chart)
        assert page.evaluate(_INK, chart) > 1000, f"{chart} drew something"
    assert page.locator("#rfm-grid tbody tr").count() == 5
    assert page.locator("#cohort-table tbody tr").count() >= 6
    assert page.locator("#segments tbody tr").count() == 11

    # Persian digits and Jalali months on the figures a manager reads first.
    for kpi in ("#kpi-customers", "#kpi-top-share", "#kpi-gini", "#kpi-churn", "#kpi-run"):
        text = page.locator(kpi).inner_text()
        assert text.strip() not in {"", "—"}, kpi
        assert not LATIN_DIGIT.search(text), f"{kpi}: {text}"
    sentence = page.locator("#holdout-sentence").inner_text()
    assert sentence.startswith("مدل با خریدهای تا ")
    assert not LATIN_DIGIT.search(sentence), sentence
    months = page.locator("#cohort-table tbody th").all_inner_texts()
    assert all(not LATIN_DIGIT.search(m) and m.split()[0] in _JALALI for m in months)

    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOT), full_page=True)
    assert errors == []
    page.close()


_JALALI = {
    "فروردین", "اردیبهشت", "خرداد", "تیر", "مرداد", "شهریور",
    "مهر", "آبان", "آذر", "دی", "بهمن", "اسفند",
}  # fmt: skip
