"""The Image tab's 3D option in headless Chromium: the 3D view appears, turns with the mouse,
and is screenshotted (docs/screenshots/pose3d.png with POSE_UPDATE_SCREENSHOTS=1). The input
is a redistributable example (the cameraman), since the screenshot is committed."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from tests.helpers.browser import (
    RESULT_TIMEOUT_MS,
    ROOT,
    open_tab,
    screenshot,
    screenshot_folder,
    upload,
)

EXAMPLES = ROOT / "examples"


def camera_eye(page) -> dict:
    """The Plotly scene camera's eye position as the browser holds it now."""
    return page.locator("#image-3d-view .js-plotly-plot").evaluate(
        "plot => plot._fullLayout.scene._scene.getCamera().eye"
    )


def test_3d_view_shows_the_people_and_turns_with_the_mouse(page, tmp_path):
    open_tab(page, "Image")
    view = page.locator("#image-3d-view")
    expect(view).to_be_hidden()  # 2D-only use shows no 3D view
    upload(page, "image-input", EXAMPLES / "cameraman.jpg")
    expect(page.locator("#image-input img")).to_be_visible()
    page.locator("#image-3d input[type=checkbox]").check()
    page.get_by_role("button", name="Estimate").click()

    expect(page.locator("#image-summary")).to_contain_text(
        re.compile(r"3D for (\d+) of \1\b"), timeout=RESULT_TIMEOUT_MS
    )
    plot = view.locator(".js-plotly-plot")
    expect(plot).to_be_visible(timeout=RESULT_TIMEOUT_MS)
    # One marker trace per person (33 landmarks) plus line traces in the 2D colours.
    traces = plot.evaluate("plot => plot.data.map(t => [t.mode, (t.x || []).length])")
    assert ["markers", 33] in traces and any(mode == "lines" for mode, _ in traces)
    # The person's number above their head, as in 2D; and the scene starts with every
    # drawn point inside its box (a box the camera sees whole: its longest side 1).
    texts = plot.evaluate("p => p.data.filter(t => t.mode === 'text').map(t => t.text)")
    people = sum(mode == "markers" for mode, _ in traces)
    assert texts == [[str(number) for number in range(1, people + 1)]]
    inside = plot.evaluate(
        """p => { const s = p._fullLayout.scene; const r = ['x', 'y', 'z'].map(a =>
                  s[a + 'axis'].range); const ratio = s.aspectratio;
            const ok = p.data.every(t => ['x', 'y', 'z'].every((a, i) => (t[a] || [])
                .every(v => v === null || (v > r[i][0] && v < r[i][1]))));
            return ok && Math.max(ratio.x, ratio.y, ratio.z) === 1; }"""
    )
    assert inside
    # Dragging across the scene turns the camera round the people (the live camera).
    before = camera_eye(page)
    canvas = view.locator(".gl-container canvas").first
    canvas.scroll_into_view_if_needed()
    box = canvas.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    page.mouse.move(x, y)
    page.mouse.down()
    page.mouse.move(x + 90, y + 5, steps=10)
    page.mouse.up()
    page.wait_for_timeout(300)
    after = camera_eye(page)
    assert abs(after["x"] - before["x"]) + abs(after["y"] - before["y"]) > 0.2, (before, after)
    # The JSON download carries the landmarks.
    link = page.locator("#image-json a[download]").first
    person = page.request.get(link.get_attribute("href")).json()["people"][0]
    assert len(person["landmarks3d"]) == 33
    # The screenshot shows the view turned, so the depth can be seen.
    path = screenshot(page, "pose3d", screenshot_folder(tmp_path))
    assert path.stat().st_size > 0
