"""The app as a user meets it: ``python app.py`` in a subprocess, its cold start until the
first ``estimate_image`` answer through gradio_client, the round-trip time and the app's
peak RSS; beside them, the same photo's handler timed in this process, so that what Gradio
adds shows as the difference.

Part of :mod:`benchmarks.speed` (its "app" section; ``--no-app`` skips it).
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import EVAL_DIR, ROOT
from benchmarks.speed_common import CLIP, interleaved, median_ms, row, timed
from pose.network.registry import PoseModel
from pose.network.spec import PRESETS
from pose.output.draw import draw_poses
from pose.photo.estimate import DEFAULT_THRESHOLD, estimate

PHOTO = EVAL_DIR / "coco" / "000000196141.jpg"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def peak_rss_of(pid: int) -> float:
    """Peak resident set size (VmHWM) of a live process, in bytes."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return float(line.split()[1]) * 1024
    return float("nan")


def first_client(process: subprocess.Popen, url: str, log, started: float, timeout: float):
    """A gradio_client ``Client`` of the app at ``url`` as soon as it answers, tried every
    0.1 s; raises when the app exits first (with the end of its ``log``) or ``timeout``
    seconds after ``started`` (perf_counter) have passed."""
    from gradio_client import Client

    client = None
    while client is None:
        if process.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"app exited: {log.read()[-2000:]}")
        if time.perf_counter() - started > timeout:
            raise TimeoutError(f"app did not answer within {timeout:.0f} s")
        try:
            client = Client(url, verbose=False)
        except Exception:
            time.sleep(0.1)
    return client


def app_figures(
    photo: Path, clip: Path, calls: int = 5, timeout: float = 120.0
) -> dict[str, float]:
    """Cold start to first answer, then round-trip median and the app's peak RSS, after
    the photos and again after ``clip`` through the Video tab's endpoint at each preset."""
    from gradio_client import handle_file

    port = free_port()
    env = dict(os.environ, POSE_PORT=str(port), POSE_HOST="127.0.0.1")
    url = f"http://127.0.0.1:{port}/"
    with tempfile.TemporaryFile("w+") as log:
        started = time.perf_counter()
        process = subprocess.Popen(
            [sys.executable, "app.py"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            client = first_client(process, url, log, started, timeout)
            connected = time.perf_counter() - started

            def ask():
                return client.predict(
                    handle_file(str(photo)),
                    "balanced",
                    DEFAULT_THRESHOLD,
                    api_name="/estimate_image",
                )

            ask()
            cold = time.perf_counter() - started
            round_trips = [timed(ask) for _ in range(calls)]
            rss = peak_rss_of(process.pid)
            for preset in PRESETS:  # each size is another interpreter shape
                client.predict(
                    handle_file(str(clip)), preset, DEFAULT_THRESHOLD, 1, True,
                    api_name="/estimate_video",
                )  # fmt: skip
            rss_video = peak_rss_of(process.pid)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
    return {
        "cold_start_s": cold,
        "connect_s": connected,
        "round_trip_ms": median_ms(round_trips),
        "app_peak_rss_gb": rss / 1e9,
        "app_peak_rss_after_videos_gb": rss_video / 1e9,
    }


def handler_ms(model: PoseModel, repeats: int) -> dict[str, float]:
    """Median ms in this process of what the app does for :data:`PHOTO`: the model and
    decode, the whole ``estimate_image`` handler, and the PNG of its answer."""
    from pose.media.images import load_image, write_png_atomically
    from ui.image import estimate_image

    png_dir = Path(tempfile.mkdtemp(prefix="pose-speed-png-"))
    photo = load_image(PHOTO)
    annotated = draw_poses(photo, estimate(photo, model=model).people)
    local, _, _ = interleaved(
        {
            "model": lambda: estimate(photo, size="balanced", model=model),
            "handler": lambda: estimate_image(str(PHOTO), "balanced", DEFAULT_THRESHOLD),
            "png": lambda: write_png_atomically(annotated, png_dir),
        },
        repeats,
    )
    shutil.rmtree(png_dir, ignore_errors=True)
    return {f"{name}_ms": value for name, value in local.items()}


def app_section(figures: dict, model: PoseModel, repeats: int) -> dict[str, float] | None:
    """Measure and print the app's figures (``model``: the in-process handler's), added to
    ``figures["app"]``; None, with the reason printed, when the app could not be measured."""
    try:
        app = app_figures(PHOTO if PHOTO.is_file() else CLIP, CLIP)
    except Exception as exc:  # report and carry on: the other figures still stand
        print(f"app: could not measure ({type(exc).__name__}: {exc})")
        return None
    if not app:
        return None
    # The handler itself, in this process: what Gradio adds is the rest.
    app.update(handler_ms(model, repeats))
    figures["app"] = app
    print_app(app)
    return app


def print_app(app: dict[str, float]) -> None:
    from pose.media.images import load_image

    height, width = load_image(PHOTO).shape[:2]
    print(f"\napp (python app.py, model cached), {PHOTO.name} {width}x{height}")
    row("cold start to first estimate_image answer", f"{app['cold_start_s']:8.1f} s")
    row("of which until the client connected", f"{app['connect_s']:8.1f} s")
    row("estimate_image round trip via gradio_client", f"{app['round_trip_ms']:8.1f} ms")
    row("  model + decode, in-process", f"{app['model_ms']:8.1f} ms")
    row("  the whole handler in-process (+ draw, files)", f"{app['handler_ms']:8.1f} ms")
    row("  PNG of the answer (app's image output)", f"{app['png_ms']:8.1f} ms")
    overhead = app["round_trip_ms"] - app["handler_ms"] - app["png_ms"]
    row("  Gradio queue, HTTP up/downloads, client", f"{overhead:8.1f} ms")
    row("app peak RSS", f"{app['app_peak_rss_gb']:8.2f} GB")
    row(
        "  after a video at each preset as well",
        f"{app['app_peak_rss_after_videos_gb']:8.2f} GB",
    )
