"""The Webcam tab in headless Chromium with a fake camera: in the browser against the server.

``python -m benchmarks.live_browser [--seconds 15] [--pages 1 4] [--rounds 3] [--json OUT]``

Launches the app, then, in ``--rounds`` interleaved rounds, for each number of pages open at
once and each mode: ``browser`` (the page's "In this browser", LiteRT.js, as it is now),
``browser-4:3`` (the same page keeping to the whole frame's 192x144 input for every crop,
as before the narrower crop inputs: ``poseLive.cropInputs = false``) and ``server`` (the
server's stream, "On the server"): one Chromium with that many pages (own contexts) on the
Webcam tab, fed by Chromium's fake camera (the skier from ../shared/eval letterboxed to
640x480 at 30 frames/s; DESIGN.md's flags), started as a person would, warmed up, then
measured for ``--seconds``:

- frames/s drawn, per page: skeleton frames drawn in the page (``poseLive.frames``) or
  frames the server handled for that page (the status line's frame counter);
- time per frame, per page: the page's median over its last 20 frames (camera frame to drawn
  skeleton) or the server's (frame in to drawn frame out), as each status line says;
- the server's CPU time (the app process and its children, user + system) over the window,
  less its idle housekeeping (timed first, with no page open), per viewer-minute; and
  Chromium's, since here browser and server share the same cores; their sum per frame drawn
  (the figure a loaded machine changes least); and the page's time per frame by step over
  the window (``poseLive.stepsTotalMs``: cut and resize, network and decode in a worker,
  tracking and drawing on the page), with the inputs its frames ran at.

Each configuration's figures are the median over the rounds; the ratios are of those
medians, and per round. The same run times every mode, so the ratios hold on a loaded
machine; the absolute figures do not. Prints the CPU, the load average and the back end.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
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


def chromium_threads(processes: list[psutil.Process]) -> dict[str, float]:
    """CPU seconds so far of every living thread of ``processes``, by "process type/thread
    name" (Linux /proc; empty elsewhere): where Chromium's time goes, the page's workers
    ("DedicatedWorker") apart from its main thread, compositing, camera capture."""
    ticks = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100
    found: dict[str, float] = {}
    for process in processes:
        try:
            kind = next((a[7:] for a in process.cmdline() if a.startswith("--type=")), "browser")
        except psutil.Error:
            continue
        for task in Path(f"/proc/{process.pid}/task").glob("*"):
            try:
                name = (task / "comm").read_text().strip()
                fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            key = f"{kind}/{name}|{task.name}"
            found[key] = (int(fields[11]) + int(fields[12])) / ticks
    return found


def thread_cpu_per_frame(before: dict, after: dict, frames: float) -> dict[str, float]:
    """Chromium's CPU ms per frame drawn by process type and thread name, largest first
    (threads that ended during the window are left out; their share is in the total)."""
    by_name: dict[str, float] = {}
    for key, seconds in after.items():
        name = key.split("|")[0]
        by_name[name] = by_name.get(name, 0.0) + seconds - before.get(key, 0.0)
    ranked = sorted(by_name.items(), key=lambda item: -item[1])
    return {name: round(1000 * cpu / max(frames, 1e-9), 1) for name, cpu in ranked if cpu > 0.05}


MODES = ("browser", "browser-4:3", "server")


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
        return
    if mode == "browser-4:3":
        page.wait_for_function("() => window.poseLive")
        page.evaluate("poseLive.cropInputs = false")
    page.locator("#live-start").click()


def page_steps(page) -> tuple[dict, int, dict]:
    """(ms per step summed since Start, frames drawn, frames per network input) of a page."""
    return page.evaluate("() => [poseLive.stepsTotalMs, poseLive.frames, poseLive.inputs]")


def steps_between(before: tuple, after: tuple) -> dict:
    """The page's mean ms per frame by step between two :func:`page_steps` readings, and
    the share of its frames at each input."""
    frames = max(after[1] - before[1], 1)
    steps = {k: round((v - before[0].get(k, 0.0)) / frames, 1) for k, v in after[0].items()}
    counts = {k: v - before[2].get(k, 0) for k, v in after[2].items()}
    total = max(sum(counts.values()), 1)
    return {**steps, "inputs": {k: round(v / total, 2) for k, v in counts.items() if v}}


def idle_cpu(app: psutil.Process, seconds: float) -> float:
    """The server's CPU seconds over ``seconds`` with no page open (its own housekeeping),
    subtracted from each configuration's, so what remains is what the viewers cost."""
    before = process_cpu(app)
    time.sleep(seconds)
    return process_cpu(app) - before


def warm_up(opened: list, read) -> None:
    """Wait (at most :data:`WARM_TIMEOUT_S`) until one of the ``opened`` pages has drawn
    :data:`WARM_FRAMES` frames, as ``read(page)[0]`` counts them."""
    deadline = time.monotonic() + WARM_TIMEOUT_S
    # Server streams beyond its concurrency limit wait in the queue: warm up on the
    # pages that run at all, and count the others as 0 frames/s.
    while time.monotonic() < deadline and max(read(p)[0] for p in opened) < WARM_FRAMES:
        time.sleep(0.5)


def measure(browser, url: str, mode: str, pages: int, seconds: float, app, idle: float) -> dict:
    """One configuration: ``pages`` pages live in ``mode`` ("browser" or "server")."""
    read = server_frames if mode == "server" else browser_frames
    in_page = mode != "server"
    opened = [open_app(browser, url) for _ in range(pages)]
    try:
        for page in opened:
            start(page, mode)
        warm_up(opened, read)
        chrome = chromium_processes()
        threads_before = chromium_threads(chrome)
        first = [read(page)[0] for page in opened]
        steps_before = page_steps(opened[0]) if in_page else None
        server_before, chrome_before = process_cpu(app), sum(own_cpu(p) for p in chrome)
        began = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - began
        server_cpu = process_cpu(app) - server_before
        chrome_cpu = sum(own_cpu(p) for p in chrome) - chrome_before
        threads_after = chromium_threads(chrome)
        last = [read(page) for page in opened]
        steps = steps_between(steps_before, page_steps(opened[0])) if in_page else None
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
        # Browser and server CPU per frame drawn (all pages), and the first page's mean
        # steps over the window (ms, in its worker: prepare = cut and resize, network,
        # decode; trackAndDraw on the page) with the share of frames per network input.
        "cpu_ms_per_frame": round(
            1000 * (chrome_cpu + server_cpu) / max(sum(rates) * elapsed, 1e-9), 1
        ),
        "page_steps_ms": steps or {},
        "chromium_ms_per_frame_by_thread": thread_cpu_per_frame(
            threads_before, threads_after, sum(rates) * elapsed
        ),
        "backend": next((b for _, _, b in last if b), "server (int8, region path)"),
    }


def run_rounds(args, url: str, app, idle: float, camera: Path) -> list[dict]:
    """Every (round, pages, mode) configuration, interleaved, each in a fresh Chromium."""
    from playwright.sync_api import sync_playwright

    results = []
    with sync_playwright() as playwright:
        for round_ in range(1, args.rounds + 1):
            for pages in args.pages:
                for mode in args.modes:
                    browser = launch_chromium(playwright, extra_args=fake_camera_args(camera))
                    try:
                        result = measure(browser, url, mode, pages, args.seconds, app, idle)
                    finally:
                        browser.close()
                    result["round"] = round_
                    result["load"] = round(os.getloadavg()[0], 1)
                    results.append(result)
                    print(json.dumps(result), flush=True)
    return results


def median_of(results: list[dict], mode: str, pages: int, key: str) -> float | None:
    values = [r[key] for r in results if r["mode"] == mode and r["pages"] == pages]
    values = [v for v in values if v is not None]
    return float(statistics.median(values)) if values else None


def report(results: list[dict], args, idle: float) -> None:
    """The medians over the rounds, per configuration, and the ratios to the server path."""
    loads = [r["load"] for r in results]
    print(
        f"\nCPU: {cpu_model()}, {os.cpu_count()} cores, shared by Chromium, the app and "
        f"whatever else runs (load average {min(loads):.1f}-{max(loads):.1f} during the run)"
    )
    print(f"server idle: {idle:.2f} CPU s in {args.seconds:.0f} s (subtracted below)")
    print(f"medians over {args.rounds} interleaved round(s):")
    print(
        f"{'mode':12} {'pages':>5} {'frames/s per page':>18} {'ms/frame':>9} "
        f"{'server CPU s/viewer-min':>24} {'CPU ms/frame':>13}  back end"
    )
    for pages in args.pages:
        for mode in args.modes:
            mine = [r for r in results if r["mode"] == mode and r["pages"] == pages]
            if not mine:
                continue
            fps = median_of(results, mode, pages, "mean_frames_per_s")
            ms = median_of(results, mode, pages, "ms_per_frame")
            cpu = median_of(results, mode, pages, "server_cpu_s_per_viewer_minute")
            per_frame = median_of(results, mode, pages, "cpu_ms_per_frame")
            print(
                f"{mode:12} {pages:>5} {fps:>18.2f} {f'{ms:.0f}' if ms else '-':>9} "
                f"{cpu:>24.2f} {per_frame:>13.0f}  {mine[0]['backend']}"
            )
            for r in mine:
                if r["page_steps_ms"]:
                    print(f"{'':20} round {r['round']} page steps: {r['page_steps_ms']}")
            middle = mine[len(mine) // 2]
            threads = list(middle["chromium_ms_per_frame_by_thread"].items())[:8]
            top = ", ".join(f"{name} {ms}" for name, ms in threads)
            print(f"{'':20} Chromium CPU ms/frame by thread (round {middle['round']}): {top}")
    print_ratios(results, args)


def print_ratios(results: list[dict], args) -> None:
    """Per page count, each in-page mode's frames/s against the server path's (median and
    per round) and its server CPU per viewer-minute as a share of the server path's."""
    for pages in args.pages:
        server = median_of(results, "server", pages, "mean_frames_per_s")
        server_cpu = median_of(results, "server", pages, "server_cpu_s_per_viewer_minute")
        for mode in (m for m in args.modes if m != "server"):
            fps = median_of(results, mode, pages, "mean_frames_per_s")
            if fps is None or not server:
                continue
            rounds = [
                r["mean_frames_per_s"] / max(s["mean_frames_per_s"], 1e-9)
                for r in results
                for s in results
                if r["mode"] == mode
                and s["mode"] == "server"
                and r["pages"] == s["pages"] == pages
                and r["round"] == s["round"]
            ]
            cpu = median_of(results, mode, pages, "server_cpu_s_per_viewer_minute")
            print(
                f"{pages} page(s), {mode}: {fps / server:.2f}x the server path's frames/s "
                f"(per round {', '.join(f'{x:.2f}' for x in rounds)}); server CPU per "
                f"viewer-minute {100 * cpu / max(server_cpu or 0.0, 1e-9):.1f} % of the "
                "server path's"
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0, help="measured window")
    parser.add_argument("--pages", type=int, nargs="+", default=[1, 4])
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--json", type=Path, help="also write the results here")
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        camera = write_y4m(
            Path(scratch) / "camera.y4m", [letterboxed(load_image(PHOTO))] * 10, fps=CAMERA_FPS
        )
        with launched_app(Path(scratch) / "app.log") as (url, process):
            app = psutil.Process(process.pid)
            idle = idle_cpu(app, args.seconds)
            results = run_rounds(args, url, app, idle, camera)
    report(results, args, idle)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
