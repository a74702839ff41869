"""What a candidate does in the browser, end to end in Chromium: SQL wrong then right in the editor with
Ctrl+Enter, completion, a case with its red flag highlighted, a short mock to its debrief, the plan's
.ics, a draft surviving a reload, a <script> answer shown as text; screenshots and accessibility.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path
from typing import Any

import pytest

from browser.artifacts import screenshot
from pmdrill.core.sqlcheck import bank

pytestmark = pytest.mark.browser
Q = "paying-learners-may-2026"
CASE = "rec-engine-success"


def expect() -> Any:
    from playwright.sync_api import expect as _expect

    return _expect


def editor(page: Any) -> Any:
    return page.locator("[data-testid=sql-editor] .cm-content")


def replace_sql(page: Any, text: str) -> None:
    box = editor(page)
    box.click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_sql_wrong_then_right_with_ctrl_enter(page: Any) -> None:
    q = bank.get_question(Q)
    page.goto(f"/sql/{Q}")
    box = editor(page)
    expect()(box).to_be_visible()
    box.click()
    page.keyboard.type("SELECT COUNT(*) AS n FROM payments")
    page.keyboard.press("Control+Enter")
    verdict = page.get_by_test_id("verdict")
    expect()(verdict).to_contain_text("Not yet", timeout=30_000)
    expect()(page.get_by_test_id("counterexample")).to_be_visible()
    expect()(page.get_by_test_id("ce-got")).to_be_visible()
    assert page.locator("[data-testid=counterexample] td.diff-cell").count() >= 1
    screenshot(page, "sql-question-wrong")
    # feedback in levels: the first says what is wrong in the candidate's terms, "Tell me more" the clause
    assert "is_internal_test" not in verdict.inner_text()
    page.once("dialog", lambda d: d.accept())
    page.get_by_test_id("tell-me-more").click()
    expect()(page.get_by_test_id("explain")).to_contain_text("is_internal_test", timeout=30_000)
    replace_sql(page, q.reference)
    page.keyboard.press("Control+Enter")
    expect()(verdict).to_contain_text("Correct", timeout=30_000)
    expect()(page.get_by_test_id("counterexample")).to_have_count(0)
    page.reload()
    expect()(page.locator("#history-h + table tbody tr")).to_have_count(2)


def test_completion_offers_a_column(page: Any) -> None:
    page.goto("/scratch")
    replace_sql(page, "SELECT signup_")
    page.keyboard.press("Control+Space")
    options = page.locator(".cm-tooltip-autocomplete li")
    expect()(options.first).to_be_visible(timeout=10_000)
    labels = options.all_inner_texts()
    assert any(label.startswith("signup_platform") for label in labels), labels


def test_run_shows_a_grid_without_a_verdict(page: Any) -> None:
    page.goto("/scratch")
    page.get_by_role("button", name="Run").click()
    grid = page.get_by_test_id("grid")
    expect()(grid).to_be_visible(timeout=20_000)
    assert grid.locator("th").first.inner_text() == "level"
    expect()(page.get_by_test_id("verdict")).to_have_count(0)


def test_a_case_answer_gets_its_red_flag_highlighted(page: Any) -> None:
    page.goto(f"/cases/{CASE}")
    page.get_by_label("Your answer").fill("CTR is up 15%, so the new model is a win. We should optimise for clicks.")
    page.get_by_role("button", name="Score my answer").click()
    expect()(page.get_by_test_id("case-score")).to_be_visible(timeout=30_000)
    flagged = page.locator("[data-testid=answer-text] mark.flag")
    expect()(flagged.first).to_be_visible()
    assert "win" in " ".join(flagged.all_inner_texts())
    screenshot(page, "case-scored")


def test_a_draft_survives_a_reload(page: Any) -> None:
    page.goto(f"/cases/{CASE}")
    box = page.get_by_label("Your answer")
    box.fill("My draft: first-module completion of recommended enrollments, with CTR as a diagnostic.")
    page.wait_for_timeout(800)
    page.reload()
    expect()(page.get_by_label("Your answer")).to_have_value(re.compile("^My draft: first-module completion"))


def test_an_answer_holding_a_script_renders_as_text(page: Any) -> None:
    page.goto(f"/cases/{CASE}")
    evil = "<script>window.__pwned = 1</script><img src=x onerror=\"window.__pwned = 2\"> CTR rose, ship it."
    page.get_by_label("Your answer").fill(evil)
    page.get_by_role("button", name="Score my answer").click()
    text = page.get_by_test_id("answer-text")
    expect()(text).to_be_visible(timeout=30_000)
    assert "<script>window.__pwned = 1</script>" in text.inner_text()
    assert page.evaluate("window.__pwned") is None


def test_a_short_mock_runs_to_its_debrief(page: Any) -> None:
    page.goto("/mock")
    page.get_by_label("Minutes").fill("20")
    page.get_by_role("button", name="Start a round").click()
    for _ in range(6):
        if "/debrief" in page.url:
            break
        expect()(page.locator("[data-countdown]")).to_be_visible()
        if page.locator("[data-testid=sql-editor]").count():
            page.get_by_label(re.compile("your plan in words")).fill("join payments to learners and count")
            replace_sql(page, "SELECT COUNT(DISTINCT learner_id) AS n FROM payments")
        else:
            page.get_by_label("Your answer").fill("Success is completion of the first module, not clicks; "
                                                  "I would hold out a control group and watch refunds.")
        page.get_by_role("button", name="Submit and go on").click()
        page.wait_for_load_state()
    assert "/debrief" in page.url
    verdict = page.get_by_test_id("debrief-verdict")
    expect()(verdict).to_contain_text(re.compile("(Strong hire|Hire|No hire|Strong no hire)"))
    screenshot(page, "mock-debrief")


def test_the_plan_downloads_as_ics(page: Any) -> None:
    page.goto("/plan")
    when = (dt.date.today() + dt.timedelta(days=14)).isoformat()
    page.get_by_label("Interview date").fill(when)
    page.get_by_role("button", name="Re-plan").click()
    expect()(page.get_by_role("heading", level=1)).to_contain_text(when)
    with page.expect_download() as info:
        page.get_by_role("link", name="Download .ics").click()
    text = Path(info.value.path()).read_text(encoding="utf-8")
    assert text.startswith("BEGIN:VCALENDAR") and "pmdrill" in text
    screenshot(page, "plan")


MAIN_PAGES = ["/", "/sql", f"/sql/{Q}", "/schema", "/scratch", "/cases", f"/cases/{CASE}", "/cases/free",
              "/metrics", "/metrics/course_completion_rate", "/frameworks", "/experiments",
              "/experiments/streak_push", "/experiments/paywall", "/mock", "/plan", "/progress"]


@pytest.mark.parametrize("path", MAIN_PAGES)
def test_main_pages_render_and_have_no_critical_accessibility_violation(page: Any, path: str) -> None:
    page.goto(path)
    page.wait_for_load_state("networkidle")
    name = path.strip("/").replace("/", "-") or "today"
    screenshot(page, f"page-{name}")
    page.add_script_tag(url="/static/dist/axe.min.js")
    result = page.evaluate("async () => { const r = await axe.run(document, {resultTypes: ['violations']}); "
                           "return r.violations.map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.length})); }")
    critical = [v for v in result if v["impact"] == "critical"]
    assert not critical, critical


@pytest.mark.parametrize("path", ["/", f"/sql/{Q}", f"/cases/{CASE}"])
def test_three_pages_at_phone_width(browser: Any, server: Any, path: str) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844}, base_url=server.url, is_mobile=True)
    try:
        pg = context.new_page()
        pg.goto(path)
        pg.wait_for_load_state("networkidle")
        width = pg.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"{path} scrolls sideways at 390 px ({width} px wide)"
        screenshot(pg, f"phone-{path.strip('/').replace('/', '-') or 'today'}")
    finally:
        context.close()
