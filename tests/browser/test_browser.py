"""Click through the launched app in headless Chromium as a person would.

Each test takes a screenshot: into a temporary folder, or into docs/screenshots/ (the README
shows them) with POSE_UPDATE_SCREENSHOTS=1, as `make screenshots` does. Inputs are the
redistributable files in examples/, never the eval photos, because the screenshots are
committed.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from pose.media.images import load_image
from tests.helpers.browser import (
    PHONE,
    RESULT_TIMEOUT_MS,
    ROOT,
    SCREENSHOTS,
    UPDATE_SCREENSHOTS,
    estimate_on_image_tab,
    fake_camera_args,
    launch_chromium,
    no_sideways_scroll,
    open_app,
    open_tab,
    screenshot,
    screenshot_folder,
    upload,
    write_y4m,
)

EXAMPLES = ROOT / "examples"


@pytest.fixture(scope="session")
def shots(tmp_path_factory) -> Path:
    return screenshot_folder(tmp_path_factory.mktemp("screenshots"))


def snap(page, name: str, folder: Path) -> None:
    """Take the screenshot NAME and check it is a whole page in a non-empty PNG file."""
    path = screenshot(page, name, folder)
    assert path == folder / f"{name}.png" and path.stat().st_size > 0
    with Image.open(path) as shot:
        assert shot.format == "PNG"
        assert shot.width >= page.viewport_size["width"] and shot.height > 100


@pytest.mark.parametrize(
    ("value", "refresh"), [(None, False), ("", False), ("0", False), ("1", True)]
)
def test_screenshots_refresh_the_committed_ones_only_when_asked(
    monkeypatch, tmp_path, value, refresh
):
    if value is None:
        monkeypatch.delenv(UPDATE_SCREENSHOTS, raising=False)
    else:
        monkeypatch.setenv(UPDATE_SCREENSHOTS, value)
    assert screenshot_folder(tmp_path) == (SCREENSHOTS if refresh else tmp_path)


def test_image_tab_upload_shows_skeleton_table_and_downloads(page, shots):
    open_tab(page, "Image")
    upload(page, "image-input", EXAMPLES / "astronaut.jpg")
    expect(page.locator("#image-input img")).to_be_visible()
    page.get_by_role("button", name="Estimate").click()

    expect(page.locator("#image-summary")).to_contain_text(
        "Found 1 person", timeout=RESULT_TIMEOUT_MS
    )
    annotated = page.locator("#image-output img")
    expect(annotated).to_be_visible()
    # A decoded picture, not a broken link: the browser knows its size.
    assert annotated.evaluate("img => img.complete && img.naturalWidth") == 512
    table = page.locator("#image-table")
    expect(table).to_contain_text("nose")
    expect(table).to_contain_text("r_shoulder")
    assert table.get_by_role("row").count() >= 1 + 6  # header + at least six joints
    # The download links serve the keypoints a person would save.
    links = {}
    for elem_id, suffix in (("image-json", ".json"), ("image-csv", ".csv")):
        link = page.locator(f"#{elem_id} a[download]").first
        assert link.get_attribute("download").endswith(suffix)
        links[suffix] = page.request.get(link.get_attribute("href"))
        assert links[suffix].ok
    assert len(links[".json"].json()["people"]) == 1
    assert links[".csv"].text().startswith("person,joint,x,y,confidence")
    snap(page, "image", shots)


def test_image_tab_photo_mode_is_multi_pass_until_single_is_picked(page):
    open_tab(page, "Image")
    mode = page.locator("#image-mode")
    expect(mode.get_by_label("Multi-pass: three passes fused")).to_be_checked()
    upload(page, "image-input", EXAMPLES / "astronaut.jpg")
    expect(page.locator("#image-input img")).to_be_visible()
    page.get_by_role("button", name="Estimate").click()
    summary = page.locator("#image-summary")
    expect(summary).to_contain_text("3 passes", timeout=RESULT_TIMEOUT_MS)
    mode.get_by_label("Single pass").check()
    page.get_by_role("button", name="Estimate").click()
    # The fast result replaces the accurate one: one pass, so no passes are counted.
    expect(summary).not_to_contain_text("passes", timeout=RESULT_TIMEOUT_MS)
    expect(summary).to_contain_text("Found 1 person")


def test_image_example_click_runs_it(page):
    open_tab(page, "Image")
    examples = page.locator("#image-examples")
    examples.get_by_role("button").nth(1).click()  # the cameraman
    expect(page.locator("#image-summary")).to_contain_text("Found", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#image-output img")).to_be_visible()
    expect(page.locator("#image-table")).to_contain_text("neck")


def test_non_image_upload_shows_the_reason(page, tmp_path):
    bogus = tmp_path / "holiday.jpg"
    bogus.write_text("not really a photo")
    open_tab(page, "Image")
    upload(page, "image-input", bogus)  # refused at once, before Estimate
    expect(page.get_by_text("not an image we can read").first).to_be_visible(
        timeout=RESULT_TIMEOUT_MS
    )
    expect(page.locator("#image-output img")).to_have_count(0)


def test_phone_layout_has_no_sideways_scroll(browser, app_url, shots):
    page = open_app(browser, app_url, PHONE)
    try:
        estimate_on_image_tab(page, EXAMPLES / "cameraman.jpg")
        overflow = no_sideways_scroll(page)
        assert overflow <= 1, f"page is {overflow}px wider than a {PHONE['width']}px phone"
        # Columns stack on a phone: the result sits below the input, not beside it.
        photo = page.locator("#image-input").bounding_box()
        result = page.locator("#image-output").bounding_box()
        assert result["y"] >= photo["y"] + photo["height"] - 1
        snap(page, "phone", shots)
        for tab in ("Video", "Webcam", "Match"):
            open_tab(page, tab)
            overflow = no_sideways_scroll(page)
            assert overflow <= 1, f"the {tab} tab is {overflow}px too wide for a phone"
    finally:
        page.context.close()


def test_api_page_lists_the_named_endpoints_only(page, shots):
    page.locator("footer").get_by_text("Use via API").click()  # the intro names it too
    expect(page.get_by_text("/estimate_image").first).to_be_visible(timeout=30_000)
    for name in ("/estimate_video", "/match_images"):
        expect(page.get_by_text(name).first).to_be_attached()
    assert page.get_by_text("load_example").count() == 0  # internal events stay hidden
    snap(page, "api", shots)


def _percent(text: str) -> float:
    found = re.search(r"(\d+(?:\.\d+)?)\s*%", text)
    assert found, f"no percentage in {text!r}"
    return float(found.group(1))


def test_match_tab_pair_scores(page, shots):
    panel = open_tab(page, "Match")
    score = page.locator("#match-score")
    # A person uploads two different people's poses and compares them.
    upload(page, "match-image-1", EXAMPLES / "astronaut.jpg")
    upload(page, "match-image-2", EXAMPLES / "cameraman.jpg")
    expect(page.locator("#match-image-2 img")).to_be_visible()
    panel.get_by_role("button", name="Compare").click()
    expect(score).to_contain_text("%", timeout=RESULT_TIMEOUT_MS)
    different = _percent(score.inner_text())

    # Then clicks the example pair: the astronaut and her moved, scaled, turned copy.
    panel.locator("[data-testid=dataset-cell-0-0]").click()
    expect(page.locator("#match-image-2 img")).to_have_attribute(
        "src", re.compile("astronaut_moved")
    )
    before = score.locator("[data-testid=markdown]").inner_text()
    panel.get_by_role("button", name="Compare").click()
    page.wait_for_function(  # the new score replaces the old one
        """([selector, before]) => {
            const shown = document.querySelector(selector);
            return shown && shown.innerText.includes("%") && shown.innerText !== before;
        }""",
        arg=["#match-score [data-testid=markdown]", before],
        timeout=RESULT_TIMEOUT_MS,
    )
    same = _percent(score.inner_text())
    assert 0 <= different < same <= 100
    snap(page, "match", shots)


def test_video_tab_result_plays(page, shots):
    open_tab(page, "Video")
    upload(page, "video-input", EXAMPLES / "astronaut_pan.mp4")
    page.get_by_role("button", name="Annotate video").click()
    expect(page.locator("#video-summary")).to_contain_text(
        "Annotated 20 frames", timeout=RESULT_TIMEOUT_MS
    )
    video = page.locator("#video-output video")
    expect(video).to_be_attached()
    state = video.evaluate(
        """v => new Promise(resolve => {
            const report = () => resolve({duration: v.duration, error: v.error && v.error.code,
                                          width: v.videoWidth});
            if (v.readyState >= 1) report();
            else { v.addEventListener("loadedmetadata", report);
                   v.addEventListener("error", report); }
        })"""
    )
    assert state["error"] is None, f"the browser cannot play the result: {state}"
    assert abs(state["duration"] - 2.0) < 0.3 and state["width"] == 320
    # It plays: time moves on.
    played = video.evaluate(
        """async v => { v.muted = true; await v.play();
            await new Promise(r => setTimeout(r, 700)); v.pause(); return v.currentTime; }"""
    )
    assert played > 0.2
    snap(page, "video", shots)


def test_compare_tab_scores_an_example_clip_against_itself(page, shots):
    """The screenshot of the Compare videos tab, from a redistributable clip (the movement
    tests in test_compare_browser.py use eval clips, which are not committed)."""
    open_tab(page, "Compare videos")
    clip = EXAMPLES / "astronaut_pan.mp4"
    for elem_id in ("compare-reference", "compare-attempt"):
        upload(page, elem_id, clip)
        page.locator(f"#{elem_id} video").first.wait_for(timeout=30_000)
    page.locator("#compare-run").click()
    summary = page.locator("#compare-summary")
    expect(summary).to_contain_text("aligned pairs", timeout=RESULT_TIMEOUT_MS)
    assert _percent(summary.inner_text()) > 95  # the same movement
    expect(page.locator("#compare-timeline").locator("canvas, svg").first).to_be_visible(
        timeout=30_000
    )
    snap(page, "compare", shots)


def test_webcam_tab_streams_the_example_photo(playwright, app_url, tmp_path, shots):
    """The screenshot of the Webcam tab in its default mode (skeletons computed in the
    page), fed by a fake camera showing a redistributable photo
    (tests/browser/test_live_browser.py and test_webcam_browser.py check both modes in
    depth)."""
    from tests.browser.test_webcam_browser import CAMERA_SIZE

    photo = load_image(EXAMPLES / "cameraman.jpg")
    frame = np.full((CAMERA_SIZE[1], CAMERA_SIZE[0], 3), 114, dtype=np.uint8)
    left = (CAMERA_SIZE[0] - photo.shape[1]) // 2
    frame[: photo.shape[0], left : left + photo.shape[1]] = photo[: CAMERA_SIZE[1]]
    camera = write_y4m(tmp_path / "camera.y4m", [frame] * 10)
    chromium = launch_chromium(playwright, extra_args=fake_camera_args(camera))
    try:
        page = open_app(chromium, app_url)
        panel = open_tab(page, "Webcam")
        expect(panel.locator("#webcam-where input[value='In this browser']")).to_be_checked()
        page.locator("#live-start").click()
        page.wait_for_function(
            "() => window.poseLive && (poseLive.frames >= 5 || poseLive.error)",
            timeout=RESULT_TIMEOUT_MS,
        )
        assert not page.evaluate("poseLive.error")
        expect(page.locator("#live-status")).to_contain_text("1 person (ID")
        snap(page, "webcam", shots)
    finally:
        chromium.close()
