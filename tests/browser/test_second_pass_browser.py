"""A second first-time user's pass (issue 26), in headless Chromium: long runs show their
progress (a bar, what is done and the time left) with the button held; a new upload clears
the last input's results; output boxes take no uploads; the Compare tab says what went
wrong in one place and clears the old result.
"""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers.browser import RESULT_TIMEOUT_MS, ROOT, open_tab, upload
from tests.helpers.clips import make_clip
from tests.helpers.paths import COCO_DIR

EXAMPLES = ROOT / "examples"
CROWD = COCO_DIR / "000000197388.jpg"  # five skiers: three passes take a while

# The progress a summary box shows while its event runs: Gradio's status tracker inside it.
PROGRESS = """([selector, unit]) => {
    const box = document.querySelector(selector);
    if (!box) return false;
    const text = box.innerText;
    const tall = box.getBoundingClientRect().height >= 30;
    return tall && new RegExp('\\\\d+/\\\\d+ ' + unit).test(text) && /left/.test(text);
}"""


def button_disabled(page, name: str) -> bool:
    return page.get_by_role("button", name=name, exact=True).first.is_disabled()


def no_upload_targets(page, *elem_ids: str) -> None:
    """The output file boxes ``elem_ids`` invite no drop or click to upload."""
    for elem_id in elem_ids:
        box = page.locator(f"#{elem_id}")
        expect(box).not_to_contain_text("Drop File Here")
        expect(box.locator("input[type=file]")).to_have_count(0)


def test_video_progress_shows_frames_and_time_left_and_a_new_clip_clears_the_old(page, tmp_path):
    open_tab(page, "Video")
    no_upload_targets(page, "video-json", "video-csv")
    clip = make_clip(tmp_path / "people.mp4", frames=40)
    upload(page, "video-input", clip)
    page.locator("#video-input video").first.wait_for(timeout=30_000)
    page.get_by_role("button", name="Annotate video").click()
    # While it runs: the frames done and the time left, in a box tall enough to read,
    # and the button held.
    page.wait_for_function(PROGRESS, arg=["#video-summary", "frames"], timeout=RESULT_TIMEOUT_MS)
    assert button_disabled(page, "Annotate video")
    summary = page.locator("#video-summary")
    expect(summary).to_contain_text("Annotated 40 frames", timeout=RESULT_TIMEOUT_MS)
    expect(page.get_by_role("button", name="Annotate video")).to_be_enabled()
    person = page.locator("#video-person input")
    expect(person).to_have_value(re.compile(r"ID \d+ · in \d+ frames"), timeout=30_000)
    expect(page.locator("#video-json a[download]")).to_have_count(1)

    # A new clip (the old one removed first, as the page asks): the last clip's video,
    # downloads, summary and people go.
    page.locator("#video-input").get_by_role("button", name="Clear").click()
    upload(page, "video-input", make_clip(tmp_path / "other.mp4", frames=6))
    expect(page.locator("#video-json a[download]")).to_have_count(0, timeout=30_000)
    expect(page.locator("#video-output video")).to_have_count(0)
    expect(summary).not_to_contain_text("Annotated")
    expect(person).to_have_value("")

    # A failed upload after a run clears the people and the angles too.
    page.get_by_role("button", name="Annotate video").click()
    expect(summary).to_contain_text("Annotated 6 frames", timeout=RESULT_TIMEOUT_MS)
    expect(person).not_to_have_value("", timeout=30_000)
    bogus = tmp_path / "notes.mp4"
    bogus.write_text("not a video")
    page.locator("#video-input").get_by_role("button", name="Clear").click()
    upload(page, "video-input", bogus)
    expect(summary).to_contain_text("not a video we can read", timeout=RESULT_TIMEOUT_MS)
    expect(person).to_have_value("")


def test_image_progress_on_a_crowd_and_a_new_photo_clears_the_old_result(page):
    open_tab(page, "Image")
    no_upload_targets(page, "image-json", "image-csv")
    # The two controls no longer both offer "accurate".
    expect(page.locator("#image-mode")).not_to_contain_text("ccurate")
    upload(page, "image-input", CROWD)
    expect(page.locator("#image-input img")).to_be_visible()
    page.get_by_role("button", name="Estimate").click()
    page.wait_for_function(PROGRESS, arg=["#image-summary", "passes"], timeout=RESULT_TIMEOUT_MS)
    summary = page.locator("#image-summary")
    expect(summary).to_contain_text("Found", timeout=RESULT_TIMEOUT_MS)
    expect(page.locator("#image-table")).to_contain_text("r_shoulder")
    expect(page.locator("#image-json a[download]")).to_have_count(1)

    # A new photo: nothing of the last one's result stays until Estimate is pressed.
    upload(page, "image-input", EXAMPLES / "astronaut.jpg")
    expect(page.locator("#image-json a[download]")).to_have_count(0, timeout=30_000)
    expect(page.locator("#image-output img")).to_have_count(0)
    expect(page.locator("#image-table")).not_to_contain_text("r_shoulder")
    expect(summary).not_to_contain_text("Found")
