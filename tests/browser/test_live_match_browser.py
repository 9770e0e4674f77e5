"""Live matching in the browser: a fake camera against a reference photo."""

import numpy as np

from tests.helpers.paths import COCO_DIR

PHOTO_A = COCO_DIR / "000000000785.jpg"  # one skier, whole body


def test_live_match_in_the_browser(app_url, tmp_path):
    """A fake camera shows the skier; with the same photo as reference, the Webcam tab
    shows a live similarity that says "Same pose"."""
    import re
    import time

    from playwright.sync_api import sync_playwright

    from pose.media.images import load_image
    from tests.helpers.browser import (
        launch_chromium,
        open_app,
        open_tab,
        start_webcam_stream,
        upload,
        write_y4m,
    )

    photo = load_image(PHOTO_A)  # 640x425: letterbox to a webcam's 640x480
    frame = np.full((480, 640, 3), 114, np.uint8)
    frame[27 : 27 + photo.shape[0]] = photo
    camera = write_y4m(tmp_path / "camera.y4m", [frame] * 10)
    fake = [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={camera}",
    ]
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, extra_args=fake)
        try:
            page = open_app(browser, app_url)
            panel = open_tab(page, "Webcam")
            panel.get_by_text("Match a reference pose").click()
            upload(page, "webcam-reference", PHOTO_A)
            info = page.locator("#webcam-reference-info")
            info.get_by_text("Reference pose:").wait_for(timeout=90_000)
            start_webcam_stream(page)
            score = page.locator("#webcam-match")
            deadline = time.monotonic() + 90
            text = ""
            while time.monotonic() < deadline:
                text = score.inner_text()
                if re.search(r"\d+ %", text):
                    break
                page.wait_for_timeout(250)
            found = re.search(r"(\d+) %", text)
            assert found, f"no live similarity shown: {text!r}"
            assert int(found.group(1)) >= 85 and "Same pose" in text, text
        finally:
            browser.close()
