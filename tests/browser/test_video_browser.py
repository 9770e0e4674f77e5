"""Annotated videos play in Chromium (where OpenCV's mp4v output does not)."""

from __future__ import annotations

import cv2
import numpy as np

from pose.video.process import (
    process_video,
)


def test_output_plays_in_chromium_where_mp4v_does_not(tmp_path, clip):
    """The point of H.264: a browser decodes it. OpenCV's mp4v, the control, it cannot."""
    from playwright.sync_api import sync_playwright

    from tests.helpers.browser import launch_chromium

    process_video(clip, tmp_path / "ours.mp4")
    writer = cv2.VideoWriter(
        str(tmp_path / "mp4v.mp4"), cv2.VideoWriter_fourcc(*"mp4v"), 10, (320, 240)
    )
    for _ in range(6):
        writer.write(np.full((240, 320, 3), 128, dtype=np.uint8))
    writer.release()
    page_file = tmp_path / "play.html"
    page_file.write_text('<video src="ours.mp4" muted></video><video src="mp4v.mp4" muted></video>')
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = browser.new_page()
            page.goto(page_file.as_uri())
            script = """() => [...document.querySelectorAll('video')].every(
                v => v.error || v.readyState >= 2)"""
            page.wait_for_function(script, timeout=20_000)
            ours, theirs = page.evaluate(
                "[...document.querySelectorAll('video')].map("
                "v => [v.readyState, v.videoWidth, v.videoHeight, v.error && v.error.code])"
            )
        finally:
            browser.close()
    assert ours[0] >= 2 and ours[1:] == [320, 240, None], ours
    assert theirs[3] is not None or theirs[1] == 0, theirs


# The plot is an SVG drawn by Vega: lines are paths under mark-line groups, the legend's
# names are text.
LINES = "s => s.querySelectorAll('g.mark-line path').length"
LEGEND = "s => [...s.querySelectorAll('.role-legend text')].map(t => t.textContent)"


def wait_for_plot(page, shown: set[str], hidden: set[str]) -> None:
    """Wait until the angle plot draws lines and its legend names all of ``shown`` and none
    of ``hidden`` (Vega redraws in steps after new data arrives)."""
    page.wait_for_function(
        f"""([shown, hidden]) => {{
            const s = document.querySelector('#video-angles svg');
            if (!s) return false;
            const names = ({LEGEND})(s);
            return ({LINES})(s) > 0 && shown.every(n => names.includes(n))
                && !hidden.some(n => names.includes(n)); }}""",
        arg=[sorted(shown), sorted(hidden)],
        timeout=30_000,
    )


def test_video_tab_plots_the_chosen_person_s_angles(app_url, tmp_path):
    """After a clip, the Video tab offers its people by ID and plots the chosen angles of the
    chosen one over time; ticking angles redraws the plot."""
    from playwright.sync_api import expect, sync_playwright

    from tests.helpers.browser import (
        RESULT_TIMEOUT_MS,
        launch_chromium,
        open_app,
        open_tab,
        upload,
    )
    from tests.helpers.clips import make_walking_clip

    clip = make_walking_clip(tmp_path / "skier.mp4")  # 12 frames: one person, whole body
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = open_app(browser, app_url)
            open_tab(page, "Video")
            upload(page, "video-input", clip)
            page.get_by_role("button", name="Annotate video").click()
            expect(page.locator("#video-summary")).to_contain_text(
                "Annotated 12 frames", timeout=RESULT_TIMEOUT_MS
            )
            expect(page.locator("#video-person input")).to_have_value(
                "ID 1 · in 12 frames", timeout=30_000
            )
            # The skier's left forearm points at the camera (a third of the upper arm's
            # length in the picture or less): that angle has no line, and the note says so.
            first = {"r_knee", "l_knee", "r_hip", "l_hip", "r_elbow"}
            wait_for_plot(page, first, {"trunk_lean", "l_elbow"})
            # The axes: time in seconds across the clip, degrees up to 180.
            texts = page.locator("#video-angles svg").first.evaluate(
                "s => [...s.querySelectorAll('text')].map(t => t.textContent)"
            )
            assert {"time (s)", "degrees", "0.0", "1.1", "180"} <= set(texts)
            expect(page.locator("#video-angles-note")).to_contain_text(
                "Not measured in any frame of ID 1: l_elbow"
            )

            # Untick both knees and tick the trunk lean: the plot follows.
            choices = page.locator("#video-angle-names")
            for name in ("r_knee", "l_knee", "trunk_lean"):
                choices.get_by_label(name, exact=True).click()
            wait_for_plot(page, first - {"r_knee", "l_knee"} | {"trunk_lean"}, {"r_knee", "l_knee"})

            # Nothing chosen: an empty plot says why.
            for name in ("r_hip", "l_hip", "r_elbow", "l_elbow", "trunk_lean"):
                choices.get_by_label(name, exact=True).click()
            expect(page.locator("#video-angles-note")).to_contain_text("Choose the angles")
        finally:
            browser.close()
