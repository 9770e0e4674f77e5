"""A first-time user's pass over every tab (issue 19), in headless Chromium: who is who
(numbers drawn, picked by clicking), nothing stale after an error, every upload previews or
is refused at once, the API page names everything, and a 390 px phone cuts nothing off.

Screenshots of each tab at phone width go to docs/screenshots/phone-<tab>.png with
POSE_UPDATE_SCREENSHOTS=1 (from examples/ only: they are committed).
"""

from __future__ import annotations

import io

import numpy as np
import pytest
from PIL import Image
from playwright.sync_api import expect

from pose.body.types import number_people
from pose.media.images import load_image
from pose.output.draw import CHOSEN_BOX, NUMBER_BOX
from pose.pose3d.people import DEFAULT_MODE, estimate_people
from tests.helpers.browser import (
    PHONE,
    RESULT_TIMEOUT_MS,
    ROOT,
    estimate_on_image_tab,
    no_sideways_scroll,
    open_app,
    open_tab,
    screenshot,
    screenshot_folder,
    upload,
)
from tests.helpers.clips import make_clip
from tests.helpers.paths import COCO_DIR

EXAMPLES = ROOT / "examples"
CROWD = COCO_DIR / "000000197388.jpg"  # five skiers
SKIER = COCO_DIR / "000000000785.jpg"


def shown_image(page, selector: str) -> np.ndarray:
    """The RGB pixels of the picture an <img> shows, as the browser fetched them."""
    src = page.locator(selector).first.get_attribute("src")
    response = page.request.get(src)
    assert response.ok
    return np.asarray(Image.open(io.BytesIO(response.body())).convert("RGB"))


def has_colour(pixels: np.ndarray, colour: tuple[int, int, int], at_least: int = 20) -> bool:
    return int((pixels == np.array(colour, np.uint8)).all(axis=-1).sum()) >= at_least


def test_image_numbers_people_and_clears_the_result_when_a_bad_file_comes(page, tmp_path):
    open_tab(page, "Image")
    upload(page, "image-input", CROWD)
    page.get_by_role("button", name="Estimate").click()
    summary = page.locator("#image-summary")
    expect(summary).to_contain_text("people in", timeout=RESULT_TIMEOUT_MS)
    expect(summary).to_contain_text("Numbered largest first")
    # The numbers the table lists are drawn beside the skeletons (white on grey boxes).
    assert has_colour(shown_image(page, "#image-output img"), NUMBER_BOX, at_least=200)
    expect(page.locator("#image-table")).to_contain_text("r_shoulder")
    # The download is named after the photo.
    link = page.locator("#image-json a[download]").first
    assert link.get_attribute("download") == f"{CROWD.stem}-keypoints.json"
    assert page.request.get(link.get_attribute("href")).json()["joints"][1] == "neck"

    # A text file named .jpg is refused at upload, with Estimate's message, in one place.
    bogus = tmp_path / "holiday.jpg"
    bogus.write_text("not really a photo")
    upload(page, "image-input", bogus)
    expect(summary).to_contain_text("not an image we can read", timeout=RESULT_TIMEOUT_MS)
    expect(summary).to_contain_text("No result")
    expect(page.locator("#image-output img")).to_have_count(0)  # the old result is gone
    expect(page.locator("#image-input img")).to_have_count(0)  # no broken-image icon
    expect(page.locator("#image-table")).not_to_contain_text("r_shoulder")
    expect(page.locator("#image-json a[download]")).to_have_count(0)
    # One message (and its toast), not an "Error" badge on every output box.
    badges = page.evaluate(
        """() => [...document.querySelectorAll('.error')]
            .filter(e => e.offsetParent && !e.closest('[class*=toast]')).length"""
    )
    assert badges == 0


def click_on_person(page, selector: str, point: tuple[float, float]) -> None:
    """Click the displayed picture where the photo's pixel ``point`` (x, y) is shown, as a
    user would: scrolled into view first (a click outside the viewport reaches nothing)."""
    image = page.locator(selector).first
    image.scroll_into_view_if_needed()
    box = image.evaluate(
        """img => { const r = img.getBoundingClientRect();
            const scale = Math.min(r.width / img.naturalWidth, r.height / img.naturalHeight);
            return {left: r.left + (r.width - img.naturalWidth * scale) / 2,
                    top: r.top + (r.height - img.naturalHeight * scale) / 2, scale}; }"""
    )
    page.mouse.click(box["left"] + point[0] * box["scale"], box["top"] + point[1] * box["scale"])


def test_match_shows_numbered_people_on_upload_picks_by_click_and_clears_on_error(page):
    panel = open_tab(page, "Match")
    upload(page, "match-image-1", CROWD)
    upload(page, "match-image-2", SKIER)
    # Each photo's people appear at once, numbered, before any Compare.
    expect(page.locator("#match-found-1")).to_contain_text("people, numbered largest first",
                                                           timeout=RESULT_TIMEOUT_MS)  # fmt: skip
    expect(page.locator("#match-found-2")).to_contain_text("1 person", timeout=RESULT_TIMEOUT_MS)
    assert has_colour(shown_image(page, "#match-people-1 img"), NUMBER_BOX, at_least=200)

    # Compare with the defaults: the largest, and whoever stands at the same place; the
    # result says who, and the tab says the rule.
    expect(panel).to_contain_text("whoever stands at the same place in image 2")
    score = page.locator("#match-score")
    panel.get_by_role("button", name="Compare").click()
    expect(score).to_contain_text("the one at the same place", timeout=RESULT_TIMEOUT_MS)
    expect(score).to_contain_text("Compared person 1 of 5 in image 1")

    # Click on person 2 of the crowd: the field takes the number, the preview marks them.
    # Found as the preview finds them: in the tab's default photo mode.
    people = number_people(estimate_people(load_image(CROWD), DEFAULT_MODE).people)
    found = people[1].keypoints[people[1].visible]
    point = found[np.argmin(np.hypot(*(found[:, :2] - found[:, :2].mean(axis=0)).T))]
    click_on_person(page, "#match-people-1 img", (float(point[0]), float(point[1])))
    expect(page.locator("#match-person-1 input")).to_have_value("2", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#match-found-1")).to_contain_text("person 2 is chosen")
    expect(score).not_to_contain_text("%")  # the old result no longer applies
    page.wait_for_timeout(500)
    assert has_colour(shown_image(page, "#match-people-1 img"), CHOSEN_BOX)
    panel.get_by_role("button", name="Compare").click()
    expect(score).to_contain_text("Compared person 2 of", timeout=RESULT_TIMEOUT_MS)

    # Person 7 of 5: one clear message where the score was, nothing stale beside it.
    page.locator("#match-person-1 input").fill("7")
    page.locator("#match-person-1 input").press("Enter")
    panel.get_by_role("button", name="Compare").click()
    expect(score).to_contain_text("not 7", timeout=RESULT_TIMEOUT_MS)
    expect(score).to_contain_text("No result")
    expect(score).not_to_contain_text("%")
    expect(page.locator("#match-overlay img")).to_have_count(0)
    expect(page.locator("#match-table")).not_to_contain_text("body size")


def video_state(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        """v => new Promise(resolve => {
            const report = () => resolve({ready: v.readyState, error: v.error && v.error.code,
                                          width: v.videoWidth});
            if (v.readyState >= 2 || v.error) report();
            else { v.addEventListener("loadeddata", report);
                   v.addEventListener("error", report);
                   setTimeout(report, 15000); }
        })"""
    )


def test_a_bad_video_is_refused_on_upload_and_an_mp4v_clip_previews(page, tmp_path):
    open_tab(page, "Video")
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("this is not a video")
    upload(page, "video-input", bogus)
    summary = page.locator("#video-summary")
    expect(summary).to_contain_text("not a video we can read", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#video-input video")).to_have_count(0)
    # An empty file: our message is the only one (the browser's player failed on it first
    # and Gradio toasted a bare "Video not playable" beside it).
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    upload(page, "video-input", empty)
    expect(summary).to_contain_text("is empty (0 bytes)", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#video-input video")).to_have_count(0)
    expect(page.get_by_text("Video not playable")).to_have_count(0)

    # A clip as OpenCV writes it (MPEG-4 part 2, "mp4v"): browsers cannot play it, so the
    # upload is swapped for an H.264 copy and the preview plays.
    clip = make_clip(tmp_path / "opencv.mp4", frames=6, codec="mpeg4")
    upload(page, "video-input", clip)
    # The browser first fails on the upload itself; the copy then replaces it.
    page.wait_for_function(
        """() => { const v = document.querySelector('#video-input video');
                   return v && v.readyState >= 1 && !v.error; }""",
        timeout=RESULT_TIMEOUT_MS,
    )
    state = video_state(page, "#video-input video")
    assert state["error"] is None and state["width"] == 320, state
    expect(page.get_by_text("Video not playable")).to_have_count(0)


def test_api_page_names_everything_and_hides_the_stream(page, app_url):
    page.locator("footer").get_by_text("Use via API").click()
    expect(page.get_by_text("/estimate_image").first).to_be_visible(timeout=30_000)
    text = page.locator("body").inner_text()
    assert "value_" not in text
    assert "/stream_webcam" not in text
    for name in ("/estimate_video", "/estimate_frame", "/match_images"):
        assert name in text
    page.get_by_text("/match_images").first.scroll_into_view_if_needed()
    info = page.request.get(app_url + "gradio_api/info").json()["named_endpoints"]
    described = info["/match_images"]["parameters"][4]["python_type"]["description"]
    assert "best-matching pair" in described  # from the handler's docstring
    returns = [item["label"] for endpoint in info.values() for item in endpoint["returns"]]
    assert not [label for label in returns if label.startswith("value_")]


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshot_folder(tmp_path_factory.mktemp("phone"))


def clipped_tables(page) -> list[str]:
    """The tables whose columns do not all fit their box (the last ones out of view)."""
    return page.evaluate(
        """() => [...document.querySelectorAll('.virtual-table-viewport')]
            .filter(v => v.offsetParent && v.scrollWidth > v.clientWidth + 1)
            .map(v => v.closest('[id]').id)"""
    )


# The narrowest a control with words may be: two side by side on a 390 px phone get 139.
MIN_CONTROL_PX = 120


def squeezed_controls(page) -> list[str]:
    """The first words of every visible control with text narrower than MIN_CONTROL_PX (the
    Match tab's Mirror checkbox was 26 px beside the method, its words cut)."""
    return page.evaluate(
        """least => [...document.querySelectorAll('.block')]
            .filter(e => e.offsetParent && e.innerText.trim())
            .filter(e => e.getBoundingClientRect().width < least)
            .map(e => e.innerText.trim().slice(0, 30))""",
        MIN_CONTROL_PX,
    )


def broken_cells(page, selector: str) -> list[str]:
    """The texts of the table's header and body cells shown on more than one line, or cut."""
    return page.evaluate(
        """selector => [...document.querySelectorAll(
                selector + ' .cell-wrap, ' + selector + ' .header')]
            .filter(e => e.offsetParent && e.innerText.trim())
            .filter(e => {
                const walker = document.createTreeWalker(e, NodeFilter.SHOW_TEXT);
                for (let n = walker.nextNode(); n; n = walker.nextNode()) {
                    if (!n.textContent.trim()) continue;
                    const r = document.createRange(); r.selectNodeContents(n);
                    if (r.getClientRects().length > 1) return true;  // wrapped
                }
                return e.scrollWidth > e.clientWidth + 1;  // cut off
            })
            .map(e => e.innerText)""",
        selector,
    )


def test_every_tab_fits_a_390_px_phone(browser, app_url, shots):
    page = open_app(browser, app_url, PHONE)
    try:
        estimate_on_image_tab(page, EXAMPLES / "cameraman.jpg")
        assert no_sideways_scroll(page) <= 1
        assert clipped_tables(page) == []
        # Every header and cell on one line: no word or number broken ("pe rs on").
        assert broken_cells(page, "#image-table") == []
        assert squeezed_controls(page) == []
        screenshot(page, "phone-image", shots)

        # The intro's pointer works on a phone too: the footer keeps its API link.
        expect(page.locator("footer").get_by_text("Use via API")).to_be_visible()

        open_tab(page, "Video")
        assert no_sideways_scroll(page) <= 1
        assert squeezed_controls(page) == []
        screenshot(page, "phone-video", shots)

        webcam = open_tab(page, "Webcam")
        assert no_sideways_scroll(page) <= 1
        live = page.locator("#webcam-browser-panel").bounding_box()  # the default mode
        first_control = webcam.get_by_text("Smooth keypoints").first.bounding_box()
        assert live["y"] < first_control["y"]  # the live view before the controls
        assert squeezed_controls(page) == []
        screenshot(page, "phone-webcam", shots)

        panel = open_tab(page, "Match")
        upload(page, "match-image-1", EXAMPLES / "astronaut.jpg")
        upload(page, "match-image-2", EXAMPLES / "astronaut_moved.jpg")
        expect(page.locator("#match-found-2")).to_contain_text("person", timeout=RESULT_TIMEOUT_MS)
        panel.get_by_role("button", name="Compare").click()
        expect(page.locator("#match-score")).to_contain_text("%", timeout=RESULT_TIMEOUT_MS)
        assert no_sideways_scroll(page) <= 1
        assert clipped_tables(page) == []
        # The method's chosen name is shown whole, not cut to "Normalized: po".
        method = page.locator("#match-method input").first
        assert method.evaluate("i => i.scrollWidth <= i.clientWidth + 1")
        assert squeezed_controls(page) == []  # the Mirror checkbox on a line of its own
        screenshot(page, "phone-match", shots)

        open_tab(page, "Compare videos")
        assert no_sideways_scroll(page) <= 1
        assert squeezed_controls(page) == []
        assert clipped_tables(page) == []  # the repetitions' score and weakest in view
        assert broken_cells(page, "#reps-table") == []
        screenshot(page, "phone-compare", shots)
    finally:
        page.context.close()
