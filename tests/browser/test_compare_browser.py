"""The Compare videos tab in Chromium: upload two clips, see the score, timeline, worst
moments and a side-by-side video that plays; count repetitions."""

from __future__ import annotations

import pytest

from tests.browser.test_second_pass_browser import PROGRESS
from tests.helpers.browser import (
    RESULT_TIMEOUT_MS,
    launch_chromium,
    open_app,
    open_tab,
    screenshot,
    upload,
)
from tests.helpers.movement import movement_clips


def upload_clip(page, elem_id: str, path) -> None:
    """Upload a clip and wait until the component shows it (the upload has finished)."""
    upload(page, elem_id, path)
    page.locator(f"#{elem_id} video").first.wait_for(timeout=30_000)


@pytest.fixture(scope="module")
def clips(tmp_path_factory):
    folder = tmp_path_factory.mktemp("movement")
    made = movement_clips(folder)
    (folder / "zero.mp4").write_bytes(b"")
    return {**made, "zero": folder / "zero.mp4"}


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
            # While it works: the bar, the frames done and the time left, the button held.
            page.wait_for_function(
                PROGRESS, arg=["#compare-summary", "frames"], timeout=RESULT_TIMEOUT_MS
            )
            assert page.locator("#compare-run").is_disabled()
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
            # Never into docs/: these clips are cut from an eval video (test_browser.py
            # takes the committed Compare screenshot from an example clip).
            screenshot(page, "compare-movement", tmp_path)
            assert panel.is_visible()
            # A failed run after it: one message where the result was, the result gone.
            page.locator("#compare-person-2 input").fill("9")
            page.locator("#compare-run").click()
            expect(summary).to_contain_text("No result", timeout=RESULT_TIMEOUT_MS)
            expect(summary.locator("h1")).to_have_count(0)
            expect(page.locator("#compare-video video")).to_have_count(0)
            expect(page.locator("#compare-worst img")).to_have_count(0)
            # An empty (0-byte) clip is refused on upload with its own message.
            page.locator("#compare-attempt").get_by_role("button", name="Clear").click()
            upload(page, "compare-attempt", clips["zero"])
            expect(summary).to_contain_text("is empty (0 bytes)", timeout=RESULT_TIMEOUT_MS)
            expect(page.locator("#compare-attempt video")).to_have_count(0)
            # Ours is the only message: not the browser's bare "Video not playable" too.
            expect(page.get_by_text("Video not playable")).to_have_count(0)
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
            summary = page.locator("#compare-summary")
            # Nothing uploaded: the reason, in the summary (it stays; the toast goes).
            page.locator("#compare-run").click()
            expect(summary).to_contain_text("Please upload both", timeout=RESULT_TIMEOUT_MS)
            expect(summary).to_contain_text("No result")
            upload_clip(page, "compare-reference", clips["reference"])
            upload_clip(page, "compare-attempt", clips["empty"])
            page.locator("#compare-run").click()
            expect(summary).to_contain_text(
                "No person found in any of the 10 frames", timeout=RESULT_TIMEOUT_MS
            )
            expect(page.get_by_text("Traceback")).to_have_count(0)
            # One message, not an "Error" badge on every output besides it.
            badges = page.evaluate(
                """() => [...document.querySelectorAll('.error')]
                    .filter(e => e.offsetParent && !e.closest('[class*=toast]')).length"""
            )
            assert badges == 0
        finally:
            browser.close()
