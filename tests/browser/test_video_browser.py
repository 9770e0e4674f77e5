"""Annotated videos play in Chromium (where OpenCV's mp4v output does not)."""

from __future__ import annotations

import cv2
import numpy as np

from pose.video import (
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
