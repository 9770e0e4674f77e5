"""Helpers for browser tests: Debian's headless Chromium driven by Playwright.

Shared by tests/browser/test_browser.py (every tab) and the webcam test: start Chromium with
``launch_chromium(playwright, extra_args=[...fake webcam flags...])``, open the app with
``open_app``, switch tabs with ``open_tab``, write ``NAME.png`` with ``screenshot`` into
``screenshot_folder(tmp)``: a test's temporary folder, or the committed docs/screenshots/
when ``POSE_UPDATE_SCREENSHOTS=1`` (``make screenshots``). Playwright cannot download its
own browsers here, so we point it at ``/usr/bin/chromium`` (``make browser`` installs it).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Sequence
from pathlib import Path

from PIL import Image

from tests.helpers.paths import ROOT

SCREENSHOTS = ROOT / "docs" / "screenshots"
UPDATE_SCREENSHOTS = "POSE_UPDATE_SCREENSHOTS"
CHROMIUM = os.environ.get("POSE_CHROMIUM", "/usr/bin/chromium")
# Without the networking flags Chromium stalls on this closed network (DESIGN.md).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 390, "height": 844}  # a common phone's CSS viewport
# Model runs on two shared cores can be slow, and the first one loads the graph.
RESULT_TIMEOUT_MS = 90_000


def chromium_path() -> str:
    """The Chromium binary, or a clear error that says how to get it."""
    path = CHROMIUM if os.path.isabs(CHROMIUM) else shutil.which(CHROMIUM)
    if not path or not os.access(path, os.X_OK):
        raise RuntimeError(f"Chromium not found at {CHROMIUM}: run `make browser`")
    return path


def launch_chromium(playwright, extra_args: Sequence[str] = ()):
    """A headless Chromium Browser (Playwright sync API)."""
    return playwright.chromium.launch(
        executable_path=chromium_path(), args=[*CHROMIUM_ARGS, *extra_args]
    )


def open_app(browser, url: str, viewport: dict | None = None):
    """A new page (own context, so no state leaks between tests) showing the loaded app."""
    context = browser.new_context(viewport=viewport or DESKTOP)
    page = context.new_page()
    page.goto(url)
    page.get_by_role("tab").first.wait_for(timeout=60_000)
    return page


def open_tab(page, name: str):
    """Click the tab called ``name``; return its (visible) panel."""
    page.get_by_role("tab", name=name, exact=True).click()
    panel = page.locator("[role=tabpanel]:visible")
    panel.first.wait_for()
    return panel.first


def upload(page, elem_id: str, path: str | os.PathLike) -> None:
    """Put a file into the upload component with ``elem_id`` as a person's file picker would."""
    page.locator(f"#{elem_id} input[type=file]").set_input_files(str(path))


def estimate_on_image_tab(page, path: str | os.PathLike) -> None:
    """On the Image tab, upload ``path``, press Estimate and wait for the summary."""
    from playwright.sync_api import expect  # here, so importing this module needs no Playwright

    open_tab(page, "Image")
    upload(page, "image-input", path)
    page.get_by_role("button", name="Estimate").click()
    expect(page.locator("#image-summary")).to_contain_text("Found", timeout=RESULT_TIMEOUT_MS)


def no_sideways_scroll(page) -> int:
    """How many CSS pixels the page is wider than its viewport (0 or 1: nothing to scroll)."""
    return page.evaluate(
        "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )


def screenshot_folder(temporary: Path) -> Path:
    """Where screenshots go: ``temporary`` (so a test run leaves the git tree clean), or the
    committed docs/screenshots/ the README shows when POSE_UPDATE_SCREENSHOTS is set (not 0)."""
    return SCREENSHOTS if os.environ.get(UPDATE_SCREENSHOTS, "0") not in ("", "0") else temporary


def screenshot(page, name: str, folder: Path) -> Path:
    """Write the whole page to FOLDER/NAME.png; see :func:`screenshot_folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    # 256 colours keep a UI screenshot sharp at a third of the size (they are committed).
    with Image.open(path) as shot:
        small = shot.convert("RGB").quantize(256, method=Image.Quantize.MEDIANCUT)
    small.save(path, optimize=True)
    return path


# --------------------------------------------------------------------------- fake webcam
# Used by tests/browser/test_webcam_browser.py; reuse it to screenshot the Webcam tab with
# frames from examples/ (e.g. write_y4m(path, [astronaut_as_640x480] * 10)).


def write_y4m(path: Path, frames: Sequence, fps: int = 10) -> Path:
    """Write RGB uint8 (H, W, 3) frames (even sides) as YUV4MPEG2 4:2:0 for Chromium's fake
    camera, which loops the file."""
    import cv2  # only the webcam tests need it

    height, width = frames[0].shape[:2]
    with Path(path).open("wb") as handle:
        handle.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            handle.write(b"FRAME\n")
            handle.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return Path(path)


def fake_camera_args(y4m: str | os.PathLike) -> list[str]:
    """Chromium flags: grant camera access without asking and play ``y4m`` as the camera."""
    return [
        "--use-fake-ui-for-media-stream",
        "--use-fake-device-for-media-stream",
        f"--use-file-for-fake-video-capture={y4m}",
    ]


def choose_server_mode(page) -> None:
    """On the Webcam tab: compute the skeletons on the server (the page's default is the
    in-browser mode where it can run, ui/webcam.py), and wait for its camera to show."""
    page.locator("#webcam-where").get_by_text("On the server", exact=True).click()
    page.locator("#webcam-input").wait_for(state="visible", timeout=30_000)


def start_webcam_stream(page) -> None:
    """On the Webcam tab: choose the server mode, allow the camera, then press Record so
    frames stream to the app."""
    choose_server_mode(page)
    webcam = page.locator("#webcam-input")
    webcam.get_by_text("Click to Access Webcam").click()
    # Record pressed before the camera delivers its first frame is lost on a busy machine
    # (seen once: no frame reached the app in 90 s), so wait for the preview to play.
    page.wait_for_function(
        "() => { const v = document.querySelector('#webcam-input video');"
        " return v !== null && v.readyState >= 2; }",
        timeout=60_000,
    )
    webcam.get_by_role("button", name="capture photo").click()  # labelled "Record"
