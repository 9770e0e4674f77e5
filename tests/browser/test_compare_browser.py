"""The Compare videos tab in Chromium: upload two clips, see the score, timeline, worst
moments and a side-by-side video that plays; count repetitions."""

from __future__ import annotations

import pytest

from tests.helpers.browser import (
    RESULT_TIMEOUT_MS,
    launch_chromium,
    open_app,
    open_tab,
    screenshot,
    screenshot_folder,
    upload,
)
from tests.helpers.movement import movement_clips


def upload_clip(page, elem_id: str, path) -> None:
    """Upload a clip and wait until the component shows it (the upload has finished)."""
    upload(page, elem_id, path)
    page.locator(f"#{elem_id} video").first.wait_for(timeout=30_000)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    return movement_clips(tmp_path_factory.mktemp("movement"))


def test_compare_videos_tab(app_url, clips, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = open_app(browser, app_url)
            panel = open_tab(page, "Compare videos")
            upload_clip(page, "compare-reference", clips["reference"])
            upload_clip(page, "compare-attempt", clips["attempt"])
            page.locator("#compare-run").click()
            summary = page.locator("#compare-summary")
            # (While it works, the progress bar shows there too.)
            expect(summary).to_contain_text("aligned pairs", timeout=RESULT_TIMEOUT_MS)
            expect(summary.locator("h1")).to_contain_text("%")
            # The person choice: who was followed, and the box to follow someone else.
            expect(summary).to_contain_text("Followed: ID ")
            expect(page.locator("#compare-track-ids")).to_contain_text("Follow tracking IDs")
            # The side-by-side video loads and can play.
            video = page.locator("#compare-video video")
            video.wait_for(timeout=RESULT_TIMEOUT_MS)
            page.wait_for_function(
                "() => { const v = document.querySelector('#compare-video video');"
                " return v && v.readyState >= 2 && v.videoWidth > 0; }",
                timeout=30_000,
            )
            width = page.evaluate("document.querySelector('#compare-video video').videoWidth")
            assert width == 640
            # The timeline is drawn (Vega renders a canvas or an SVG), the worst moments shown.
            timeline = page.locator("#compare-timeline")
            expect(timeline.locator("canvas, svg").first).to_be_visible(timeout=30_000)
            expect(page.locator("#compare-worst img").first).to_be_visible()
            screenshot(page, "compare", screenshot_folder(tmp_path))
            assert panel.is_visible()
            # Repetitions: one stride against three (a fresh page: no clips to clear).
            page = open_app(browser, app_url)
            open_tab(page, "Compare videos")
            upload_clip(page, "compare-reference", clips["stride"])
            upload_clip(page, "compare-attempt", clips["reps"])
            page.locator("#reps-run").click()
            expect(page.locator("#reps-summary")).to_contain_text(
                "3 repetitions", timeout=RESULT_TIMEOUT_MS
            )
            # three copies of one stride: none is weaker beyond the measurement's noise
            expect(page.locator("#reps-summary")).to_contain_text("none stands out")
        finally:
            browser.close()


def test_bad_clip_shows_a_message_not_a_trace(app_url, clips):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = open_app(browser, app_url)
            open_tab(page, "Compare videos")
            upload_clip(page, "compare-reference", clips["reference"])
            upload_clip(page, "compare-attempt", clips["empty"])
            page.locator("#compare-run").click()
            expect(page.get_by_text("No person found in any of the 10 frames")).to_be_visible(
                timeout=RESULT_TIMEOUT_MS
            )
            expect(page.get_by_text("Traceback")).to_have_count(0)
        finally:
            browser.close()
