"""The Webcam tab in headless Chromium with a fake camera: in the browser against the server.

``python -m benchmarks.live_browser [--seconds 20] [--pages 1 4] [--json OUT]``

Launches the app, then for each mode (the page's "In this browser", LiteRT.js; the
server's stream, "On the server") and each number of pages open at once: one Chromium with
that many pages (own contexts) on the Webcam tab, fed by Chromium's fake camera (the skier
from ../shared/eval letterboxed to 640x480 at 30 frames/s; DESIGN.md's flags), started as a
person would,
warmed up, then measured for ``--seconds``:

- frames/s drawn, per page: skeleton frames drawn in the page (``poseLive.frames``) or
  frames the server handled for that page (the status line's frame counter);
- time per frame, per page: the page's median over its last 20 frames (camera frame to drawn
  skeleton) or the server's (frame in to drawn frame out), as each status line says;
- the server's CPU time (the app process and its children, user + system) over the window,
  less its idle housekeeping (timed first, with no page open), per viewer-minute; and
  Chromium's, since here browser and server share the same cores; their sum per frame drawn
  (the figure a loaded machine changes least); and the page's steps on its last frame.

The same run times both modes, so the ratios hold on a loaded machine; the absolute figures
do not. Prints the CPU, the load average and the back end the page ran on.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.common import cpu_model

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from pose.media.images import load_image  # noqa: E402
from tests.helpers.browser import (  # noqa: E402
    fake_camera_args,
    launch_chromium,
    open_app,
    open_tab,
    start_webcam_stream,
    write_y4m,
)
from tests.helpers.live_vectors import letterboxed  # noqa: E402
from tests.helpers.paths import COCO_DIR  # noqa: E402
from tests.helpers.server import launched_app  # noqa: E402

PHOTO = COCO_DIR / "000000000785.jpg"  # one skier, as the webcam tests use
SERVER_STATUS = re.compile(r"([\d.]+) frames/s · (\d+) ms per frame .* · frame (\d+)")
WARM_FRAMES = 5
# A webcam's rate. The page counts only new camera frames (requestVideoFrameCallback); the
# tests' 10 frames/s camera would cap it at 10 (the page before counted a frame again when
# no new one had come, which is how it showed 13 frames/s from a 10 frames/s camera).
CAMERA_FPS = 30
WARM_TIMEOUT_S = 120


def process_cpu(process: psutil.Process) -> float:
    """CPU seconds (user + system) of ``process`` and its living children."""
    total = 0.0
    for one in [process, *process.children(recursive=True)]:
        try:
            times = one.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            continue
    return total


def own_cpu(process: psutil.Process) -> float:
    """CPU seconds (user + system) of ``process`` alone (0 once it is gone)."""
    try:
        times = process.cpu_times()
    except psutil.NoSuchProcess:
        return 0.0
    return times.user + times.system


def chromium_processes() -> list[psutil.Process]:
    """The Chromium processes on this machine started by this benchmark's Playwright."""
    me = psutil.Process()
    return [p for p in me.children(recursive=True) if "chrom" in p.name().lower()]


def browser_frames(page) -> tuple[int, float, str]:
    """(frames drawn, ms per frame, back end) of a page in the in-browser mode."""
    state = page.evaluate("() => [poseLive.frames, poseLive.msPerFrame, poseLive.backend]")
    return int(state[0]), float(state[1]), str(state[2])


def server_frames(page) -> tuple[int, float, str]:
    """(frames the server handled, its ms per frame, "") from a page's status line."""
    text = page.locator("#webcam-status textarea, #webcam-status input").first.input_value()
    found = SERVER_STATUS.search(text)
    return (int(found.group(3)), float(found.group(2)), "") if found else (0, 0.0, "")


def start(page, mode: str) -> None:
    open_tab(page, "Webcam")
    if mode == "server":
        start_webcam_stream(page)  # chooses "On the server" first
    else:
        page.locator("#live-start").click()


def idle_cpu(app: psutil.Process, seconds: float) -> float:
    """The server's CPU seconds over ``seconds`` with no page open (its own housekeeping),
    subtracted from each configuration's, so what remains is what the viewers cost."""
    before = process_cpu(app)
    time.sleep(seconds)
    return process_cpu(app) - before


def measure(browser, url: str, mode: str, pages: int, seconds: float, app, idle: float) -> dict:
    """One configuration: ``pages`` pages live in ``mode`` ("browser" or "server")."""
    read = browser_frames if mode == "browser" else server_frames
    opened = [open_app(browser, url) for _ in range(pages)]
    try:
        for page in opened:
            start(page, mode)
        deadline = time.monotonic() + WARM_TIMEOUT_S
        # Server streams beyond its concurrency limit wait in the queue: warm up on the
        # pages that run at all, and count the others as 0 frames/s.
        while time.monotonic() < deadline and max(read(p)[0] for p in opened) < WARM_FRAMES:
            time.sleep(0.5)
        chrome = chromium_processes()
        first = [read(page)[0] for page in opened]
        server_before, chrome_before = process_cpu(app), sum(own_cpu(p) for p in chrome)
        began = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - began
        server_cpu = process_cpu(app) - server_before
        chrome_cpu = sum(own_cpu(p) for p in chrome) - chrome_before
        last = [read(page) for page in opened]
        steps = opened[0].evaluate("() => poseLive.stepsMs || null") if mode == "browser" else None
    finally:
        for page in opened:
            page.context.close()
    rates = [
        (frames - before) / elapsed for (frames, _, _), before in zip(last, first, strict=True)
    ]
    latencies = [ms for (_, ms, _), rate in zip(last, rates, strict=True) if rate > 0]
    return {
        "mode": mode,
        "pages": pages,
        "seconds": round(elapsed, 1),
        "frames_per_s": [round(rate, 2) for rate in rates],
        "mean_frames_per_s": round(sum(rates) / len(rates), 2),
        "ms_per_frame": round(sum(latencies) / len(latencies), 1) if latencies else None,
        "server_cpu_s": round(server_cpu, 2),
        "server_idle_cpu_s": round(idle, 2),
        "server_cpu_s_per_viewer_minute": round(
            max(server_cpu - idle * elapsed / seconds, 0.0) / elapsed * 60 / pages, 2
        ),
        "chromium_cpu_s": round(chrome_cpu, 2),
        # Browser and server CPU per frame drawn (all pages), and the page's last frame's
        # steps (ms, in its worker: prepare = cut and resize, network, decode; draw on the page).
        "cpu_ms_per_frame": round(
            1000 * (chrome_cpu + server_cpu) / max(sum(rates) * elapsed, 1e-9), 1
        ),
        "page_steps_ms": {k: round(v, 1) for k, v in (steps or {}).items()},
        "backend": next((b for _, _, b in last if b), "server (int8, region path)"),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="measured window")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    results = []
    with tempfile.TemporaryDirectory() as scratch:
        camera = write_y4m(
            Path(scratch) / "camera.y4m", [letterboxed(load_image(PHOTO))] * 10, fps=CAMERA_FPS
        )
        with launched_app(Path(scratch) / "app.log") as (url, process):
            app = psutil.Process(process.pid)
            idle = idle_cpu(app, args.seconds)
            with sync_playwright() as playwright:
                for pages in args.pages:
                    for mode in ("browser", "server"):
                        browser = launch_chromium(playwright, extra_args=fake_camera_args(camera))
                        try:
                            result = measure(browser, url, mode, pages, args.seconds, app, idle)
                        finally:
                            browser.close()
                        results.append(result)
                        print(json.dumps(result), flush=True)
    print(
        f"\nCPU: {cpu_model()}, {os.cpu_count()} cores; load average before the end "
        f"{os.getloadavg()[0]:.1f} (browser and server share these cores)"
    )
    print(f"server idle: {idle:.2f} CPU s in {args.seconds:.0f} s (subtracted below)")
    print(
        f"{'mode':8} {'pages':>5} {'frames/s per page':>18} {'ms/frame':>9} "
        f"{'server CPU s/viewer-min':>24} {'Chromium CPU s':>15} {'CPU ms/frame':>13}  back end"
    )
    for r in results:
        ms = f"{r['ms_per_frame']:.0f}" if r["ms_per_frame"] is not None else "-"
        print(
            f"{r['mode']:8} {r['pages']:>5} {r['mean_frames_per_s']:>18.2f} {ms:>9} "
            f"{r['server_cpu_s_per_viewer_minute']:>24.2f} {r['chromium_cpu_s']:>15.1f} "
            f"{r['cpu_ms_per_frame']:>13.0f}  {r['backend']}"
        )
        if r["page_steps_ms"]:
            print(f"{'':14} page steps (ms, last frame): {r['page_steps_ms']}")
    for pages in args.pages:
        by = {r["mode"]: r for r in results if r["pages"] == pages}
        if {"browser", "server"} <= by.keys():
            fps = by["browser"]["mean_frames_per_s"] / max(by["server"]["mean_frames_per_s"], 1e-9)
            cpu = by["browser"]["server_cpu_s_per_viewer_minute"] / max(
                by["server"]["server_cpu_s_per_viewer_minute"], 1e-9
            )
            print(
                f"{pages} page(s): in the browser {fps:.2f}x the server path's frames/s; "
                f"server CPU per viewer-minute {100 * cpu:.1f} % of the server path's"
            )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
