"""The Webcam tab's in-browser mode in headless Chromium with a fake camera (one page load).

The page loads LiteRT.js and the int8 model from the app, runs them on the camera's frames
(the skier from ../shared/eval), decodes, tracks, smooths and draws in the page. Checked
from what reaches the page: it is the default mode, the page is cross-origin isolated (two
WASM threads), the skeleton's joints are where the server finds them and on the right side,
a reference photo's pose (computed once on the server) gives a live score in the page, and
no request carrying a camera frame reaches the server while live: nothing at all is sent
but the reference photo's upload and its one event.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
from playwright.sync_api import expect, sync_playwright

from pose.body.skeleton import Joint
from pose.photo.estimate import estimate
from tests.browser.test_webcam_browser import PHOTO, camera_frame
from tests.helpers.browser import (
    RESULT_TIMEOUT_MS,
    fake_camera_args,
    launch_chromium,
    open_app,
    open_tab,
    upload,
    write_y4m,
)

# The page runs the network at 192x144 on the whole 640x480 frame or a crop around the
# person, after the browser's own resize: joints agree with the server's (432x368) to
# within a few pixels, not exactly (the decoder alone agrees to 1e-4 px:
# tests/model/test_live_decoder.py).
MEDIAN_GAP_PX = 12.0


@pytest.fixture(scope="module")
def fake_camera(tmp_path_factory):
    return write_y4m(tmp_path_factory.mktemp("camera") / "camera.y4m", [camera_frame()] * 10)


def live_state(page) -> dict:
    return page.evaluate(
        "() => ({frames: poseLive.frames, backend: poseLive.backend, error: poseLive.error,"
        " people: poseLive.people, running: poseLive.running})"
    )


def wait_frames(page, count: int) -> None:
    page.wait_for_function(
        f"() => window.poseLive && (poseLive.frames >= {count} || poseLive.error)",
        timeout=RESULT_TIMEOUT_MS,
    )


def test_in_browser_mode_draws_skeletons_without_sending_frames(fake_camera, app_url):
    with sync_playwright() as playwright:
        browser = launch_chromium(playwright, extra_args=fake_camera_args(fake_camera))
        try:
            page = open_app(browser, app_url)
            assert page.evaluate("self.crossOriginIsolated") is True
            panel = open_tab(page, "Webcam")
            expect(panel.locator("#webcam-where input[value='In this browser']")).to_be_checked()
            start = page.locator("#live-start")
            expect(start).to_be_visible(timeout=30_000)

            sent = []  # every request from the page once live, but the page's own files
            page.on(
                "request",
                lambda request: (
                    "/live/" not in request.url
                    and sent.append(
                        (request.method, request.url, len(request.post_data_buffer or b""))
                    )
                ),
            )
            start.click()
            wait_frames(page, 5)
            state = live_state(page)
            assert not state["error"], state["error"]
            # Isolated, so WASM threads: one per core (up to 4), at least two.
            assert re.fullmatch(r"LiteRT\.js, WASM, [2-4] threads", state["backend"]), state
            first = state["frames"]
            page.wait_for_timeout(3000)
            state = live_state(page)
            assert state["frames"] > first, "the page stopped drawing"
            status = page.locator("#live-status").inner_text()
            assert "In this browser" in status and "1 person (ID" in status, status
            assert sent == [], f"the page sent requests while live: {sent[:5]}"

            # The page's joints are the server's (its own un-mirrored frame pixels).
            (person,) = state["people"]
            page_points = np.array(person["keypoints"], dtype=np.float64)
            truth = estimate(camera_frame()).people[0].keypoints
            both = (page_points[:, 2] > 0) & (truth[:, 2] > 0)
            assert both.sum() >= 12
            gaps = np.linalg.norm(page_points[both, :2] - truth[both, :2], axis=1)
            assert np.median(gaps) <= MEDIAN_GAP_PX, f"median gap {np.median(gaps):.1f} px"
            # Left is left: the person's right shoulder is nearer the server's right one.
            right, left = Joint.R_SHOULDER, Joint.L_SHOULDER
            near = np.linalg.norm(page_points[right, :2] - truth[right, :2])
            far = np.linalg.norm(page_points[right, :2] - truth[left, :2])
            assert near < far

            # Live matching: the reference's people come from the server once; the score
            # is computed in the page on every frame.
            page.get_by_text("Match a reference pose").click()
            upload(page, "webcam-reference", PHOTO)
            expect(page.locator("#webcam-reference-info")).to_contain_text(
                "Reference pose", timeout=RESULT_TIMEOUT_MS
            )
            score = page.locator("#live-match")
            expect(score).to_contain_text("%", timeout=RESULT_TIMEOUT_MS)
            percent = float(score.inner_text().split("%")[0].split()[-1])
            assert percent >= 70, score.inner_text()  # the same photo as the camera shows
            # The reference's upload and event were the only requests; frames stay local.
            assert any("upload" in url for _, url, _ in sent)
            settled, before = len(sent), live_state(page)["frames"]
            page.wait_for_timeout(2000)
            assert live_state(page)["frames"] > before
            assert [r for r in sent[settled:] if r[0] != "GET"] == []
        finally:
            browser.close()
